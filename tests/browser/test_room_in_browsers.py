"""The class in the room: what a facilitator and participants see when a
small pass does not go to plan, in real browsers on the real orchestrator,
Redis and LiveKit.

One pass drives the issue's items in order, so the browsers start once:
Anna (Swedish) and Björn (English) in Chromium, Elin and Frida on Socket.IO
only (no camera), David late on a 390×844 phone. Four people make a small
class (plenary answers are shown to everyone all the same), two pairs are
opened, a move that would leave someone alone is refused by name and board
number, swaps put Anna with Elin, a broadcast reaches every room through the
swaps and to the late joiner, Anna asks for help (kept over a reload of the
panel, "Gå in" and "Klar"), Elin closes her tab (Anna is told at once, the
board and roster show her offline), Anna's media client reconnects, the
rooms are recalled, Anna writes a commitment (Björn does not), and the pass
ends with a summary on both sides: each participant's own commitment and the
way to their journal; for the facilitator, who took part and the answers
without names (a commitment stays private).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
from playwright.async_api import Page

from exercises.demo import demo_class
from exercises.script import ClassScript, Step, StepKind, Visibility
from exercises.state import Member
from exercises.text import Text
from tests.browser.conftest import ARTIFACTS, People
from tests.browser.test_pass_in_browsers import answer_by_click, enter, in_room, state
from tests.browser.test_pass_in_browsers import until as until_30s
from tests.harness import Client, OrchestratorProcess, service_for

pytestmark = [pytest.mark.browser, pytest.mark.services]

ANNA = Member("p-anna", "Anna Lind", "Ekonomi", "Stockholm", None, 2)
BJORN = Member("p-bjorn", "Björn Berg", "IT", "Göteborg", None, 1)
DAVID = Member("p-david", "David Ek", "Produktion", "Luleå", None, 1)
ELIN = Member("p-elin", "Elin Sandberg", "Försäljning", "Umeå", None, 1)
FRIDA = Member("p-frida", "Frida Nord", "HR", "Malmö", None, 2)
COMMITMENT = "Ställa en öppen fråga till innan jag ger råd."


def committing_class() -> ClassScript:
    """The demo class with a personal commitment before the check-out, as a real class has."""
    demo = demo_class()
    commitment = Step("commitment", StepKind.COMMITMENT, Text("Åtagande", "Commitment"),
                      Text("Vad ska du pröva före nästa pass?",
                           "What will you try before the next pass?"),
                      duration=120, visibility=Visibility.PRIVATE)
    steps = list(demo.steps)
    steps.insert([s.id for s in steps].index("check-out"), commitment)
    return dataclasses.replace(demo, steps=tuple(steps))

# Every text ever shown in an element, recorded by a MutationObserver, so a
# state that lasts a moment (a media reconnect) is still seen.
RECORD_TEXTS = """selector => {
  const el = document.querySelector(selector);
  window.__seen = window.__seen || {};
  const seen = window.__seen[selector] = [el.textContent];
  new MutationObserver(() => { if (!el.hidden) seen.push(el.textContent); })
    .observe(el, {childList: true, characterData: true, subtree: true, attributes: true});
}"""

VISIBLE_BUTTONS = """() => [...document.querySelectorAll('button, input, select, textarea')]
  .filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
  .map(e => e.id || e.textContent.trim())"""


#: The machine is shared with other test runs: conditions get this long (ms) to hold.
PATIENCE_MS = 90_000


async def until(page: Page, expression: str, arg: Any = None, timeout: float = 90) -> None:
    await until_30s(page, expression, arg, timeout)


async def opened(people: People, url: str, name: str, **size: Any) -> Page:
    page = await people.open(url, name, **size)
    page.set_default_timeout(PATIENCE_MS)
    return page


async def group_of(fac: Page, person: str) -> dict[str, Any]:
    groups = (await state(fac))["view"]["groups"]
    return next(g for g in groups if person in g["members"])


async def swap(fac: Page, first: str, second: str) -> None:
    """Swap two people through the board's form; wait until each is in the other's group."""
    into = (await group_of(fac, second))["index"]
    await fac.locator("#swap-first").select_option(first)
    await fac.locator("#swap-second").select_option(second)
    await fac.get_by_role("button", name="Byt plats", exact=True).click()
    await until(fac, "([a, i]) => window.onlive.app.view.groups[i].members.includes(a)",
                [first, into])


async def test_the_class_in_the_room(env: dict[str, str], orchestrator: OrchestratorProcess,
                                     livekit_server: Any, people: People) -> None:
    async with service_for(env) as service:
        created = await service.create_pass(committing_class(), program="room")
        tickets = {m.id: await service.invite(created.id, m)
                   for m in (ANNA, BJORN, DAVID, ELIN, FRIDA)}
        facilitator_credential = service.facilitator_credential(created.id)
    base = orchestrator.base_url
    fac_url = f"{base}/f#credential={facilitator_credential}"
    fac = await opened(people, fac_url, "facilitator")
    fac.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    anna = await opened(people, f"{base}/p#ticket={tickets[ANNA.id]}", ANNA.name)
    bjorn = await opened(people, f"{base}/p#ticket={tickets[BJORN.id]}", BJORN.name)
    await enter(anna)
    await enter(bjorn)
    await bjorn.get_by_role("button", name="English").click()
    elin = Client(base, "/participant", {"ticket": tickets[ELIN.id]})
    frida = Client(base, "/participant", {"ticket": tickets[FRIDA.id]})
    await elin.connect()
    await frida.connect()
    try:
        await until(fac, "() => window.onlive.app.view && window.onlive.app.view.present === 4")
        # The lobby says it once: no "Väntar på start" twice.
        assert await fac.locator("#step-meta").inner_text() == ""
        assert await fac.locator("#step-title").inner_text() == "Väntar på start"

        # -- a small class: plenary answers are shown to everyone from the first --------
        await fac.get_by_role("button", name="Starta passet").click()
        for page in (anna, bjorn):
            await until(page, "() => document.querySelector('form.answer[data-step=\"check-in\"]')")
        await answer_by_click(anna, 4, "pigg")
        for page in (anna, bjorn):
            await until(page, "() => document.querySelector('#shared-results').dataset.count === '1'")
            assert await page.locator("#shared-results .words li").evaluate_all(
                "els => els.map(e => e.dataset.word)") == ["pigg"]
        assert "Svaren hittills, utan namn" in await anna.locator("#shared-results").inner_text()
        assert "Answers so far, without names" in await bjorn.locator("#shared-results").inner_text()
        await until(fac, "() => document.querySelector('#results').dataset.count === '1'")
        shown = await fac.locator("#results").inner_text()
        assert "pigg" in shown and "tillräckligt" not in shown, shown

        # -- "+1 minut" is announced where it happens, in each person's language --------
        await fac.get_by_role("button", name="+1 minut").click()
        await anna.locator("#cue").get_by_text("Tiden förlängdes 1 min").wait_for()
        await bjorn.locator("#cue").get_by_text("Time extended by 1 min").wait_for()
        await fac.locator("#cmd-status").get_by_text("Tiden förlängdes 1 min.").wait_for()

        # -- two pairs; a broadcast to all rooms ---------------------------------------
        await fac.get_by_role("button", name="Nästa steg").click()
        await until(fac, "() => window.onlive.app.view.step.id === 'input'")
        await fac.get_by_role("button", name="Nästa steg").click()
        await until(fac, "() => window.onlive.app.view.step.id === 'pairs'")
        await fac.get_by_role("button", name="Öppna grupprum").click()
        await until(fac, "() => window.onlive.app.view.groups.length === 2")
        await fac.locator("#broadcast-text").fill("Två minuter kvar")
        await fac.get_by_role("button", name="Skicka meddelande").click()
        for page in (anna, bjorn):
            await page.locator("#message").get_by_text("Två minuter kvar").wait_for()

        # A move that would leave someone alone: refused next to the form, by name
        # and with the group number the board shows.
        bjorn_group = await group_of(fac, BJORN.id)
        other = next(g for g in (await state(fac))["view"]["groups"]
                     if g["index"] != bjorn_group["index"])
        await fac.locator("#move-person").select_option(BJORN.id)
        await fac.locator("#move-group").select_option(str(other["index"]))
        await fac.get_by_role("button", name="Flytta", exact=True).click()
        refusal = fac.locator("#board-error")
        await refusal.wait_for(state="visible")
        text = await refusal.inner_text()
        assert f"Björn Berg kan inte flyttas: då blir någon ensam i Grupp {bjorn_group['number']}" \
            in text, text
        assert "p-bjorn" not in text and "moving" not in text

        # Swaps keep both groups' sizes; Anna ends with Elin (a swap either way).
        if ELIN.id in (await group_of(fac, ANNA.id))["members"]:
            await swap(fac, ELIN.id, BJORN.id)
        partner = next(m for m in (await group_of(fac, ANNA.id))["members"] if m != ANNA.id)
        await swap(fac, ELIN.id, partner)
        anna_group = await group_of(fac, ANNA.id)
        assert sorted(anna_group["members"]) == [ANNA.id, ELIN.id]
        assert "moved" in anna_group["reasons"]
        await in_room(anna, anna_group["room"])
        await anna.locator("#room-members").get_by_text("Elin Sandberg").wait_for()
        assert await refusal.is_hidden(), "a successful swap clears the refusal"
        # The broadcast outlives the swaps, shown once (a card, no banner repeating it).
        for page in (anna, bjorn):
            await page.locator("#message").get_by_text("Två minuter kvar").wait_for()
            assert "Två minuter kvar" not in await page.locator("#cue").inner_text()

        # -- help: at the top, on the group card, kept over a reload -------------------
        await anna.get_by_role("button", name="Be om hjälp").click()
        await anna.get_by_label("Vad behöver du? (valfritt)").fill("Ljudet hackar")
        await anna.get_by_role("button", name="Skicka", exact=True).click()
        await anna.locator("#help-status").get_by_text("Facilitatorn har fått ditt meddelande.").wait_for()
        await anna.get_by_role("button", name="English").click()
        assert await anna.locator("#help-status").inner_text() == "The facilitator has your message."
        await anna.get_by_role("button", name="Svenska").click()
        await fac.reload()
        await until(fac, "() => window.onlive.app.view && window.onlive.app.view.helps.length === 1")
        number = anna_group["number"]
        item = fac.locator("#help-top #help-log li").first
        await item.get_by_text(f"Anna Lind i Grupp {number}: Ljudet hackar").wait_for()
        card = fac.locator(f'#groups .group[data-group="{number}"]')
        assert await card.get_attribute("data-help") == "true"
        box = await fac.locator("#help-top").bounding_box()
        assert box is not None and box["y"] < 400, "help requests are at the top of the panel"

        # Anna is alone in her room's media (Elin has no camera): the alert names
        # her and the group as the board does, in Swedish, and survives a reload.
        alone = fac.locator("#alert-log li[data-code='participant_alone']", has_text="Anna Lind")
        await alone.first.wait_for(timeout=PATIENCE_MS)
        await fac.reload()
        await alone.first.wait_for()
        alert = await alone.first.inner_text()
        assert f"Anna Lind är ensam i Grupp {number}" in alert and "onlive_" not in alert, alert

        await anna.evaluate(RECORD_TEXTS, "#cue")
        await item.get_by_role("button", name="Gå in").click()
        await in_room(fac, anna_group["room"])
        await until(anna, """() => window.__seen['#cue']
            .some(t => t.includes('Facilitatorn har gått in i ert rum'))""")
        await item.get_by_role("button", name="Klar").click()
        await until(fac, "() => window.onlive.app.view.helps[0].done === true")
        assert await card.get_attribute("data-help") == "false"
        await fac.get_by_role("button", name="Tillbaka till storgruppen").click()

        # -- LiveKit drops Anna's media connection: she reads so at once ---------------
        await anna.evaluate(RECORD_TEXTS, "#moving")
        await anna.evaluate("() => window.onlive.stage.room.simulateScenario('signal-reconnect')")
        await until(anna, """() => window.__seen['#moving'].includes('Återansluter till ljud och bild…')""")
        # Back: the roster stops calling her connection lost, and so does the panel.
        await until(anna, "() => document.querySelector('#moving').hidden")
        await until(fac, """id => { const m = window.onlive.app.view.roster.find(r => r.id === id);
            return m.quality && m.quality !== 'lost'; }""", ANNA.id)
        assert await fac.locator("#alert-log li[data-code='media_reconnecting']").count() == 0

        # -- Elin closes her tab: Anna is told at once; the board shows her offline -----
        await elin.close()
        await anna.locator("#room-notice").get_by_text("Elin Sandberg har lämnat rummet").wait_for()
        notice = await anna.locator("#room-notice").inner_text()
        assert "ny grupp" in notice, notice
        await until(fac, """id => document.querySelector(`#groups li[data-person="${id}"]`)
            ?.dataset.online === 'false'""", ELIN.id)
        assert "har lämnat" in await fac.locator(f'#groups li[data-person="{ELIN.id}"]').inner_text()
        row = fac.locator(f'#roster tr[data-person="{ELIN.id}"]')
        assert await row.get_attribute("data-status") == "offline"
        assert "Utmärkt" not in await row.inner_text()


        # -- a late joiner on a phone: their card says they came late ------------------
        david = await opened(people, f"{base}/p#ticket={tickets[DAVID.id]}", DAVID.name,
                             width=390, height=844, mobile=True)
        await enter(david)
        await until(david, "() => window.onlive.app.assignment?.kind === 'breakout'")
        await david.locator("#room-reasons").get_by_text(
            "Du kom in efter att grupperna hade börjat").wait_for()
        await david.locator("#message").get_by_text("Två minuter kvar").wait_for()
        layout = await david.evaluate("""() => {
            const r = (s) => document.querySelector(s).getBoundingClientRect();
            const bar = document.querySelector('#media-controls');
            return {stage: r('.stage').top, step: r('.step').top, bar: r('#media-controls').bottom,
                    fixed: getComputedStyle(bar).position, height: innerHeight,
                    folded: !document.querySelector('#step-details').open,
                    wide: document.documentElement.scrollWidth <= innerWidth}; }""")
        assert layout["stage"] < layout["step"], f"video first on a phone: {layout}"
        assert layout["fixed"] == "fixed" and layout["bar"] <= layout["height"], layout
        assert layout["folded"] and layout["wide"], layout
        await david.screenshot(path=ARTIFACTS / "participant-phone-room.png")
        await fac.screenshot(path=ARTIFACTS / "facilitator-room.png", full_page=True)

        # -- recall: "the rooms are closed", not "waiting for the rooms to open" -------
        await fac.locator("#recall-seconds").fill("0")
        await fac.get_by_role("button", name="Kalla tillbaka").click()
        await until(fac, "() => window.onlive.app.view.rooms.state === 'closed'")
        await anna.locator("#room-members").get_by_text("Grupprummen är stängda.").wait_for()
        await bjorn.locator("#room-members").get_by_text("The breakout rooms are closed.").wait_for()
        assert "Väntar på att grupprummen öppnas" not in await anna.locator(".stage").inner_text()

        # -- a commitment: Anna writes one, Björn does not -------------------------------
        await fac.get_by_role("button", name="Nästa steg").click()
        await until(fac, "() => window.onlive.app.view.step.id === 'reflection'")
        await fac.get_by_role("button", name="Nästa steg").click()
        await until(fac, "() => window.onlive.app.view.step.id === 'commitment'")
        await until(anna, "() => document.querySelector('form.answer[data-step=\"commitment\"]')")
        await answer_by_click(anna, None, COMMITMENT)
        await fac.get_by_role("button", name="Nästa steg").click()
        await until(fac, "() => window.onlive.app.view.step.id === 'check-out'")

        # -- the end: a summary on each side; a later visit finds a full-page notice -----
        await fac.get_by_role("button", name="Avsluta passet").click()
        summary = anna.locator("#summary")
        await summary.get_by_text("Passet är slut – tack för att du var med!").wait_for()
        await until(anna, "c => document.querySelector('#summary-commitment').textContent === c",
                    COMMITMENT)
        assert "Ditt åtagande" in await summary.inner_text()
        page_text = await anna.locator("body").inner_text()
        assert page_text.count("Passet är slut") == 1, "the end is said once"
        assert page_text.count("Demopass: att lyssna på riktigt") == 1, "the title once"
        assert await anna.get_by_role("button", name="Be om hjälp").is_hidden()
        # The way to the journal, where the commitment is kept.
        await summary.get_by_role("button", name="Öppna din dagbok").click()
        entry = anna.locator('#journal-list li[data-kind="commitment"]')
        await entry.get_by_text(COMMITMENT).wait_for()
        assert await entry.get_attribute("data-pass") == created.id
        await anna.locator("#journal-close").click()
        await bjorn.locator("#summary").get_by_text("The pass has ended").wait_for()
        await until(bjorn, """() => document.querySelector('#summary-commitment').textContent
            === 'You wrote no commitment in this pass.'""")
        assert await bjorn.get_by_role("button", name="Open your journal").is_visible()
        # The facilitator: who took part, and the answers without names; the
        # commitment is counted, never shown.
        await fac.locator("#summary").wait_for()
        took = await fac.locator("#summary .summary-took li").evaluate_all(
            "els => els.map(e => e.dataset.person)")
        assert sorted(took) == sorted([ANNA.id, BJORN.id, DAVID.id, ELIN.id, FRIDA.id])
        await fac.locator('#summary .summary-step[data-step="check-in"] '
                          '.words li[data-word="pigg"]').wait_for()
        committed = fac.locator('#summary .summary-step[data-step="commitment"]')
        await committed.locator(".results-count").get_by_text("1 har svarat").wait_for()
        assert "Svaren är privata; bara antalet visas." in await committed.inner_text()
        panel = await fac.locator("body").inner_text()
        assert COMMITMENT not in panel, "a commitment is private"
        assert "Anna Lind" in await fac.locator("#summary .summary-took").inner_text()
        assert panel.count("Passet är slut") == 1, panel
        assert "Avslutat" not in panel and "Passet är avslutat" not in panel, "said once"
        assert await fac.get_by_role("button", name="Nästa steg").is_hidden()
        await fac.screenshot(path=ARTIFACTS / "facilitator-summary.png", full_page=True)
        await anna.screenshot(path=ARTIFACTS / "participant-summary.png", full_page=True)
        await anna.reload()
        await anna.locator("#notice").get_by_text("Passet är slut").first.wait_for()
        assert await anna.evaluate(VISIBLE_BUTTONS) == ["lang"]
    finally:
        await elin.close()
        await frida.close()

    assert people.errors == [], people.errors
    assert people.traffic.foreign() == [], "requests to other origins"
    errors = [e for e in orchestrator.log_entries() if e.get("level") in ("error", "critical")]
    assert errors == [], errors


async def test_broken_wrong_role_and_missing_links_show_a_full_page_notice_without_controls(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People) -> None:
    async with service_for(env) as service:
        created = await service.create_pass(demo_class(), program="links")
        ticket = await service.invite(created.id, ANNA)
    base = orchestrator.base_url
    page = await opened(people, f"{base}/p#ticket=not-a-ticket", "broken")
    await page.locator("#notice").get_by_text("Länken fungerar inte").first.wait_for()
    assert "Be facilitatorn eller den som bjöd in dig om en ny länk" in \
        await page.locator("#notice").inner_text()
    assert await page.evaluate(VISIBLE_BUTTONS) == ["lang"]
    await page.get_by_role("button", name="English").click()
    assert await page.locator("#notice-title").inner_text() == "This link does not work"

    await page.goto(f"{base}/f#credential={ticket}")  # a participant's ticket on the panel
    await page.locator("#notice-title").get_by_text("This link belongs to another page").wait_for()
    assert "facilitator link" in await page.locator("#notice-todo").inner_text()
    assert await page.evaluate(VISIBLE_BUTTONS) == ["lang"]
    await page.get_by_role("button", name="Svenska").click()
    assert await page.locator("#notice-title").inner_text() == "Länken hör till en annan sida"

    await page.goto(f"{base}/f")
    await page.evaluate("() => sessionStorage.clear()")
    await page.reload()
    await page.locator("#notice-title").get_by_text("Länken är inte hel").wait_for()
    assert await page.evaluate(VISIBLE_BUTTONS) == ["lang"]
    assert people.errors == []
