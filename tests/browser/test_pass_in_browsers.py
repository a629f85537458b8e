"""A whole pass in real browsers: one facilitator, four participants in
Chromium and one more on Socket.IO only (no camera), on the real
orchestrator, Redis and LiveKit.

The scenario (what the server supports): five people present, so opening
pair rooms makes one pair and one trio. The facilitator then moves one person
from the trio into the pair through the panel's move form; the former pair
becomes a trio (in a fresh room) and the former trio a pair. Who is moved is
chosen so that every browser participant ends up with at least one other
browser participant, whose video it must see, and nobody else's.

Björn's computer clock runs seven seconds ahead. At each timed moment every
page's countdown is checked against the deadline the server keeps: it shows
that deadline less the server's time as the page knows it: never ahead of
the server, and never a second behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Page

from exercises.demo import demo_class
from exercises.state import Member
from tests.browser.conftest import ARTIFACTS, People
from tests.harness import Client, OrchestratorProcess, Setup, service_for

pytestmark = [pytest.mark.browser, pytest.mark.services]

BROWSER_PEOPLE = [
    Member("p-anna", "Anna Lind", "Ekonomi", "Stockholm", None, 2),
    Member("p-bjorn", "Björn Berg", "IT", "Göteborg", None, 1),
    Member("p-cecilia", "Cecilia Holm", "HR", "Malmö", None, 2),
    Member("p-david", "David Ek", "Produktion", "Luleå", None, 1),
]
SOCKET_PERSON = Member("p-elin", "Elin Sandberg", "Försäljning", "Umeå", None, 1)
#: Björn's computer clock is this far ahead; his countdown must still be the server's.
SKEWED, SKEW_MS = "p-bjorn", 7_000
#: A countdown may lag the server's by less than this (a person reads whole
#: seconds); it lags by the delay of its page's quickest view of the last sixteen.
COUNTDOWN_LATE_LIMIT_MS = 1_000
#: A page learns the server's time from views stamped before they were sent, so
#: its countdown lags and never leads, but for this much: the machine's clock
#: may be stepped between a stamp and its arrival (a VM's or NTP's adjustment;
#: 12 ms was seen here) and Date.now() is a whole millisecond.
EARLY_LIMIT_MS = 100

INTERACTIVE_ROLES = {"button", "textbox", "checkbox", "radio", "combobox", "spinbutton",
                     "slider", "listbox", "searchbox", "link"}

REMOTE_VIDEOS = """() => Object.fromEntries([...document.querySelectorAll('video[data-remote]')].map(v => {
  const r = v.getBoundingClientRect();
  return [v.dataset.identity, {w: r.width, h: r.height, vw: v.videoWidth, t: v.currentTime}];
}))"""

COUNTDOWN = """() => { const e = document.querySelector('#countdown');
  return {remaining: e.dataset.remainingMs, at: Number(e.dataset.atMs), kind: e.dataset.kind,
          text: e.textContent, skew: window.__clockSkewMs || 0}; }"""


async def until(page: Page, expression: str, arg: Any = None, timeout: float = 30) -> None:
    await page.wait_for_function(expression, arg=arg, timeout=timeout * 1000)


async def state(page: Page) -> Any:
    return await page.evaluate("() => window.onlive.app")


async def in_room(page: Page, room: str, timeout: float = 30) -> None:
    """The page's video stage is connected to ``room``."""
    await until(page, """room => window.onlive.stage.connected && window.onlive.stage.roomName === room""",
                room, timeout)


async def playing_videos(page: Page) -> dict[str, Any]:
    """Remote videos with a size whose playback advances, by identity."""
    first = await page.evaluate(REMOTE_VIDEOS)
    await asyncio.sleep(1.0)
    second = await page.evaluate(REMOTE_VIDEOS)
    return {k: v for k, v in second.items()
            if k in first and v["w"] > 0 and v["h"] > 0 and v["vw"] > 0 and v["t"] > first[k]["t"]}


async def sees_exactly(page: Page, identities: set[str], timeout: float = 30) -> None:
    await until(page, """ids => { const vs = [...document.querySelectorAll('video[data-remote]')];
        const have = new Set(vs.filter(v => v.videoWidth > 0).map(v => v.dataset.identity));
        return ids.every(i => have.has(i)) && vs.length === ids.length; }""",
                sorted(identities), timeout)
    # Playing, not only shown: a video just (re)attached, after media came back,
    # may start over, so the playback is sampled until it advances or time is up.
    deadline = asyncio.get_running_loop().time() + timeout
    while set(playing := await playing_videos(page)) != identities:
        assert asyncio.get_running_loop().time() < deadline, (page.url, playing, identities)
    remote = await page.evaluate(REMOTE_VIDEOS)
    assert set(remote) == identities, f"{remote} shown, expected only {identities}"


async def enter(page: Page, name: str | None = None) -> None:
    """Go through the pre-join screen (optionally choosing the shown name) into the pass."""
    await page.locator("#prejoin").wait_for(state="visible")
    if name is not None:
        await page.get_by_label("Ditt namn, som de andra ser det").fill(name)
    await page.get_by_role("button", name="Gå in", exact=True).click()
    await until(page, "() => window.onlive.app.joined && document.querySelector('#prejoin').hidden")


def shown(ms: int) -> str:
    """The countdown's text for ``ms`` left: m:ss, rounded up (0:00 means time is up)."""
    total = -(-ms // 1000)
    return f"{total // 60}:{total % 60:02d}"


async def server_deadline(setup: Setup, pass_id: str, kind: str) -> float:
    """The deadline the server keeps for ``kind``, epoch seconds."""
    state = await setup.store.load(pass_id)
    b = state.breakout
    deadline = {"step": state.deadline, "breakout": b.deadline if b else None,
                "recall": b.recall_deadline if b else None}[kind]
    assert deadline is not None, (kind, state)
    return deadline


async def countdowns_agree(setup: Setup, pass_id: str, pages: list[Page], kind: str) -> float:
    """Each page's countdown against the server's deadline, at the instant the page drew it.

    The server and the browsers share this machine's clock, so each reading is
    checked on its own, with no need to catch every page at one instant: at the
    moment a page drew its countdown (its ``at``, on the true clock), the time it
    showed left plus that moment is when the page expects the deadline. That is
    not before the server's deadline (but for ``EARLY_LIMIT_MS``) and less than
    ``COUNTDOWN_LATE_LIMIT_MS`` after it; the text is that time; the countdown runs.
    Returns how far apart the pages' expectations are (ms).
    """
    deadline = await server_deadline(setup, pass_id, kind) * 1000
    for page in pages:
        await until(page, """kind => { const e = document.querySelector('#countdown');
            return e.dataset.kind === kind && e.dataset.remainingMs !== ''; }""", kind, timeout=10)
    values = await asyncio.gather(*(page.evaluate(COUNTDOWN) for page in pages))
    expected_at = []
    for page, v in zip(pages, values, strict=True):
        assert v["kind"] == kind, v
        remaining = int(v["remaining"])
        true_at = v["at"] - v["skew"]
        assert v["text"] == shown(remaining), v
        if remaining == 0:  # time is up on the page: it must be up on the server too
            assert true_at >= deadline - EARLY_LIMIT_MS, f"{page.url} ends early: {v}"
            continue
        late = remaining + true_at - deadline
        assert -EARLY_LIMIT_MS <= late <= COUNTDOWN_LATE_LIMIT_MS, \
            f"{page.url} expects the deadline {late:.0f} ms after the server: {v}"
        expected_at.append(late)
    # Each runs: a later drawing shows less time left (or the countdown moved on).
    await asyncio.gather(*(until(page, """([kind, at, left]) => {
        const e = document.querySelector('#countdown');
        return e.dataset.kind !== kind
            || (Number(e.dataset.atMs) > at && Number(e.dataset.remainingMs) < left); }""",
                                 [kind, v["at"], int(v["remaining"])], timeout=10)
                           for page, v in zip(pages, values, strict=True) if int(v["remaining"]) > 0))
    if kind != "recall":  # a recall may be over by now
        assert await server_deadline(setup, pass_id, kind) * 1000 == deadline, "it moved"
    return max(expected_at, default=0) - min(expected_at, default=0)


async def unnamed_controls(page: Page) -> list[str]:
    """Interactive elements in the accessibility tree that have no name."""
    cdp = await page.context.new_cdp_session(page)
    try:
        tree = await cdp.send("Accessibility.getFullAXTree")
    finally:
        await cdp.detach()
    bad = []
    for node in tree["nodes"]:
        role = (node.get("role") or {}).get("value")
        if node.get("ignored") or role not in INTERACTIVE_ROLES:
            continue
        if not str((node.get("name") or {}).get("value", "")).strip():
            bad.append(f"{role} #{node.get('backendDOMNodeId')}")
    return bad


async def answer_by_click(page: Page, energy: int | None, word: str) -> None:
    form = page.locator("form.answer")
    if energy is not None:
        await form.get_by_label(str(energy), exact=True).check()
    await form.get_by_role("textbox").fill(word)
    await page.locator("#answer-submit").click()
    await until(page, "() => document.querySelector('form.answer').dataset.saved === 'true'")


async def keyboard_check_in(page: Page, word: str) -> None:
    """Answer the check-in with the keyboard only, as a screen-reader user might."""
    await page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(40):
        await page.keyboard.press("Tab")
        if await page.evaluate("() => document.activeElement.name === 'energy'"):
            break
    else:
        pytest.fail("Tab never reached the energy choice")
    assert await page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none", \
        "the focused radio has no visible focus"
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowRight")
    picked = await page.evaluate("() => document.activeElement.checked && document.activeElement.value")
    assert picked == "3"
    await page.keyboard.press("Tab")
    assert await page.evaluate("() => document.activeElement.type") == "text"
    # Submitting without the word: an announced error, focus stays on the field.
    await page.keyboard.press("Enter")
    error = page.locator("form.answer .error")
    await error.wait_for(state="visible")
    assert await error.get_attribute("role") == "alert"
    assert await page.evaluate("() => document.activeElement.getAttribute('aria-invalid')") == "true"
    await page.keyboard.type(word)
    await page.keyboard.press("Enter")
    await until(page, "() => document.querySelector('form.answer').dataset.saved === 'true'")
    assert await error.is_hidden()


@pytest.fixture
async def server(env: dict[str, str]) -> AsyncIterator[Setup]:
    """The application as the CLI sees it, open for the whole test (it reads deadlines)."""
    async with service_for(env) as setup:
        yield setup


async def test_a_pass_with_pair_and_trio_in_real_browsers(
        env: dict[str, str], orchestrator: OrchestratorProcess, livekit_server: Any,
        people: People, server: Setup) -> None:
    created = await server.create_pass(demo_class(), program="browser")
    tickets = {m.id: await server.invite(created.id, m) for m in BROWSER_PEOPLE + [SOCKET_PERSON]}
    facilitator_credential = server.facilitator_credential(created.id)
    ops_credential = server.ops_credential()
    base = orchestrator.base_url
    main_room = created.main_room

    fac = await people.open(f"{base}/f#credential={facilitator_credential}", "facilitator")
    fac.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    pages: dict[str, Page] = {}
    for member in BROWSER_PEOPLE:
        phone = member.id == "p-david"  # one participant on a phone-sized screen
        url = f"{base}/p#ticket={tickets[member.id]}"
        skew = SKEW_MS if member.id == SKEWED else 0
        pages[member.id] = await (people.open(url, member.name, width=390, height=844, mobile=True)
                                  if phone else people.open(url, member.name, clock_skew_ms=skew))
    await pages["p-david"].locator("#prejoin").wait_for(state="visible")
    assert await pages["p-david"].evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth"), \
        "the pre-join screen fits a phone"
    await pages["p-david"].screenshot(path=ARTIFACTS / "participant-prejoin-phone.png", full_page=True)
    for page in pages.values():
        await enter(page)
    elin = Client(base, "/participant", {"ticket": tickets[SOCKET_PERSON.id]})
    await elin.connect()
    ops = await people.open(f"{base}/ops#credential={ops_credential}", "ops")
    everyone = [fac, *pages.values()]
    try:
        # -- lobby: everyone is in the main room, the credential left the URL --
        await until(fac, "() => window.onlive.app.view && window.onlive.app.view.present === 5")
        for pid, page in pages.items():
            await in_room(page, main_room)
            assert "ticket=" not in page.url, "the ticket is cleaned from the address bar"
        await in_room(fac, main_room)
        for page in everyone + [ops]:
            assert await unnamed_controls(page) == [], page.url

        # -- check-in ------------------------------------------------------------
        await fac.get_by_role("button", name="Starta passet").click()
        for page in pages.values():
            await until(page, "() => document.querySelector('form.answer[data-step=\"check-in\"]')")
        await countdowns_agree(server, created.id, everyone, "step")
        for page in everyone:
            assert await unnamed_controls(page) == [], page.url
        await keyboard_check_in(pages["p-anna"], "modig")
        await answer_by_click(pages["p-bjorn"], 4, "pigg")
        await answer_by_click(pages["p-cecilia"], 2, "trött")
        await answer_by_click(pages["p-david"], 5, "glad")
        ack = await elin.call("answer", {"step_id": "check-in", "client_id": "elin-1",
                                          "value": {"energy": 3, "word": "nyfiken"}})
        assert ack["ok"], ack
        await until(fac, "() => document.querySelector('#results').dataset.count === '5'")
        words = await fac.locator("#results .words li").evaluate_all(
            "els => els.map(e => e.dataset.word)")
        assert sorted(words) == ["glad", "modig", "nyfiken", "pigg", "trött"]
        await pages["p-bjorn"].screenshot(path=ARTIFACTS / "participant-check-in.png")
        await fac.screenshot(path=ARTIFACTS / "facilitator-check-in.png", full_page=True)

        # -- breakouts: a pair and a trio ------------------------------------------
        await fac.get_by_role("button", name="Nästa steg").click()
        await until(fac, "() => window.onlive.app.view.step.id === 'input'")
        await fac.get_by_role("button", name="Nästa steg").click()
        await until(fac, "() => window.onlive.app.view.step.id === 'pairs'")
        await fac.get_by_role("button", name="Öppna grupprum").click()
        await until(fac, "() => window.onlive.app.view.groups.length === 2")
        groups = (await state(fac))["view"]["groups"]
        assert sorted(len(g["members"]) for g in groups) == [2, 3]
        pair = next(g for g in groups if len(g["members"]) == 2)
        trio = next(g for g in groups if len(g["members"]) == 3)
        browser_ids = {m.id for m in BROWSER_PEOPLE}
        for group in groups:
            for pid in group["members"]:
                if pid in pages:
                    await in_room(pages[pid], group["room"])
            for pid in set(group["members"]) & browser_ids:
                others = (set(group["members"]) & browser_ids) - {pid}
                await sees_exactly(pages[pid], others)
        await countdowns_agree(server, created.id, everyone, "breakout")

        # The facilitator moves one person from the trio into the pair.
        mover = (SOCKET_PERSON.id if SOCKET_PERSON.id in trio["members"]
                 else sorted(trio["members"])[0])
        await fac.locator("#move-person").select_option(mover)
        await fac.locator("#move-group").select_option(str(pair["index"]))
        await fac.get_by_role("button", name="Flytta", exact=True).click()
        await until(fac, """([i, n]) => window.onlive.app.view.groups[i].members.length === n""",
                    [pair["index"], 3])
        groups = (await state(fac))["view"]["groups"]
        new_trio, new_pair = groups[pair["index"]], groups[trio["index"]]
        assert set(new_trio["members"]) == set(pair["members"]) | {mover}
        assert "moved" in new_trio["reasons"]
        assert new_trio["room"] != pair["room"], "the grown group gets a fresh room"
        final: dict[str, set[str]] = {}
        for group in (new_pair, new_trio):
            for pid in set(group["members"]) & browser_ids:
                final[pid] = (set(group["members"]) & browser_ids) - {pid}
                assert final[pid], f"{pid} has a browser partner"
                await in_room(pages[pid], group["room"])
        # Known server gap: the group that shrinks keeps its room but gets no
        # new assignment, so its members still see the old member list (and
        # old positions, hence roles). Checked here, reported at the end.
        gaps: list[str] = []
        view = (await state(fac))["view"]
        roles = [r["id"] for r in view["step"]["roles"]]
        for pid, partners in final.items():
            await sees_exactly(pages[pid], partners)
            group = next(g for g in (new_pair, new_trio) if pid in g["members"])
            heading = await pages[pid].locator("#room-heading").inner_text()
            expected = "Parrum" if len(group["members"]) == 2 else "Triorum"
            role = await pages[pid].locator("#role").get_attribute("data-role")
            # The third of a trio in a pair exercise holds the extra role (an observer).
            cycle = roles + [view["step"]["extra_role"]["id"]] * max(0, len(group["members"]) - len(roles))
            expected_role = cycle[(group["members"].index(pid) + view["rooms"]["turn"]) % len(cycle)]
            assert await pages[pid].locator("#role").is_visible(), "the exercise role is shown"
            if (heading, role) != (expected, expected_role):
                assert group is new_pair, f"{pid} in the grown group shows {heading!r}, {role!r}"
                gaps.append(f"{pid} shows {heading!r} as {role!r} after the move, "
                            f"expected {expected!r} as {expected_role!r}")
        spread = await countdowns_agree(server, created.id, everyone, "breakout")
        for page in everyone:
            assert await unnamed_controls(page) == [], page.url

        # A message to every room (shown once, as a card), and a call for help back.
        await fac.locator("#broadcast-text").fill("Två minuter kvar")
        await fac.get_by_role("button", name="Skicka meddelande").click()
        for page in pages.values():
            await page.locator("#message").get_by_text("Två minuter kvar").wait_for()
        helper = pages["p-cecilia"]
        await helper.get_by_role("button", name="Be om hjälp").click()
        await helper.get_by_label("Vad behöver du? (valfritt)").fill("Ljudet hackar")
        await helper.get_by_role("button", name="Skicka", exact=True).click()
        await helper.locator("#help-status").get_by_text("Facilitatorn har fått").wait_for()
        await fac.locator("#help-log").get_by_text("Cecilia Holm").wait_for()
        assert "Ljudet hackar" in await fac.locator("#help-log").inner_text()

        trio_browser = sorted(set(new_trio["members"]) & browser_ids)[0]
        pair_browser = sorted(set(new_pair["members"]) & browser_ids)[0]
        await pages[pair_browser].screenshot(path=ARTIFACTS / "participant-pair.png")
        await pages[trio_browser].screenshot(path=ARTIFACTS / "participant-trio.png")
        await fac.screenshot(path=ARTIFACTS / "facilitator-breakouts.png", full_page=True)
        await until(ops, "() => document.querySelectorAll('#passes tbody tr').length === 1", timeout=10)
        await ops.screenshot(path=ARTIFACTS / "ops.png", full_page=True)
        await pages["p-david"].screenshot(path=ARTIFACTS / "participant-phone.png", full_page=True)
        assert await pages["p-david"].evaluate(
            "() => document.documentElement.scrollWidth <= window.innerWidth"), \
            "the phone-width page does not scroll sideways"

        # A reload returns to the breakout room, partner on screen again.
        reloaded = pages[trio_browser]
        await reloaded.reload()
        room = next(g for g in (new_pair, new_trio) if trio_browser in g["members"])["room"]
        await in_room(reloaded, room)
        assert await reloaded.locator("#prejoin").is_hidden(), "a reload skips the pre-join screen"
        await sees_exactly(reloaded, final[trio_browser])
        for partner in final[trio_browser]:
            await sees_exactly(pages[partner], final[partner])

        # -- recall: everyone back in the main room ----------------------------------
        await fac.locator("#recall-seconds").fill("5")
        await fac.get_by_role("button", name="Kalla tillbaka").click()
        await until(fac, "() => window.onlive.app.view.rooms.state === 'recalling'")
        await countdowns_agree(server, created.id, everyone, "recall")
        await until(fac, "() => window.onlive.app.view.rooms.state === 'closed'", timeout=20)
        for page in pages.values():
            await in_room(page, main_room)
            await until(page, "() => document.querySelector('#room-heading').dataset.kind === 'main'")

        # -- reflection, check-out, end ---------------------------------------------
        await fac.get_by_role("button", name="Nästa steg").click()
        await until(fac, "() => window.onlive.app.view.step.id === 'reflection'")
        await fac.get_by_role("button", name="Nästa steg").click()
        await until(fac, "() => window.onlive.app.view.step.id === 'check-out'")
        for pid, word in zip(pages, ["lugn", "tacksam", "inspirerad", "redo"], strict=True):
            await until(pages[pid], "() => document.querySelector('form.answer[data-step=\"check-out\"]')")
            await answer_by_click(pages[pid], None, word)
        ack = await elin.call("answer", {"step_id": "check-out", "client_id": "elin-2",
                                          "value": {"word": "glad"}})
        assert ack["ok"], ack
        await until(fac, "() => document.querySelector('#results').dataset.count === '5'")
        await countdowns_agree(server, created.id, everyone, "step")
        await fac.get_by_role("button", name="Avsluta passet").click()
        for page in everyone:
            await until(page, "() => document.body.dataset.phase === 'ended'")
        for page in pages.values():
            await until(page, "() => !window.onlive.stage.connected")
        await pages["p-anna"].screenshot(path=ARTIFACTS / "participant-ended.png")
        print(f"breakout countdowns within {spread:.0f} ms of each other")
    finally:
        await elin.close()

    assert people.errors == [], people.errors
    assert people.traffic.foreign() == [], "requests to other origins"
    assert any(u.startswith(f"ws://127.0.0.1:{livekit_server.port}/rtc") for u in people.traffic.urls)
    errors = [e for e in orchestrator.log_entries() if e.get("level") in ("error", "critical")]
    assert errors == [], errors
    assert gaps == [], "members left behind by a move see the new member list"
