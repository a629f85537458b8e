"""Min träning in a real browser, with the mail on a real SMTP server on loopback.

A participant receives their invitation, opens Min träning from the link in
the mail, joins the waiting list of a full session, then switches to one
with a place (a confirmation with its calendar file arrives), downloads the
.ics, joins the pass when the button appears ten minutes before the start,
checks in, and after the pass sees the class done with their journal. An
enrolled person who never comes shows as expected, then missing, to the
facilitator.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from icalendar import Calendar

from exercises import events as ev
from exercises.gym.program import Audience, Cadence, ProgramClassSpec, ProgramSpec, SessionSpec
from exercises.gym.roster import parse_roster
from orchestrator.root.mailsink import MailSink
from orchestrator.root.oneshot import one_shot
from tests.browser.conftest import ARTIFACTS, People
from tests.browser.test_pass_in_browsers import answer_by_click, enter, until
from tests.harness import OrchestratorProcess, settings_for
from tests.waiting import eventually

pytestmark = [pytest.mark.browser, pytest.mark.services]

ORG = "default"
ROSTER = """employee_id,first_name,last_name,email,department,site,manager_employee_id,level,language
E1,Anna,Lind,anna@acme.se,HR,Malmö,,top,sv
E2,Bo,Ek,bo@acme.se,IT,Umeå,E1,manager,en
E3,Cia,Berg,cia@acme.se,IT,Umeå,E2,employee,sv
E4,Dan,Holm,dan@acme.se,Sälj,Luleå,E2,employee,sv
"""
LINK = re.compile(r"http://127\.0\.0\.1:\d+/m#link=[A-Za-z0-9_-]+")


@pytest.fixture
async def sink() -> AsyncIterator[MailSink]:
    started = await MailSink().start()
    yield started
    await started.stop()


@pytest.fixture
def env(env: dict[str, str], sink: MailSink) -> dict[str, str]:
    return {**env, "ONLIVE_SMTP_URL": sink.url}


async def mail_to(sink: MailSink, address: str, subject_start: str) -> str:
    """The plain text of the first mail to ``address`` whose subject starts so."""
    async def arrived() -> str | None:
        for item in sink.to(address):
            if str(item.message["Subject"]).startswith(subject_start):
                body = item.message.get_body(("plain",))
                assert body is not None
                text: str = body.get_content()
                return text
        return None
    found: str = await eventually(arrived, what=f"a mail '{subject_start}…' to {address}",
                                  timeout=45)
    return found


async def test_a_participant_chooses_joins_and_sees_the_class_done(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People, sink: MailSink,
        tmp_path: Path) -> None:
    settings = settings_for(env)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    soon = now + timedelta(minutes=10, seconds=25)  # the join button appears in 25 s
    async with one_shot(settings) as services:
        gym = services.gym
        await gym.records.ensure_org(ORG)
        await gym.records.import_roster(ORG, parse_roster(ROSTER.encode(), "roster.csv"))
        await gym.programs.create(ORG, ProgramSpec("lead", "Ledarskap 2027", Audience(),
                                                   Cadence.WEEKLY, True))
        await gym.programs.add_class(ORG, "lead", ProgramClassSpec("listening-for-real",
                                                                   mandatory=True))
        first = await gym.programs.add_session(ORG, "lead", "1",
                                               SessionSpec(soon, "Europe/Stockholm", 3, "Fia"))
        full = await gym.programs.add_session(
            ORG, "lead", "1", SessionSpec(now + timedelta(days=1), "Europe/Stockholm", 2, "Fia"))
        for person in ("E2", "E3"):
            await gym.enrolments.choose(ORG, "lead", person, full.pass_id)
        await gym.enrolments.choose(ORG, "lead", "E4", first.pass_id)  # will never come
        await gym.programs.open_session(ORG, first.pass_id)
        await gym.outbox.invite_audience(ORG, "lead")
        facilitator_url = (f"{orchestrator.base_url}/f#credential="
                           f"{services.access.facilitator_credential(first.pass_id)}")

    invitation = await mail_to(sink, "anna@acme.se", "Välj ditt pass")
    link = LINK.search(invitation)
    assert link is not None, invitation
    page = await people.open(link.group(0), "anna")
    await page.locator("#content").wait_for(state="visible")
    assert "#link" not in page.url, "the token leaves the address bar"
    await until(page, "() => document.querySelectorAll('#sessions li').length === 2")
    full_row = page.locator(f"#sessions li[data-pass='{full.pass_id}']")
    await full_row.get_by_role("button", name=re.compile("Ställ mig på väntelistan")).click()
    await until(page, f"() => document.querySelector(\"#sessions li[data-pass='{full.pass_id}']\")"
                      ".dataset.mine === 'waiting'")
    assert "nummer 1" in await full_row.inner_text()
    first_row = page.locator(f"#sessions li[data-pass='{first.pass_id}']")
    await first_row.get_by_role("button", name=re.compile("Byt hit")).click()
    await until(page, f"() => document.querySelector(\"#sessions li[data-pass='{first.pass_id}']\")"
                      ".dataset.mine === 'enrolled'")
    assert await first_row.locator("[data-action=join]").count() == 0, "not before 10 minutes"
    await page.screenshot(path=str(ARTIFACTS / "my-training.png"), full_page=True)

    confirmation = await eventually(lambda: [i.message for i in sink.to("anna@acme.se")
                                             if str(i.message["Subject"]).startswith(
                                                 "Bekräftelse")],
                                    what="the confirmation", timeout=45)
    mailed = [p for p in confirmation[0].iter_attachments()
              if p.get_content_type() == "text/calendar"]
    assert Calendar.from_ical(mailed[0].get_content()).walk("VEVENT")[0]["UID"] \
        == f"{first.pass_id}@onlive"

    async with page.expect_download() as download_info:
        await first_row.get_by_role("button", name=re.compile("Kalenderfil")).click()
    download = await download_info.value
    saved = tmp_path / "session.ics"
    await download.save_as(saved)
    event = Calendar.from_ical(saved.read_bytes()).walk("VEVENT")[0]
    assert event["UID"] == f"{first.pass_id}@onlive"
    assert event.decoded("DTSTART") == soon

    # The facilitator sees who is expected before anyone joins.
    facilitator = await people.open(facilitator_url, "facilitator")
    await until(facilitator, "() => document.querySelectorAll('#roster tbody tr').length === 2")
    statuses = await facilitator.evaluate(
        "() => [...document.querySelectorAll('#roster tbody tr')].map(r => r.dataset.status)")
    assert statuses == ["expected", "expected"]

    join = first_row.locator("[data-action=join]")
    await join.wait_for(state="visible", timeout=60_000)
    await join.click()
    await page.wait_for_url(re.compile(r"/p"))
    await enter(page)
    await facilitator.locator("#cmd-start").click()
    await until(facilitator, """() => {
        const rows = [...document.querySelectorAll('#roster tbody tr')];
        return rows.map(r => r.dataset.status).sort().join() === 'missing,online'; }""")
    dan = facilitator.locator("#roster tbody tr[data-status=missing]")
    assert "Dan Holm" in await dan.inner_text() and "Saknas" in await dan.inner_text()
    await facilitator.screenshot(path=str(ARTIFACTS / "facilitator-missing.png"), full_page=True)
    await page.locator("form.answer").wait_for(state="visible")
    await answer_by_click(page, 4, "nyfiken")

    async with one_shot(settings) as services:
        await services.passes.command(first.pass_id, ev.End(), "fac")
        assert (await services.gym.records.session(ORG, first.pass_id)).state.value == "ended"

    mine = await people.open(link.group(0), "anna-after")
    await mine.locator("#content").wait_for(state="visible")
    await until(mine, "() => document.querySelector('#classes tbody tr').dataset.status === 'done'")
    await until(mine, "() => document.querySelectorAll('#journal li[data-kind=check-in]').length === 1")
    assert "nyfiken" in await mine.locator("#journal").inner_text()
    await mine.screenshot(path=str(ARTIFACTS / "my-training-after.png"), full_page=True)
    assert people.errors == []
    assert people.traffic.foreign() == []
