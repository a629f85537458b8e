"""Messages in the pages' own words, never the server's: the ops page's alerts and
Min träning's refusals, in Swedish and English, naming no internal id.

The ops page shows a real recording alarm (a signed egress webhook closes the
main room), alerts about a group and about the live store, and one whose code
the page has no text for; each names its pass by title and a group as its
board does. Min träning shows a real refusal (a session that is not in the
person's program), a refusal with a code it does not know, and a server
failure that is not JSON, each in its own words and never the server's.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis.asyncio as aioredis
from playwright.async_api import Page, Route

from breakout.rooms import breakout_room
from exercises.demo import demo_class
from orchestrator.root.oneshot import one_shot
from tests.browser.conftest import ARTIFACTS, People
from tests.browser.test_pass_in_browsers import until
from tests.conftest import LiveKitService, RedisService
from tests.harness import OrchestratorProcess, one_class_program, service_for, settings_for
from tests.integration.test_webhooks import post, signed

pytestmark = [pytest.mark.browser, pytest.mark.services]

#: Words of the server's own messages, which no page may show.
SERVER_WORDS = ("Recording attempt", "Kernel panic", "alone", "Redis answers", "rule 7b",
                "Internal Server Error", "no session")

ALERT_TEXTS = """() => Object.fromEntries([...document.querySelectorAll('#alerts li')]
  .map(li => [li.dataset.code, li.textContent.replace(/^[^·]*· /, '')]))"""


async def test_the_ops_page_shows_alerts_in_its_own_words_without_ids(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People,
        livekit_server: LiveKitService, redis_server: RedisService) -> None:
    async with service_for(env) as service:
        created = await service.create_pass(demo_class(), program="copy")
        ops_credential = service.ops_credential()
    # A real recording alarm: LiveKit reports an egress of the main room.
    body = json.dumps({"event": "egress_started", "id": "EV_copy",
                       "createdAt": str(int(time.time())),
                       "egressInfo": {"egressId": "EG_1", "roomName": created.main_room,
                                      "status": "EGRESS_ACTIVE"}})
    key, secret = livekit_server.keys.key, livekit_server.keys.secret
    assert post(f"{orchestrator.base_url}/webhooks/livekit", body,
                signed(body, key, secret)) == 200
    # Alerts as the monitor and the outage watch leave them in the stream, and one
    # of a code no page knows yet (a newer worker's, say).
    store = aioredis.from_url(redis_server.url)
    try:
        for fields in (
                {"code": "participant_alone", "message": "p-anna is alone in the room",
                 "pass_id": created.id, "room": breakout_room(created.id, 1, 2),
                 "person_id": "p-anna"},
                {"code": "redis_recovered", "message": "Redis answers again after 3.2 s",
                 "seconds": "3.2"},
                {"code": "brand_new", "message": "Kernel panic in module X",
                 "pass_id": created.id}):
            entry: dict[Any, Any] = {**fields, "at": f"{time.time():.3f}"}
            await store.xadd("onlive:alerts", entry)
    finally:
        await store.aclose()

    page = await people.open(f"{orchestrator.base_url}/ops#credential={ops_credential}", "ops")
    await until(page, "() => document.querySelectorAll('#alerts li').length === 4")
    texts = await page.evaluate(ALERT_TEXTS)
    assert texts == {
        "recording_attempt": "Demopass: att lyssna på riktigt: Tecken på inspelning i "
                             "Storgruppen: LiveKit började spela in eller sända ut rummet. "
                             "Rummet stängdes.",
        "participant_alone": "Demopass: att lyssna på riktigt: Någon är ensam i Grupp 2. "
                             "Flytta hit någon eller byt plats på två.",
        "redis_recovered": "Databasen för pågående pass (Redis) svarar igen (avbrott 3.2 s).",
        "brand_new": "Demopass: att lyssna på riktigt: Ett larm som den här sidan inte har "
                     "någon text för. Detaljerna finns i serverns logg.",
    }, texts
    shown = await page.locator("#alerts").inner_text()
    for raw in (*SERVER_WORDS, "onlive_", created.id, "p-anna", "{"):
        assert raw not in shown, (raw, shown)
    rooms = await page.locator(f'#passes tr[data-pass="{created.id}"] td ul').inner_text()
    assert rooms.startswith("Storgruppen") and "onlive_" not in rooms, rooms
    await page.screenshot(path=ARTIFACTS / "ops-alerts.png", full_page=True)

    await page.get_by_role("button", name="English").click()
    texts = await page.evaluate(ALERT_TEXTS)
    assert texts["recording_attempt"] == (
        "Demo pass: listening for real: Sign of recording in Main room: LiveKit started to "
        "record or stream the room. The room was closed."), texts
    assert texts["participant_alone"].startswith(
        "Demo pass: listening for real: Someone is alone in Group 2."), texts
    assert texts["brand_new"].endswith("An alert this page has no text for. The details are "
                                       "in the server's log."), texts
    assert people.errors == [] and people.traffic.foreign() == []


ROSTER = """employee_id,first_name,last_name,email,department,site,manager_employee_id,level,language
E1,Anna,Lind,anna@acme.se,HR,Malmö,,top,sv
"""


async def _refused(page: Page, text: str) -> None:
    status = page.locator("#status")
    await status.get_by_text(text).wait_for()
    assert await status.get_attribute("class") == "error"
    shown = await status.inner_text()
    assert not any(word in shown for word in SERVER_WORDS), shown


async def test_min_traening_says_a_refusal_in_its_own_words(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People) -> None:
    settings = settings_for(env)
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    async with one_shot(settings) as services:
        gym = services.gym
        await one_class_program(services, ROSTER, start)
        link = await gym.links.issue("default", "lead", "E1")
    page = await people.open(gym.links.url(link), "anna")
    choose = page.locator("#sessions [data-action=choose]")
    await choose.wait_for()

    # The real server refuses a session that is not in the person's program.
    async def elsewhere(route: Route) -> None:
        await route.continue_(post_data=json.dumps({"pass_id": "gone-0000"}))
    await page.route("**/api/m/choose", elsewhere)
    await choose.click()
    await _refused(page, "Det passet finns inte längre i ditt program.")
    await page.get_by_role("button", name="English").click()
    await _refused(page, "That session is no longer in your program.")
    await page.get_by_role("button", name="Svenska").click()

    # A refusal with a code the page has no words for: a plain "that did not work".
    async def new_rule(route: Route) -> None:
        await route.fulfill(status=409, content_type="application/json", body=json.dumps(
            {"ok": False, "error": {"code": "brand_new", "message": "Enrolment rule 7b"}}))
    await page.unroute("**/api/m/choose")
    await page.route("**/api/m/choose", new_rule)
    await choose.click()
    await _refused(page, "Det gick inte. Inget ändrades – försök igen om en stund.")

    # A failure that is not JSON at all (a proxy's error page).
    async def broken(route: Route) -> None:
        await route.fulfill(status=500, content_type="text/plain", body="Internal Server Error")
    await page.unroute("**/api/m/choose")
    await page.route("**/api/m/choose", broken)
    await choose.click()
    await _refused(page, "Något gick fel på servern. Inget ändrades – försök igen om en stund.")
    await page.screenshot(path=ARTIFACTS / "min-traning-refused.png", full_page=True)
    assert await page.locator("#sessions li").get_attribute("data-mine") == "", "nothing changed"
    assert people.errors == [] and people.traffic.foreign() == []
