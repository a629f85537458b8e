"""What the admin's, leadership's and Min träning's pages call things, in a real browser:
questions by their words (a scale on the dashboard's pulse and in a person's trend, a
leadership question that a later version of its class dropped, a poll option that no
version has), people by their names; never a step's id or an employee id. Swedish by
default, English on request.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.async_api import Page

from exercises.gym.program import Audience, Cadence, ProgramClassSpec, ProgramSpec, SessionSpec
from exercises.gym.roster import parse_roster
from orchestrator.gym.flowrecords import ArchivedAnswer, AttendanceRow, PassArchive
from orchestrator.root.oneshot import one_shot
from orchestrator.tickets import Kind
from tests.browser.conftest import People
from tests.browser.test_pass_in_browsers import until
from tests.harness import OrchestratorProcess, settings_for

pytestmark = [pytest.mark.browser, pytest.mark.services]

ORG = "default"
HEADER = "employee_id,first_name,last_name,email,department,site,manager_employee_id,level\n"
PEOPLE = [f"E{i}" for i in range(1, 7)]
ROSTER = HEADER + "".join(f"{p},Person{p[1:]},Efternamn{p[1:]},{p.lower()}@acme.se,HR,Umeå,,"
                          f"{'top' if p == 'E1' else 'employee'}\n" for p in PEOPLE)
ROSTER = ROSTER.replace("Person1,Efternamn1", "Anna,Lind")
SCALE, GONE, GONE_POLL = "philosophy-in-practice", "a-question-since-dropped", "a-poll-since-dropped"
IDS = (SCALE, GONE, GONE_POLL, "E1", "E2")


async def shown_text(page: Page) -> str:
    return str(await page.evaluate("() => document.body.innerText"))


async def test_pages_name_questions_and_people_in_words_never_by_id(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    async with one_shot(settings_for(env)) as services:
        gym = services.gym
        await gym.records.ensure_org(ORG)
        await gym.records.import_roster(ORG, parse_roster(ROSTER.encode(), "roster.csv"))
        await gym.programs.create(ORG, ProgramSpec("lead", "Ledarskap", Audience(),
                                                   Cadence.WEEKLY))
        passes = []
        for i in range(2):
            added = await gym.programs.add_class(
                ORG, "lead", ProgramClassSpec("leadership-philosophy-in-practice"),
                {"leadership_philosophy": "Vi leder genom tillit."})
            made = await gym.programs.add_session(ORG, "lead", str(added.position), SessionSpec(
                now - timedelta(days=2 - i), "UTC", 20, "Fia"))
            passes.append(made.pass_id)
        at = now.timestamp() - 3600
        for i, pass_id in enumerate(passes):
            answers = [ArchivedAnswer(p, SCALE, "scale", "leadership", {"value": 2 + i},
                                      at + 60 * i) for p in PEOPLE]
            if i == 1:
                answers += [ArchivedAnswer(p, GONE, "reflection", "leadership",
                                           {"text": "Mer tid för samtal"}, at) for p in PEOPLE]
                answers += [ArchivedAnswer(p, GONE_POLL, "poll", "leadership",
                                           {"choices": [0]}, at) for p in PEOPLE]
            await gym.records.archive_pass(PassArchive(
                ORG, pass_id, at + 600, tuple(answers), (),
                tuple(AttendanceRow(p, at - 60, 40, False) for p in PEOPLE), ()))
        await gym.outbox.invite_audience(ORG, "lead")
        link = gym.links.url(await gym.links.issue(ORG, "lead", "E1"))
        _, admin_url = await gym.staff.issue(ORG, Kind.ADMIN, "Lisa")
        _, lead_url = await gym.staff.issue(ORG, Kind.LEADERSHIP, "Ledningen")

    admin = await people.open(admin_url, "admin")
    await until(admin, "() => !document.querySelector('#dashboard').hidden")
    await until(admin, "() => document.querySelectorAll('#mail li').length > 0")
    pulse = await admin.locator("#dash-pulse").inner_text()
    assert pulse.startswith("Filosofin i vardagen: klass 1: 2.0"), pulse
    assert "till Anna Lind" in await admin.locator("#mail").inner_text()

    lead = await people.open(lead_url, "leadership")
    gone = lead.locator(f"section.question[data-step='{GONE}']")
    await gone.wait_for()
    assert await gone.locator("h3").inner_text() == \
        "Reflektion: en fråga som inte längre finns i klassen"
    poll = lead.locator(f"section.question[data-step='{GONE_POLL}']")
    assert "Alternativ 1" in await poll.inner_text()
    scale = lead.locator(f"section.question[data-step='{SCALE}']")
    assert await scale.locator("h3").inner_text() == "Filosofin i vardagen"

    mine = await people.open(link, "anna")
    await mine.locator("#content").wait_for(state="visible")
    await until(mine, "() => document.querySelectorAll('#trends figure').length === 1")
    trend = await mine.locator(f"#trends figure[data-question='{SCALE}']").inner_text()
    assert trend.startswith("Filosofin i vardagen: 2, 3"), trend

    for page in (admin, lead, mine):
        text = await shown_text(page)
        assert not [i for i in IDS if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)], \
            (page.url, text)
    await lead.locator("#lang").click()
    await until(lead, "() => document.documentElement.lang === 'en'")
    assert await gone.locator("h3").inner_text() == \
        "Reflection: a question that is no longer in the class"
    assert "Option 1" in await poll.inner_text()
    assert people.errors == []
