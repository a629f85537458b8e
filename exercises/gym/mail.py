"""The gym's mail as values: what a mail is about, when it goes, and retrying.

The outbox keeps only a mail's kind and what it is about; the text is
rendered when it is sent (in the person's language, to their current
address). Queueing is idempotent by ``dedupe_key``. A failed send is retried
with growing pauses (``retry_delay``) and stays visible; after
``MAX_ATTEMPTS`` it waits for someone to look at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = ["MAX_ATTEMPTS", "MailKind", "MailOrder", "MailStatus", "REMINDERS", "reminders",
           "retry_delay"]

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)


class MailKind(StrEnum):
    """What a mail is about (the outbox's ``kind``)."""

    ENROLMENT = "enrolment"  # choose a session of the next class
    CONFIRMATION = "confirmation"  # your place (or waiting-list spot), with the .ics
    REMINDER_DAY = "reminder-day"
    REMINDER_15MIN = "reminder-15min"
    MISSED = "missed"  # you missed class X: choose another session
    PERSONAL_LINK = "personal-link"
    #: A place given up (switched or cancelled): its calendar event withdrawn
    #: with an .ics of METHOD:CANCEL and the same UID.
    CANCELLATION = "cancellation"


class MailStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker; reclaimed if it never reports back
    SENT = "sent"
    FAILED = "failed"  # the last attempt failed; retried unless attempts ran out
    OBSOLETE = "obsolete"  # its reason went away before it was sent (a cancelled place)


#: Reminders before a session starts: (kind, how long before).
REMINDERS = ((MailKind.REMINDER_DAY, timedelta(days=1)),
             (MailKind.REMINDER_15MIN, timedelta(minutes=15)))


@dataclass(frozen=True, slots=True)
class MailOrder:
    """One mail to queue; queueing the same ``dedupe_key`` twice is a no-op."""

    kind: MailKind
    employee_id: str
    dedupe_key: str
    send_after: datetime
    pass_id: str | None = None


def reminders(pass_id: str, employee_id: str, starts_at: datetime,
              now: datetime) -> tuple[MailOrder, ...]:
    """The reminders still ahead: the day before and 15 minutes before, each only if its
    moment has not passed (enrolling an hour ahead gets no day-before reminder)."""
    return tuple(MailOrder(kind, employee_id, f"{kind.value}:{pass_id}:{employee_id}",
                           starts_at - before, pass_id)
                 for kind, before in REMINDERS if now < starts_at - before)


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after ``attempts`` failed attempts; None once they ran out.

    30 s, 2 min, 8 min, 32 min, then hourly.
    """
    if attempts >= MAX_ATTEMPTS:
        return None
    delay: timedelta = FIRST_RETRY * (4 ** max(0, attempts - 1))
    return min(delay, LONGEST_RETRY)
