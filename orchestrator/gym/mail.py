"""The gym's mail: rendering outbox rows when they are sent, and the sender loop.

The outbox (``OutboxStore``) holds a mail's kind and what it is about; the
message is rendered at sending time, in the person's language, to their
current address, with their live personal link. A mail whose reason went
away (a reminder for a place that was given up, a confirmation of a spot
that is gone) becomes ``obsolete`` instead of being sent.

``MailSender.run`` is the worker's loop: it claims due mail (several workers
never claim the same row), sends each, and marks it ``sent``, or ``failed``
with the error and the next attempt (``exercises.gym.mail.retry_delay``);
after the last attempt a failed mail waits for the admin (``Outbox.retry``).
The loop logs each failure with the mail's id and goes on.

Errors: ``MailFailed`` from the ``Mailer`` port (kept on the row, retried).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from exercises.gym.mail import MailKind, MailOrder, MailStatus, retry_delay
from exercises.gym.program import EnrolmentStatus, SessionState
from exercises.gym.roster import Language
from exercises.text import Text
from orchestrator.errors import MailFailed, NotFound
from orchestrator.gym.calendar import session_ics
from orchestrator.gym.flowrecords import OutboxMail
from orchestrator.gym.links import PersonalLinks
from orchestrator.gym.mailtexts import format_when, render
from orchestrator.gym.ports import Mailer, Records
from orchestrator.gym.records import PersonRecord, ProgramRecord, SessionRecord

log = logging.getLogger(__name__)

#: How long a claimed mail is this worker's before another may try it.
CLAIM_LEASE_S = 120.0


@dataclass(frozen=True, slots=True)
class Obsolete:
    """The mail's reason went away; why, for the admin's list."""

    reason: str


class MailRenderer:
    def __init__(self, records: Records, links: PersonalLinks, sender: str,
                 *, clock: Callable[[], float] = time.time) -> None:
        self.records = records
        self.links = links
        self.sender = sender
        self.clock = clock

    async def render(self, mail: OutboxMail) -> EmailMessage | Obsolete:
        person = await self.records.person(mail.org_id, mail.employee_id)
        if not person.active:
            return Obsolete("the person is no longer in the roster")
        if mail.program_id is None:
            return Obsolete("the mail names no program")
        program = await self.records.program(mail.org_id, mail.program_id)
        lang = person.language
        token = await self.links.current(mail.org_id, program.id, person.employee_id)
        values: dict[str, object] = {"first_name": person.first_name, "program": program.name,
                                     "link": self.links.url(token)}
        attachment: bytes | None = None
        key: str = mail.kind.value
        if mail.kind in (MailKind.ENROLMENT, MailKind.PERSONAL_LINK):
            values["class_title"] = await self._next_title(program, lang)
        else:
            if mail.pass_id is None:
                return Obsolete("the mail names no session")
            session = await self.records.session(mail.org_id, mail.pass_id)
            title = (await self.records.class_version(mail.org_id, session.class_id,
                                                      session.class_version)).title
            values.update(_session_values(session, title, lang))
            place = await self.records.enrolment_of(mail.org_id, session.pass_id,
                                                    person.employee_id)
            status = place.status if place is not None else None
            if session.state is SessionState.CANCELLED:
                return Obsolete("the session was cancelled")
            if mail.kind is MailKind.CONFIRMATION:
                if status is EnrolmentStatus.ENROLLED:
                    key = "confirmation-enrolled"
                    attachment = session_ics(
                        pass_id=session.pass_id, title=title, starts_at=session.starts_at,
                        duration_s=session.duration_s, facilitator=session.facilitator,
                        program=program.name, language=lang, url=f"{self.links.base_url}/m",
                        stamp=datetime.now(timezone.utc))
                elif status is EnrolmentStatus.WAITING and place is not None:
                    key = "confirmation-waiting"
                    values["position"] = place.position or 1
                else:
                    return Obsolete("the place was given up")
            elif mail.kind is MailKind.CANCELLATION:
                if status is EnrolmentStatus.ENROLLED:
                    return Obsolete("the place is held again")
                attachment = session_ics(
                    pass_id=session.pass_id, title=title, starts_at=session.starts_at,
                    duration_s=session.duration_s, facilitator=session.facilitator,
                    program=program.name, language=lang, url=f"{self.links.base_url}/m",
                    stamp=datetime.now(timezone.utc), cancelled=True)
            elif mail.kind in (MailKind.REMINDER_DAY, MailKind.REMINDER_15MIN):
                if status is not EnrolmentStatus.ENROLLED:
                    return Obsolete("the place was given up")
                if session.state is SessionState.ENDED:
                    return Obsolete("the session is over")
        subject, body = render(key, lang, values)
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = formataddr((person.name, person.email))
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.fromtimestamp(self.clock(), timezone.utc))
        digest = hashlib.sha256(f"{mail.org_id}/{mail.dedupe_key}".encode()).hexdigest()[:24]
        message["Message-ID"] = f"<{mail.id}.{digest}@onlive>"
        message["Auto-Submitted"] = "auto-generated"
        message["X-Onlive-Kind"] = mail.kind.value
        message.set_content(body)
        if attachment is not None:
            message.add_attachment(attachment, maintype="text", subtype="calendar",
                                   filename=f"onlive-{mail.pass_id}.ics",
                                   params={"method": "CANCEL" if mail.kind is MailKind.CANCELLATION
                                           else "PUBLISH"})
        # After the attachment: making the message multipart moves Content-* headers
        # into the text part.
        message["Content-Language"] = lang.value
        return message

    async def _next_title(self, program: ProgramRecord, lang: Language) -> str:
        if not program.classes:
            return program.name
        first = program.classes[0]
        try:
            title = (await self.records.class_version(program.org_id, first.class_id)).title
        except NotFound:
            return first.class_id
        return _pick(title, lang)


def _pick(text: Text, lang: Language) -> str:
    return (text.en if lang is Language.EN else text.sv) or text.sv or text.en


def _session_values(session: SessionRecord, title: Text, lang: Language) -> dict[str, object]:
    return {"class_title": _pick(title, lang), "when": format_when(session.starts_at, lang),
            "when_short": format_when(session.starts_at, lang, short=True),
            "minutes": round(session.duration_s / 60), "facilitator": session.facilitator}


class Outbox:
    """Queueing the gym's invitations and links, and what the admin sees of the outbox."""

    def __init__(self, records: Records, *, clock: Callable[[], float] = time.time) -> None:
        self.records = records
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    async def invite_audience(self, org_id: str, program_id: str) -> int:
        """An "enrolment" mail (choose your session) to everyone in the program's audience,
        once per person and program; returns how many people it was queued for."""
        await self.records.program(org_id, program_id)
        people = await self.records.audience_of(org_id, program_id)
        now = self._now()
        await self.records.queue_mail(org_id, program_id, [
            MailOrder(MailKind.ENROLMENT, p.employee_id,
                      f"enrolment:{program_id}:{p.employee_id}", now) for p in people])
        return len(people)

    async def send_link(self, org_id: str, program_id: str, person: PersonRecord) -> None:
        """The person's personal link, at most once an hour per program (asked for on the page)."""
        now = self._now()
        await self.records.queue_mail(org_id, program_id, [MailOrder(
            MailKind.PERSONAL_LINK, person.employee_id,
            f"personal-link:{program_id}:{person.employee_id}:{now:%Y%m%d%H}", now)])

    async def listing(self, org_id: str, statuses: tuple[MailStatus, ...] | None = (
            MailStatus.PENDING, MailStatus.SENDING, MailStatus.FAILED)) -> list[OutboxMail]:
        """The outbox for the admin: by default what is not sent yet (failed ones first)."""
        mails = await self.records.mails(org_id, statuses)
        return sorted(mails, key=lambda m: (m.status is not MailStatus.FAILED,
                                            -m.created_at.timestamp()))

    async def retry(self, org_id: str, mail_id: int) -> bool:
        """Send a failed mail again now (its attempts start over)."""
        return await self.records.retry_mail(org_id, mail_id)


class MailSender:
    def __init__(self, records: Records, renderer: MailRenderer, mailer: Mailer, *,
                 batch: int = 20, interval: float = 2.0) -> None:
        self.records = records
        self.renderer = renderer
        self.mailer = mailer
        self.batch = batch
        self.interval = interval

    async def send_due(self) -> int:
        """One round: claim due mail and send it; returns how many were handled."""
        claimed = await self.records.claim_mail(self.batch, CLAIM_LEASE_S)
        for mail in claimed:
            await self._send(mail)
        return len(claimed)

    async def _send(self, mail: OutboxMail) -> None:
        extra = {"mail_id": mail.id, "org_id": mail.org_id, "kind": mail.kind.value}
        try:
            message = await self.renderer.render(mail)
            if isinstance(message, Obsolete):
                await self.records.mail_obsolete(mail.id, message.reason)
                log.info("mail obsolete: %s", message.reason, extra=extra)
                return
            await self.mailer.send(message)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            delay = retry_delay(mail.attempts)
            await self.records.mail_failed(mail.id, f"{type(error).__name__}: {error}",
                                           delay.total_seconds() if delay else None)
            log.warning("mail not sent (attempt %d): %s; %s", mail.attempts, error,
                        f"retrying in {delay}" if delay else "giving up until retried",
                        extra=extra)
            return
        await self.records.mail_sent(mail.id)
        log.info("mail sent", extra=extra)

    async def run(self) -> None:
        """Send due mail until cancelled; a failed round is logged and the loop goes on."""
        while True:
            try:
                handled = await self.send_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the mail round failed; trying again")
                handled = 0
            if handled < self.batch:
                await asyncio.sleep(self.interval)


__all__ = ["CLAIM_LEASE_S", "MailFailed", "MailRenderer", "MailSender", "Obsolete", "Outbox"]
