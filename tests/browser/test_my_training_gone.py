"""Min träning from a link that no longer opens anything: a person who left the roster and a
program that has ended are told so, in their language, and offered nothing else (no
sessions, no buttons but the language switch, no form to ask for a new link)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from exercises.gym.roster import parse_roster
from orchestrator.adapters.postgres import PostgresRecords
from orchestrator.root.oneshot import one_shot
from tests.browser.conftest import ARTIFACTS, People
from tests.harness import OrchestratorProcess, one_class_program, settings_for

pytestmark = [pytest.mark.browser, pytest.mark.services]

ROSTER = """employee_id,first_name,last_name,email,department,site,manager_employee_id,level,language
E1,Anna,Lind,anna@acme.se,HR,Malmö,,top,sv
E2,Bo,Ek,bo@acme.se,IT,Umeå,E1,employee,en
"""


async def _only_the_notice(page, text: str) -> None:  # type: ignore[no-untyped-def]
    notice = page.locator("#notice")
    await notice.get_by_text(text).wait_for()
    assert await page.locator("#content").is_hidden()
    assert await page.locator("#resend-form").is_hidden()
    visible = [b for b in await page.get_by_role("button").all() if await b.is_visible()]
    assert [await b.get_attribute("id") for b in visible] == ["lang"]


async def test_a_link_of_someone_who_left_or_of_an_ended_program_offers_nothing(
        people: People, orchestrator: OrchestratorProcess, env: dict[str, str]) -> None:
    settings = settings_for(env)
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    async with one_shot(settings) as services:
        gym = services.gym
        await one_class_program(services, ROSTER, start)
        anna = await gym.links.issue("default", "lead", "E1")
        bo = await gym.links.issue("default", "lead", "E2")
        # Bo leaves the roster (a full import without him).
        await gym.records.import_roster("default", parse_roster(
            "\n".join(ROSTER.splitlines()[:2]).encode(), "fewer.csv"))
    page = await people.open(gym.links.url(bo), "bo")
    await _only_the_notice(page, "Du finns inte längre med i organisationens personallista")
    await page.locator("#lang").click()
    await _only_the_notice(page, "You are no longer in the organisation's roster")
    await page.screenshot(path=str(ARTIFACTS / "min-traning-left.png"), full_page=True)

    async with one_shot(settings) as services:
        records = services.gym.records
        assert isinstance(records, PostgresRecords)
        await records.pool.execute("UPDATE programs SET state = 'ended' WHERE id = 'lead'")
    page = await people.open(gym.links.url(anna), "anna")
    await _only_the_notice(page, "Programmet är avslutat.")
    await page.screenshot(path=str(ARTIFACTS / "min-traning-ended.png"), full_page=True)
    assert not people.errors and not people.traffic.foreign()
