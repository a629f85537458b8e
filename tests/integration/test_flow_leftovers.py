"""The flows' loose ends on the real PostgreSQL, Redis and an SMTP server on loopback:
switching sessions withdraws the old calendar event (an .ics of METHOD:CANCEL with the same
UID), and "mail me my link" is refused, coded, after a few requests an hour from one
address, whether or not the address is anyone's."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import aiohttp
import pytest
import redis.asyncio as aioredis
from icalendar import Calendar

from exercises.gym.program import Audience, Cadence, ProgramClassSpec, ProgramSpec, SessionSpec
from exercises.gym.roster import parse_roster
from orchestrator.adapters.postgres import PostgresRecords
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.adapters.smtp import SmtpMailer
from orchestrator.gym.linkrequests import MAX_PER_HOUR
from orchestrator.gym.mail import MailSender
from orchestrator.root.mailsink import MailSink
from orchestrator.root.oneshot import one_shot
from orchestrator.services import build_services
from orchestrator.settings import Settings
from tests.harness import OrchestratorProcess, settings_for
from tests.orchestrator.fakes import FakeClock, FakeSfu, RecordingNotifier

pytestmark = pytest.mark.services

ORG = "acme"
ROSTER = """employee_id,first_name,last_name,email,department,site,manager_employee_id,level,language
E1,Anna,Lind,anna@acme.se,HR,Malmö,,top,sv
E2,Bo,Ek,bo@acme.se,IT,Umeå,E1,manager,en
"""


@pytest.fixture
async def sink() -> AsyncIterator[MailSink]:
    started = await MailSink().start()
    yield started
    await started.stop()


async def test_switching_withdraws_the_old_calendar_event(records: PostgresRecords, redis_server,  # type: ignore[no-untyped-def]
                                                          sink: MailSink) -> None:
    client = aioredis.from_url(redis_server.url)
    await client.flushdb()
    # A minute behind the database's clock, so that each step's mail is due at once.
    clock = FakeClock(datetime.now(timezone.utc).timestamp() - 60)
    services = build_services(Settings(secret="s" * 48, public_url="http://127.0.0.1:9"),
                              RedisStore(client), FakeSfu(), RecordingNotifier(),
                              records=records, clock=clock)
    try:
        g = services.gym
        await records.ensure_org(ORG)
        await records.import_roster(ORG, parse_roster(ROSTER.encode(), "roster.csv"))
        await g.programs.create(ORG, ProgramSpec("lead", "Ledarskap 2027", Audience(),
                                                 Cadence.WEEKLY))
        await g.programs.add_class(ORG, "lead", ProgramClassSpec("listening-for-real"))
        start = datetime.fromtimestamp(clock(), timezone.utc).replace(microsecond=0) \
            + timedelta(days=3)
        s1 = await g.programs.add_session(ORG, "lead", "1", SessionSpec(start, "UTC", 5, "Fia"))
        s2 = await g.programs.add_session(ORG, "lead", "1", SessionSpec(
            start + timedelta(hours=2), "UTC", 5, "Fia"))
        sender = MailSender(records, g.mail, SmtpMailer(sink.url))
        await g.enrolments.choose(ORG, "lead", "E2", s1.pass_id)  # Bo reads English
        await sender.send_due()  # the confirmation, with the session's event
        clock.advance(1)
        await g.enrolments.choose(ORG, "lead", "E2", s2.pass_id)
        await sender.send_due()
        bo = [r.message for r in sink.to("bo@acme.se")]
        cancelled = next(m for m in bo if str(m["Subject"]).startswith("Cancelled"))
        ics = [p for p in cancelled.iter_attachments() if p.get_content_type() == "text/calendar"]
        assert ics and ics[0].get_param("method") == "CANCEL"
        calendar = Calendar.from_ical(ics[0].get_content())
        event = calendar.walk("VEVENT")[0]
        assert (str(calendar["METHOD"]), str(event["STATUS"])) == ("CANCEL", "CANCELLED")
        assert event["UID"] == f"{s1.pass_id}@onlive"
        confirmed = [m for m in bo if str(m["Subject"]).startswith("Confirmed")]
        uids = {str(Calendar.from_ical(p.get_content()).walk("VEVENT")[0]["UID"])
                for m in confirmed for p in m.iter_attachments()}
        assert uids == {f"{s1.pass_id}@onlive", f"{s2.pass_id}@onlive"}
        # Back and forth before the mail goes out: the withdrawal of the session Bo
        # holds again becomes obsolete, never wrong.
        clock.advance(1)
        await g.enrolments.choose(ORG, "lead", "E2", s1.pass_id)
        clock.advance(1)
        await g.enrolments.choose(ORG, "lead", "E2", s2.pass_id)
        await sender.send_due()
        statuses = {(r["pass_id"], r["status"]) for r in await records.pool.fetch(
            "SELECT pass_id, status FROM mail_outbox WHERE kind = 'cancellation'")}
        assert statuses == {(s1.pass_id, "sent"), (s2.pass_id, "obsolete")}
    finally:
        await client.aclose()


async def test_mail_me_my_link_is_refused_after_a_few_an_hour_whoever_asks(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    async with one_shot(settings_for(env)) as services:
        await services.gym.records.ensure_org("default")
        await services.gym.records.import_roster("default", parse_roster(
            ROSTER.encode(), "r.csv"))
    url = f"{orchestrator.base_url}/api/m/link"
    async with aiohttp.ClientSession() as http:
        for address in ("anna@acme.se", "nobody@acme.se"):
            for _ in range(MAX_PER_HOUR):
                async with http.post(url, data=json.dumps({"email": address})) as response:
                    assert response.status == 202
            async with http.post(url, data=json.dumps({"email": address.upper()})) as response:
                assert response.status == 429
                refused = await response.json()
            assert refused["error"]["code"] == "too_many_requests"
        async with http.post(url, data=json.dumps({"email": "bo@acme.se"})) as response:
            assert response.status == 202  # another address is not held back
    async with one_shot(settings_for(env)) as services:
        records = services.gym.records
        assert isinstance(records, PostgresRecords)
        links = await records.pool.fetchval(
            "SELECT count(*) FROM mail_outbox WHERE kind = 'personal-link' "
            "AND employee_id = 'E1'")
    assert links == 0  # Anna is in no program yet: nothing to send, and nobody is told
