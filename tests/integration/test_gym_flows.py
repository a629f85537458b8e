"""The gym's flows on the real PostgreSQL, Redis and an SMTP server on loopback: choosing
sessions (capacity, waiting list, switching, promotion), personal links, mail that arrives
(headers, language, the .ics parsed back), retries that stay visible, attendance from
presence, and archiving an ended pass once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest
import redis.asyncio as aioredis
from icalendar import Calendar

from exercises import events as ev
from exercises.gym.enrolment import Outcome
from exercises.gym.errors import EnrolmentRefused
from exercises.gym.ids import live_id
from exercises.gym.mail import MailKind, MailStatus
from exercises.gym.program import (
    Audience,
    Cadence,
    EnrolmentStatus,
    ProgramClassSpec,
    ProgramSpec,
    SessionSpec,
    SessionState,
)
from exercises.gym.progress import ClassStatus
from exercises.gym.roster import parse_roster
from exercises.script import Step, StepKind
from orchestrator.adapters.postgres import PostgresRecords
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.adapters.smtp import SmtpMailer
from orchestrator.errors import AuthError, NotFound
from orchestrator.gym.mail import MailSender
from orchestrator.root.mailsink import MailSink
from orchestrator.services import Services, build_services
from orchestrator.settings import Settings
from orchestrator.tickets import Kind
from signalling import views
from tests.orchestrator.fakes import FakeClock, FakeSfu, RecordingNotifier

pytestmark = pytest.mark.services

ORG = "acme"
ROSTER = """employee_id,first_name,last_name,email,department,site,manager_employee_id,level,language
E1,Anna,Lind,anna@acme.se,HR,Malmö,,top,sv
E2,Bo,Ek,bo@acme.se,IT,Umeå,E1,manager,en
E3,Cia,Berg,cia@acme.se,IT,Umeå,E2,employee,sv
E4,Dan,Holm,dan@acme.se,Sälj,Luleå,E2,employee,sv
E5,Eva,Nord,eva@acme.se,HR,Malmö,E1,employee,sv
"""


@dataclass
class Gym:
    services: Services
    clock: FakeClock
    records: PostgresRecords
    s1: str
    s2: str
    start: datetime


@pytest.fixture
async def gym(records: PostgresRecords, redis_server) -> AsyncIterator[Gym]:  # type: ignore[no-untyped-def]
    client = aioredis.from_url(redis_server.url)
    await client.flushdb()
    clock = FakeClock(datetime.now(timezone.utc).timestamp())
    settings = Settings(secret="s" * 48, public_url="http://127.0.0.1:9")
    services = build_services(settings, RedisStore(client), FakeSfu(), RecordingNotifier(),
                              records=records, clock=clock)
    await records.ensure_org(ORG)
    await records.import_roster(ORG, parse_roster(ROSTER.encode(), "roster.csv"))
    g = services.gym
    await g.programs.create(ORG, ProgramSpec("lead", "Ledarskap 2027", Audience(),
                                             Cadence.WEEKLY, True))
    await g.programs.add_class(ORG, "lead", ProgramClassSpec("listening-for-real",
                                                             mandatory=True))
    start = datetime.fromtimestamp(clock(), timezone.utc).replace(microsecond=0) \
        + timedelta(days=3)
    s1 = await g.programs.add_session(ORG, "lead", "1", SessionSpec(start, "UTC", 2, "Fia"))
    s2 = await g.programs.add_session(ORG, "lead", "1", SessionSpec(start + timedelta(hours=2),
                                                                    "UTC", 2, "Fia"))
    yield Gym(services, clock, records, s1.pass_id, s2.pass_id, start)
    await client.aclose()


async def places(g: Gym, pass_id: str) -> dict[str, tuple[str, int | None]]:
    rows = await g.records.pool.fetch(
        "SELECT employee_id, status, waiting_position FROM enrolments WHERE org_id = $1 "
        "AND pass_id = $2 AND status <> 'cancelled'", ORG, pass_id)
    return {r["employee_id"]: (r["status"], r["waiting_position"]) for r in rows}


async def test_choosing_fills_places_then_a_waiting_list_promoted_in_order(gym: Gym) -> None:
    e = gym.services.gym.enrolments
    assert (await e.choose(ORG, "lead", "E1", gym.s1)).outcome is Outcome.ENROLLED
    assert (await e.choose(ORG, "lead", "E2", gym.s1)).outcome is Outcome.ENROLLED
    waiting = await e.choose(ORG, "lead", "E3", gym.s1)
    assert (waiting.outcome, waiting.position) == (Outcome.WAITING, 1)
    assert (await e.choose(ORG, "lead", "E4", gym.s1)).position == 2
    # E1 switches: the old place goes to the first waiting, the rest move up.
    switched = await e.choose(ORG, "lead", "E1", gym.s2)
    assert switched.released == gym.s1 and switched.outcome is Outcome.ENROLLED
    assert await places(gym, gym.s1) == {"E2": ("enrolled", None), "E3": ("enrolled", None),
                                         "E4": ("waiting", 1)}
    assert await places(gym, gym.s2) == {"E1": ("enrolled", None)}
    await e.cancel(ORG, "lead", "E2", gym.s1)
    assert await places(gym, gym.s1) == {"E3": ("enrolled", None), "E4": ("enrolled", None)}
    kinds = {(r["employee_id"], r["kind"]) for r in await gym.records.pool.fetch(
        "SELECT employee_id, kind FROM mail_outbox WHERE org_id = $1", ORG)}
    assert {("E3", "confirmation"), ("E3", "reminder-day"), ("E4", "reminder-15min")} <= kinds
    # Bad input changes nothing and says why.
    before = await gym.records.pool.fetch("SELECT * FROM enrolments ORDER BY pass_id, employee_id")
    with pytest.raises(EnrolmentRefused) as full:
        await e.choose(ORG, "lead", "E1", gym.s1)
    assert full.value.code == "session_full"
    with pytest.raises(NotFound):
        await e.choose(ORG, "lead", "E5", "nosuchpass")
    with pytest.raises(EnrolmentRefused) as twice:
        await e.choose(ORG, "lead", "E1", gym.s2)
    assert twice.value.code == "already_enrolled"
    after = await gym.records.pool.fetch("SELECT * FROM enrolments ORDER BY pass_id, employee_id")
    assert before == after


async def test_racing_people_never_overfill_a_session(gym: Gym) -> None:
    e = gym.services.gym.enrolments
    plans = await asyncio.gather(*(e.choose(ORG, "lead", f"E{i}", gym.s1) for i in range(1, 6)))
    assert sorted(p.outcome.value for p in plans) == ["enrolled"] * 2 + ["waiting"] * 3
    waiting = sorted(p.position or 0 for p in plans if p.outcome is Outcome.WAITING)
    assert waiting == [1, 2, 3]


async def test_personal_links_resolve_revoke_and_refuse_the_inactive(gym: Gym) -> None:
    links = gym.services.gym.links
    token = await links.issue(ORG, "lead", "E1")
    assert await links.current(ORG, "lead", "E1") == token, "the live link renders the same"
    holder = await links.resolve(token)
    assert (holder.org_id, holder.program_id, holder.employee_id) == (ORG, "lead", "E1")
    fresh = await links.issue(ORG, "lead", "E1")
    with pytest.raises(AuthError) as old:
        await links.resolve(token)
    assert old.value.code == "invalid_link"
    for bad in ("", "x" * 43, None, "ä" * 43):
        with pytest.raises(AuthError):
            await links.resolve(bad)
    stored = await gym.records.pool.fetchval("SELECT count(*) FROM personal_links "
                                             "WHERE token_hash = $1", fresh.encode())
    assert stored == 0, "only a hash of the token is stored"
    await gym.records.import_roster(ORG, parse_roster(
        "\n".join(ROSTER.splitlines()[:-1]).encode(), "fewer.csv"))  # E5 leaves
    gone = await links.issue(ORG, "lead", "E5")
    with pytest.raises(AuthError) as inactive:
        await links.resolve(gone)
    assert inactive.value.code == "person_inactive"
    await gym.records.pool.execute("UPDATE programs SET state = 'ended'")
    with pytest.raises(AuthError) as ended:
        await links.resolve(fresh)
    assert ended.value.code == "program_ended"


async def test_mail_arrives_in_each_persons_language_with_the_calendar_file(gym: Gym) -> None:
    g = gym.services.gym
    sink = await MailSink().start()
    try:
        await g.enrolments.choose(ORG, "lead", "E2", gym.s1)  # Bo reads English
        await g.enrolments.choose(ORG, "lead", "E3", gym.s1)
        await g.enrolments.choose(ORG, "lead", "E4", gym.s1)  # waiting
        assert await g.outbox.invite_audience(ORG, "lead") == 5
        assert await g.outbox.invite_audience(ORG, "lead") == 5  # queued once all the same
        sender = MailSender(g.records, g.mail, SmtpMailer(sink.url))
        await sender.send_due()
        bo = [r.message for r in sink.to("bo@acme.se")]
        subjects = sorted(str(m["Subject"]) for m in bo)
        assert subjects == ["Choose your session: Ledarskap 2027",
                            f"Confirmed: Listening for real {gym.start.day}/{gym.start.month} "
                            f"{gym.start:%H:%M}"]
        confirmation = next(m for m in bo if str(m["Subject"]).startswith("Confirmed"))
        assert confirmation["Content-Language"] == "en"
        assert confirmation["To"] == "Bo Ek <bo@acme.se>"
        body = confirmation.get_body(("plain",))
        assert body is not None and "http://127.0.0.1:9/m#link=" in body.get_content()
        ics = [p for p in confirmation.iter_attachments() if p.get_content_type() == "text/calendar"]
        event = Calendar.from_ical(ics[0].get_content()).walk("VEVENT")[0]
        assert event["UID"] == f"{gym.s1}@onlive"
        assert event.decoded("DTSTART") == gym.start
        assert "Listening for real" in str(event["SUMMARY"])
        dan = [r.message for r in sink.to("dan@acme.se")]
        waiting = next(m for m in dan if str(m["Subject"]).startswith("Väntelista"))
        assert waiting["Content-Language"] == "sv" and not list(waiting.iter_attachments())
        # Reminders wait for their moment.
        due = await gym.records.pool.fetch(
            "SELECT kind, send_after FROM mail_outbox WHERE status = 'pending'")
        assert {r["kind"] for r in due} == {"reminder-day", "reminder-15min"}
        # A given-up place makes its reminders obsolete instead of sent.
        await g.enrolments.cancel(ORG, "lead", "E3", gym.s1)
        await gym.records.pool.execute("UPDATE mail_outbox SET send_after = now(), "
                                     "next_attempt_at = now() WHERE employee_id = 'E3'")
        await sender.send_due()
        statuses = {r["kind"]: r["status"] for r in await gym.records.pool.fetch(
            "SELECT kind, status FROM mail_outbox WHERE employee_id = 'E3' "
            "AND kind LIKE 'reminder%'")}
        assert statuses == {"reminder-day": "obsolete", "reminder-15min": "obsolete"}
    finally:
        await sink.stop()


async def test_a_failed_send_is_retried_later_and_visible_to_the_admin(gym: Gym) -> None:
    g = gym.services.gym
    await g.outbox.invite_audience(ORG, "lead")
    closed = MailSink()
    await closed.start()
    url = closed.url
    await closed.stop()  # nothing listens there now
    await MailSender(g.records, g.mail, SmtpMailer(url, timeout=5)).send_due()
    listing = await g.outbox.listing(ORG)
    assert {m.status for m in listing} == {MailStatus.FAILED}
    assert all(m.attempts == 1 and m.last_error and m.next_attempt_at > datetime.now(timezone.utc)
               for m in listing)
    sink = await MailSink().start()
    try:
        sender = MailSender(g.records, g.mail, SmtpMailer(sink.url))
        assert await sender.send_due() == 0, "not before its next attempt"
        assert all([await g.outbox.retry(ORG, m.id) for m in listing])
        assert await sender.send_due() == 5
        assert len(sink.received) == 5 and await g.outbox.listing(ORG) == []
    finally:
        await sink.stop()


async def test_two_workers_never_claim_the_same_mail(gym: Gym) -> None:
    await gym.services.gym.outbox.invite_audience(ORG, "lead")
    claims = await asyncio.gather(*(gym.records.claim_mail(2, 60) for _ in range(4)))
    ids = [m.id for claim in claims for m in claim]
    assert len(ids) == 5 and len(set(ids)) == 5


def value_for(step: Step) -> dict[str, object]:
    if step.kind is StepKind.CHECK_IN:
        return {"energy": 4, "word": "nyfiken"}
    if step.kind in (StepKind.REFLECTION, StepKind.COMMITMENT):
        return {"text": f"{step.id} text"}
    if step.kind is StepKind.CHECK_OUT:
        return {"word": "tack"}
    if step.kind is StepKind.SCALE:
        return {"value": step.scale_min}
    if step.kind is StepKind.POLL:
        return {"choices": [0]}
    if step.kind is StepKind.WORD_CLOUD:
        return {"words": ["lyssna"]}
    return {"tried": "yes"}


async def test_an_ended_session_is_archived_once_with_attendance_and_missed_mail(
        gym: Gym) -> None:
    s, g = gym.services, gym.services.gym
    for person in ("E1", "E2"):
        await g.enrolments.choose(ORG, "lead", person, gym.s1)
    await g.programs.open_session(ORG, gym.s1)
    # Before the start the enrolled are expected, not missing.
    view = views.facilitator_view(await s.publisher.facilitator_snapshot(gym.s1))
    assert [(r["id"], r["status"]) for r in view["roster"]] == [
        (live_id(ORG, "E1"), "expected"), (live_id(ORG, "E2"), "expected")]
    gym.clock.advance(3 * 86400 - 300)  # five minutes before the start
    anna = live_id(ORG, "E1")
    with pytest.raises(EnrolmentRefused):
        await g.my_training.join(await g.links.resolve(await g.links.issue(ORG, "lead", "E3")),
                                 gym.s1)
    holder = await g.links.resolve(await g.links.issue(ORG, "lead", "E1"))
    ticket = await g.my_training.join(holder, gym.s1)
    assert s.access.verify(ticket, __import__("orchestrator.tickets").tickets.Kind.PARTICIPANT
                           ).subject == anna
    await s.participants.join(gym.s1, anna)
    await s.passes.command(gym.s1, ev.Start(), "fac")
    view = views.facilitator_view(await s.publisher.facilitator_snapshot(gym.s1))
    assert {r["id"]: r["status"] for r in view["roster"]} == {
        anna: "online", live_id(ORG, "E2"): "missing"}
    assert view["missing"] == 1
    state = await s.store.load(gym.s1)
    answered = 0
    while state.step is not None:
        step = state.step
        if step.asks_answer:
            gym.clock.advance(30)
            await s.participants.answer(gym.s1, anna, step.id, f"c-{step.id}", value_for(step))
            answered += 1
        if state.step_index + 1 >= len(state.script.steps):
            break
        if state.breakout is not None:
            await s.passes.command(gym.s1, ev.Recall(0), "fac")
        gym.clock.advance(60)
        await s.passes.command(gym.s1, ev.Next(), "fac")
        state = await s.store.load(gym.s1)
    gym.clock.advance(60)
    await s.passes.command(gym.s1, ev.End(), "fac")
    pool = gym.records.pool
    answers = await pool.fetch("SELECT step_id, step_kind, visibility FROM archived_answers")
    assert len(answers) == answered
    journal = {r["kind"] for r in await pool.fetch("SELECT kind FROM journal_entries")}
    assert {"check-in", "commitment"} <= journal
    attendance = {r["employee_id"]: r for r in await pool.fetch("SELECT * FROM attendance")}
    assert attendance["E1"]["first_joined_at"] is not None
    assert attendance["E1"]["minutes_present"] > 0 and not attendance["E1"]["left_early"]
    assert attendance["E2"]["first_joined_at"] is None, "enrolled, never came"
    missed = await pool.fetch("SELECT employee_id FROM mail_outbox WHERE kind = 'missed'")
    assert [r["employee_id"] for r in missed] == ["E2"]
    assert (await g.records.session(ORG, gym.s1)).state is SessionState.ENDED
    counted = {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in (
        "archived_answers", "journal_entries", "attendance", "mail_outbox")}
    await g.archiver.archive_pass(await s.store.load(gym.s1))  # a retry, or a second worker
    assert counted == {t: await pool.fetchval(f"SELECT count(*) FROM {t}") for t in counted}
    # Archived: every live key of the pass expires after the retention time.
    r = s.store.r  # type: ignore[attr-defined]
    keys = [k async for k in r.scan_iter(match=f"onlive:pass:{gym.s1}*")]
    assert {k.decode().rsplit(":", 1)[-1] for k in keys} >= {"attendance", "ended", "expected"}
    ttls = {k.decode(): await r.ttl(k) for k in keys}
    assert all(0 < ttl <= s.settings.pass_retention for ttl in ttls.values()), ttls
    # Min träning: the class is done, with its journal and who was there.
    page = await g.my_training.page(holder)
    assert page.classes[0].status is ClassStatus.DONE and page.next_class is None
    assert {line.kind for line in page.journal} >= {"check-in", "commitment"}
    # E2 missed it: the class is to do again, and another session may be chosen.
    bo = await g.links.resolve(await g.links.issue(ORG, "lead", "E2"))
    mine = await g.my_training.page(bo)
    assert mine.classes[0].status is ClassStatus.MISSED
    assert mine.next_class is not None and [c.slot.pass_id for c in mine.sessions if c.can_choose] \
        == [gym.s2]
    chosen = await g.enrolments.choose(ORG, "lead", "E2", gym.s2)
    assert chosen.outcome is Outcome.ENROLLED and chosen.released == gym.s1


async def test_erasure_covers_the_flows(gym: Gym, database_url: str) -> None:
    g = gym.services.gym
    await g.enrolments.choose(ORG, "lead", "E3", gym.s1)
    await g.links.issue(ORG, "lead", "E3")
    await g.person_data.erase(ORG, "E3")
    conn = await asyncpg.connect(database_url)
    try:
        for table in ("enrolments", "personal_links", "mail_outbox"):
            assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE employee_id = 'E3'") \
                == 0, table
    finally:
        await conn.close()
    assert EnrolmentStatus.ENROLLED.value == "enrolled" and MailKind.MISSED.value == "missed"


async def test_a_control_panel_opened_from_a_facilitators_page_falls_with_that_pages_link(
        gym: Gym) -> None:
    services, staff = gym.services, gym.services.gym.staff
    notifier = services.notifier
    assert isinstance(notifier, RecordingNotifier)
    _, fia_link = await staff.issue(ORG, Kind.FACILITATOR_HOME, "Fia")
    _, gus_link = await staff.issue(ORG, Kind.FACILITATOR_HOME, "Gus")
    fia_home = fia_link.partition("#credential=")[2]
    gus_home = gus_link.partition("#credential=")[2]
    fia_panel = services.access.facilitator_credential(gym.s1, "Fia", opened_with=fia_home)
    gus_panel = services.access.facilitator_credential(gym.s2, "Gus", opened_with=gus_home)
    for panel in (fia_panel, gus_panel):
        assert (await services.access.admit(panel, Kind.FACILITATOR)).pass_id

    # Fia's page link is withdrawn (by the admin, or `onlive facilitator-link --revoke`):
    # the panel she opened from it is refused and its sockets are dropped; Gus's is not.
    fia_row = services.access.staff(fia_home, Kind.FACILITATOR_HOME).credential_id
    assert await staff.revoke(ORG, Kind.FACILITATOR_HOME, fia_row) == 1
    with pytest.raises(AuthError) as refused:
        await services.access.admit(fia_panel, Kind.FACILITATOR)
    assert refused.value.code == "revoked_credential"
    dropped = [names for kind, names in notifier.sent if kind == "drop"]
    assert any(services.access.staff_holder(fia_row) in names for names in dropped)
    assert await services.access.admit(gus_panel, Kind.FACILITATOR)

    # Withdrawing every facilitator page at once takes Gus's panel with it too.
    assert await staff.revoke(ORG, Kind.FACILITATOR_HOME) == 1
    with pytest.raises(AuthError):
        await services.access.admit(gus_panel, Kind.FACILITATOR)
    # A panel credential cannot claim another parent: its parent is inside the signature.
    assert services.access.verify(gus_panel, Kind.FACILITATOR).via == \
        services.access.staff_holder(services.access.staff(
            gus_home, Kind.FACILITATOR_HOME).credential_id)
