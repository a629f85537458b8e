"""The admin reorders and removes a program's classes in a real browser, by keyboard.

Each class row has labelled buttons to move it up or down and to remove it;
the keyboard stays on the moved class. A removed class stays listed, marked,
until the program is saved (and can be kept again). A class that someone
holds a place in cannot go: the refusal is shown beside that row, and
nothing of the save happens. Without it, the new order is saved and the
removed class's empty session goes with it. The admin page and the class
library link to each other.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from playwright.async_api import Page

from exercises.gym.program import Audience, Cadence, ProgramClassSpec, ProgramSpec, SessionSpec
from exercises.gym.roster import parse_roster
from orchestrator.root.oneshot import one_shot
from orchestrator.tickets import Kind
from tests.browser.conftest import ARTIFACTS, People
from tests.browser.test_pass_in_browsers import unnamed_controls, until
from tests.harness import OrchestratorProcess, settings_for

pytestmark = [pytest.mark.browser, pytest.mark.services]

ORG = "default"
ROSTER = """employee_id,first_name,last_name,email,department,site,manager_employee_id,level
E1,Anna,Lind,anna@acme.se,HR,Umeå,,top
E2,Bo,Ek,bo@acme.se,IT,Umeå,E1,employee
"""
LISTENING, FEEDBACK = "Att lyssna på riktigt", "Återkoppling som hjälper"


async def rows(admin: Page) -> list[str]:
    """The class rows as the page shows them: title, and 'removed' for a marked one."""
    return list(await admin.evaluate("""() => [...document.querySelectorAll('#class-rows > li')]
        .map(li => li.querySelector('.step-title').textContent
                   + (li.classList.contains('removed') ? ' (removed)' : ''))"""))


async def focused_label(admin: Page) -> str:
    return str(await admin.evaluate("() => document.activeElement.getAttribute('aria-label')"))


async def test_the_admin_moves_and_removes_classes_by_keyboard_and_a_taken_one_stays(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People) -> None:
    settings = settings_for(env)
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    async with one_shot(settings) as services:
        gym = services.gym
        await gym.records.ensure_org(ORG)
        await gym.records.import_roster(ORG, parse_roster(ROSTER.encode(), "roster.csv"))
        await gym.programs.create(ORG, ProgramSpec("lead", "Ledarskap", Audience(),
                                                   Cadence.WEEKLY, True))
        for class_id in ("listening-for-real", "feedback-that-helps", "listening-for-real"):
            await gym.programs.add_class(ORG, "lead", ProgramClassSpec(class_id, mandatory=True))
        taken = await gym.programs.add_session(ORG, "lead", "2",
                                               SessionSpec(start, "UTC", 10, "Fia"))
        await gym.enrolments.choose(ORG, "lead", "E2", taken.pass_id)
        empty = await gym.programs.add_session(
            ORG, "lead", "3", SessionSpec(start + timedelta(days=1), "UTC", 10, "Fia"))
        _, admin_url = await gym.staff.issue(ORG, Kind.ADMIN, "Lisa")
    admin = await people.open(admin_url, "admin")
    await until(admin, "() => document.querySelectorAll('#class-rows > li').length === 3")
    assert await rows(admin) == [LISTENING, FEEDBACK, LISTENING]

    # The keyboard moves class 1 down; focus stays on the moved class's button.
    await admin.get_by_role("button", name=f"Flytta ner klass 1: {LISTENING}").focus()
    await admin.keyboard.press("Enter")
    assert await rows(admin) == [FEEDBACK, LISTENING, LISTENING]
    assert await focused_label(admin) == f"Flytta ner klass 2: {LISTENING}"
    assert "är nu nummer 2" in await admin.locator("#classes-live").inner_text()
    assert await admin.get_by_role("button", name=f"Flytta upp klass 1: {FEEDBACK}").is_disabled()
    # Class 3 goes (its session is empty), and so would the taken one.
    await admin.get_by_role("button", name=f"Ta bort klass 3: {LISTENING}").focus()
    await admin.keyboard.press("Enter")
    assert await focused_label(admin) == f"Behåll klassen {LISTENING}"
    assert "planerade tillfällen som ingen har valt (1)" in \
        await admin.locator("#class-rows > li.removed").inner_text()
    await admin.get_by_role("button", name=f"Ta bort klass 1: {FEEDBACK}").click()
    assert await rows(admin) == [f"{FEEDBACK} (removed)", LISTENING, f"{LISTENING} (removed)"]
    assert await unnamed_controls(admin) == []
    await admin.locator("#program-form").get_by_role("button", name="Spara").click()
    await until(admin, "() => document.querySelector('#err-class-1').textContent !== ''")
    assert "personer har plats" in await admin.locator("#err-class-1").inner_text()
    assert await admin.locator("#err-class-3").inner_text() == ""
    await admin.screenshot(path=str(ARTIFACTS / "admin-classes.png"), full_page=True)

    # Nothing of that save happened.
    async with one_shot(settings) as services:
        program = await services.gym.records.program(ORG, "lead")
        assert [c.class_id for c in program.classes] == ["listening-for-real",
                                                         "feedback-that-helps",
                                                         "listening-for-real"]
    # Keep the taken class; the rest of the change is saved.
    await admin.get_by_role("button", name=f"Behåll klassen {FEEDBACK}").click()
    await admin.locator("#program-form").get_by_role("button", name="Spara").click()
    await until(admin, "() => document.querySelector('#status').textContent.includes('sparat')")
    await admin.reload()
    await until(admin, "() => document.querySelectorAll('#class-rows > li').length === 2")
    assert await rows(admin) == [FEEDBACK, LISTENING]
    passes = await admin.evaluate(
        "() => [...document.querySelectorAll('#sessions tbody tr')].map(r => r.dataset.pass)")
    assert passes == [taken.pass_id], f"{empty.pass_id} went with its class"

    # The admin page and the class library link to each other.
    await admin.get_by_role("navigation").get_by_role("link", name="Klassbibliotek").click()
    await admin.wait_for_url("**/classes")
    await admin.locator("#library").wait_for(state="visible")
    back = admin.get_by_role("navigation").get_by_role("link", name="Administration")
    await back.click()
    await admin.wait_for_url("**/admin")
    await admin.locator("#content").wait_for(state="visible")
    assert people.errors == []
