"""LiveKit killed in the middle of a pass, in real browsers on the real
orchestrator, Redis and LiveKit (a LiveKit of this test's own, so it may be
killed and started again on the same port).

Anna (Swedish) and Björn (English) talk in a pair room while the facilitator
is in the main room. LiveKit is killed with SIGKILL: the participants read
"Återansluter till ljud och bild…" (Björn in English) and never "Ansluten"
while it is away; the facilitator's panel shows the outage as an alert in
Swedish, with no internal ids, and names who is reconnecting. LiveKit comes
back: the rooms are created again, everyone is back in their own room with
their partner on screen, the notices clear, the roster no longer calls their
connection lost and the panel says sound and picture work again.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from exercises.demo import demo_class
from exercises.state import Member
from orchestrator.root.procs import (
    Child,
    LiveKitKeys,
    free_port,
    load_or_create_keys,
    start_livekit,
)
from tests.browser.conftest import ARTIFACTS, People
from tests.browser.test_pass_in_browsers import enter, in_room, sees_exactly, state
from tests.browser.test_pass_in_browsers import until as until_30s
from tests.conftest import LIVEKIT_BIN
from tests.harness import Killable, OrchestratorProcess, service_for

pytestmark = [pytest.mark.browser, pytest.mark.services]

ANNA = Member("p-anna", "Anna Lind", "Ekonomi", "Stockholm", None, 2)
BJORN = Member("p-bjorn", "Björn Berg", "IT", "Göteborg", None, 1)

#: The machine is shared with other test runs: conditions get this long (s) to hold.
PATIENCE_S = 90

# Every text ever shown in an element, recorded by a MutationObserver, so a
# state that lasts a moment is still seen.
RECORD_TEXTS = """selector => {
  const el = document.querySelector(selector);
  window.__seen = window.__seen || {};
  const seen = window.__seen[selector] = [el.hidden ? '' : el.textContent];
  new MutationObserver(() => seen.push(el.hidden ? '' : el.textContent))
    .observe(el, {childList: true, characterData: true, subtree: true, attributes: true});
}"""

SEEN = "selector => window.__seen[selector]"


async def until(page: Page, expression: str, arg: Any = None) -> None:
    await until_30s(page, expression, arg, PATIENCE_S)


@dataclass(frozen=True)
class Pages:
    fac: Page
    anna: Page
    bjorn: Page

    def __iter__(self) -> Any:
        return iter((self.fac, self.anna, self.bjorn))


async def facilitator_anna_and_bjorn(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People, program: str,
        invited: tuple[Member, ...]) -> tuple[Any, dict[str, str], Pages]:
    """A demo pass with ``invited``; the facilitator's page, and Anna's (Swedish) and
    Björn's (English) in the pass, the facilitator seeing both present."""
    async with service_for(env) as service:
        created = await service.create_pass(demo_class(), program=program)
        tickets = {m.id: await service.invite(created.id, m) for m in invited}
        facilitator_credential = service.facilitator_credential(created.id)
    base = orchestrator.base_url
    pages = Pages(await people.open(f"{base}/f#credential={facilitator_credential}", "facilitator"),
                  await people.open(f"{base}/p#ticket={tickets[ANNA.id]}", ANNA.name),
                  await people.open(f"{base}/p#ticket={tickets[BJORN.id]}", BJORN.name))
    for page in pages:
        page.set_default_timeout(PATIENCE_S * 1000)
    await enter(pages.anna)
    await enter(pages.bjorn)
    await pages.bjorn.get_by_role("button", name="English").click()
    await until(pages.fac, "() => window.onlive.app.view && window.onlive.app.view.present === 2")
    return created, tickets, pages


@dataclass
class KillableLiveKit(Killable):
    """A livekit-server of one test's own, with the fields of the session's."""

    url: str
    http_url: str
    port: int
    keys: LiveKitKeys
    webhook_port: int
    child: Child


@pytest.fixture
async def livekit_server(tmp_path: Path) -> AsyncIterator[KillableLiveKit]:
    """This module's LiveKit (the session's must never be killed)."""
    if not LIVEKIT_BIN.exists():
        pytest.fail(f"livekit-server is not installed at {LIVEKIT_BIN}: run make test")
    state_dir = tmp_path / "livekit"
    keys = load_or_create_keys(state_dir / "keys.json")
    port, webhook_port = free_port(), free_port()
    udp_port = free_port(kind=socket.SOCK_DGRAM)
    child = await asyncio.to_thread(
        start_livekit, LIVEKIT_BIN, state_dir, port=port, udp_port=udp_port, keys=keys,
        webhook_url=f"http://127.0.0.1:{webhook_port}/webhooks/livekit",
        empty_timeout=60, departure_timeout=5)
    server = KillableLiveKit(f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}", port, keys,
                             webhook_port, child)
    try:
        yield server
    finally:
        server.child.stop()


async def test_livekit_killed_mid_pass_is_told_to_everyone_and_the_rooms_come_back(
        env: dict[str, str], orchestrator: OrchestratorProcess,
        livekit_server: KillableLiveKit, people: People) -> None:
    created, _, (fac, anna, bjorn) = await facilitator_anna_and_bjorn(
        env, orchestrator, people, "outage", (ANNA, BJORN))

    # -- a pair room: Anna and Björn see each other -------------------------------------
    await fac.get_by_role("button", name="Starta passet").click()
    for step in ("input", "pairs"):
        await fac.get_by_role("button", name="Nästa steg").click()
        await until(fac, "s => window.onlive.app.view.step.id === s", step)
    await fac.get_by_role("button", name="Öppna grupprum").click()
    await until(fac, "() => window.onlive.app.view.groups.length === 1")
    pair = (await state(fac))["view"]["groups"][0]
    assert sorted(pair["members"]) == [ANNA.id, BJORN.id]
    await in_room(fac, created.main_room, PATIENCE_S)
    for page, partner in ((anna, BJORN.id), (bjorn, ANNA.id)):
        await in_room(page, pair["room"], PATIENCE_S)
        await sees_exactly(page, {partner}, PATIENCE_S)
    for page in (anna, bjorn):
        await page.evaluate(RECORD_TEXTS, "#moving")
        await page.evaluate(RECORD_TEXTS, "#conn")

    # -- LiveKit is killed ---------------------------------------------------------------
    livekit_server.kill()
    down = fac.locator("#alert-log li[data-code='livekit_unreachable']")
    await down.first.wait_for()
    alert = await down.first.inner_text()
    assert "Ljud och bild fungerar inte just nu" in alert, alert
    await until(fac, """() => document.querySelector('#conn').textContent
        === 'Bild och ljud är borta en stund – du kopplas in igen automatiskt.'""")
    # Who is reconnecting, by name, as long as they are.
    media = fac.locator("#alert-log li[data-code='media_reconnecting']")
    await until(fac, """() => ['Anna Lind', 'Björn Berg'].every(n => document.querySelector(
        "#alert-log li[data-code='media_reconnecting']")?.textContent.includes(n))""")
    assert (await media.inner_text()).startswith("Återansluter till ljud och bild: ")
    for page, reconnecting, away in (
            (anna, "Återansluter till ljud och bild…",
             "Bild och ljud är borta en stund – du kopplas in igen automatiskt."),
            (bjorn, "Reconnecting to sound and picture…",
             "Video and sound are away for a moment – you will be reconnected automatically.")):
        await until(page, "([s, t]) => window.__seen[s].includes(t)", ["#moving", reconnecting])
        await until(page, "t => document.querySelector('#conn').textContent === t", away)
        assert await page.locator("#moving").is_visible()
    # While it was away, nothing said all is well.
    for page, online in ((anna, "Ansluten"), (bjorn, "Connected")):
        seen = await page.evaluate(SEEN, "#conn")
        assert online not in seen[1:], seen
    await anna.screenshot(path=ARTIFACTS / "participant-media-outage.png")
    await fac.screenshot(path=ARTIFACTS / "facilitator-media-outage.png", full_page=True)

    # -- LiveKit is back: the rooms, the partners and the calm come back -----------------
    await livekit_server.start_again()
    await fac.locator("#alert-log li[data-code='livekit_recovered']").first.wait_for()
    restored = fac.locator("#alert-log li[data-code='rooms_restored']")
    await restored.first.wait_for()
    # The main room and the pair's room.
    assert "Rummen i passet är återskapade efter avbrottet (2 st)." in \
        await restored.first.inner_text()
    for page, partner, online in ((anna, BJORN.id, "Ansluten"), (bjorn, ANNA.id, "Connected")):
        await in_room(page, pair["room"], PATIENCE_S)
        await sees_exactly(page, {partner}, PATIENCE_S)
        await until(page, "() => document.querySelector('#moving').hidden")
        await until(page, "t => document.querySelector('#conn').textContent === t", online)
    await in_room(fac, created.main_room, PATIENCE_S)
    await until(fac, "() => document.querySelector('#conn').textContent === 'Ansluten'")
    # The roster no longer calls their connection lost, and the line is gone.
    await until(fac, """() => window.onlive.app.view.roster
        .every(m => m.connected && m.quality && m.quality !== 'lost')""")
    assert await media.count() == 0

    # The panel said it all once, in Swedish, naming no room, pass or person by its id.
    assert await down.count() == 1, "one alert for one outage"
    log = await fac.locator("#alert-log").inner_text()
    for raw in ("onlive_", created.id, ANNA.id, BJORN.id, "LiveKit is", "unreachable", "{"):
        assert raw not in log, (raw, log)
    # So does the panel opened afresh (alerts come with the snapshot).
    await fac.reload()
    await fac.locator("#alert-log li[data-code='rooms_restored']").first.wait_for()
    again = await fac.locator("#alert-log").inner_text()
    assert sorted(again.splitlines()) == sorted(log.splitlines()), (again, log)
    await fac.screenshot(path=ARTIFACTS / "facilitator-media-back.png", full_page=True)

    assert people.errors == [], people.errors
    assert people.traffic.foreign() == [], "requests to other origins"
    # Errors logged are the outage's own, never a failure of the service.
    errors = [e for e in orchestrator.log_entries() if e.get("level") in ("error", "critical")]
    assert all("LiveKit" in str(e.get("msg")) for e in errors), errors
