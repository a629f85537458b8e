"""Before the pass and between passes, in Chromium: the pre-join screen
(preview, device pickers, echo test, the shown name), the private journal,
and a commitment coming back privately at the next pass's follow-up.

One browser, at most three contexts at a time, on the real orchestrator,
Redis and LiveKit (the echo peer is the orchestrator's aiortc peer).
"""

from __future__ import annotations

import time

import pytest

from exercises.demo import demo_class
from exercises.script import ClassScript, Step, StepKind
from exercises.state import Member
from exercises.text import Text
from tests.browser.conftest import ARTIFACTS, People
from tests.browser.test_pass_in_browsers import answer_by_click, enter, in_room, unnamed_controls, until
from tests.harness import Client, OrchestratorProcess, service_for

pytestmark = [pytest.mark.browser, pytest.mark.services]

FRIDA = Member("p-frida", "Frida Ny", "HR", "Malmö", None, 1)
ECHO_RESULT = """() => { const e = document.querySelector('#echo-result');
  return e.hidden ? null : {verdict: e.dataset.verdict, rtt: e.dataset.rttMs, text: e.innerText}; }"""


async def test_pre_join_preview_echo_and_name_then_the_journal_keeps_the_check_in(
        orchestrator: OrchestratorProcess, env: dict[str, str], people: People) -> None:
    async with service_for(env) as service:
        created = await service.create_pass(demo_class(), program="prejoin")
        ticket = await service.invite(created.id, FRIDA)
        facilitator_credential = service.facilitator_credential(created.id)
        ops_credential = service.ops_credential()
    base = orchestrator.base_url
    ops = await people.open(f"{base}/ops#credential={ops_credential}", "ops")
    page = await people.open(f"{base}/p#ticket={ticket}", "Frida")

    # -- the pre-join screen: preview, fake devices listed, nothing recorded ---------
    await page.locator("#prejoin").wait_for(state="visible")
    assert await page.locator("#main > .step").is_hidden(), "the pass waits until Join"
    assert "Inget spelas in" in await page.locator("#prejoin .norec-note").inner_text()
    await until(page, "() => document.querySelector('#preview').videoWidth > 0")
    cameras = await page.get_by_label("Kamera", exact=True).locator("option").all_inner_texts()
    mics = await page.get_by_label("Mikrofon", exact=True).locator("option").all_inner_texts()
    assert cameras and all("fake" in c.lower() for c in cameras), cameras
    assert mics and all("fake" in m.lower() for m in mics), mics
    assert not await page.evaluate("() => window.onlive.stage.connected"), "no room before Join"
    assert await unnamed_controls(page) == []

    # Another microphone restarts the preview with that device.
    if len(mics) > 1:
        await page.get_by_label("Mikrofon", exact=True).select_option(label=mics[-1])
        await until(page, """label => { const s = document.querySelector('#preview').srcObject;
            return s && s.getAudioTracks()[0] && s.getAudioTracks()[0].label === label; }""", mics[-1])
        await until(page, "() => document.querySelector('#preview').videoWidth > 0")

    # -- the echo test: own picture back through the server, then a verdict ----------
    await page.get_by_role("button", name="Testa ljud och bild").focus()
    await page.keyboard.press("Enter")  # keyboard operable
    await until(page, """() => { const v = document.querySelector('#echo-video');
        return v.videoWidth > 0 && v.currentTime > 0; }""", timeout=20)
    await until(ops, """() => { const e = document.querySelector('[data-check="echo"]');
        return e && e.dataset.active === '1' && e.dataset.capacity === '4'; }""", timeout=15)
    await until(page, ECHO_RESULT, timeout=40)
    result = await page.evaluate(ECHO_RESULT)
    assert result["verdict"] in ("good", "fair", "poor"), result
    rtt = float(result["rtt"])  # shown as a number, also when the machine is busy
    assert 0 <= rtt < 5000
    assert f"Fördröjning tur och retur: {result['rtt']} ms" in result["text"]
    assert "Förlorade paket" in result["text"]
    print(f"\necho verdict {result['verdict']}, rtt {rtt} ms")
    await page.evaluate("() => window.scrollTo(0, 0)")
    await page.screenshot(path=ARTIFACTS / "participant-prejoin.png", full_page=True)
    await ops.screenshot(path=ARTIFACTS / "ops.png", full_page=True)
    await page.get_by_text("Hur bedöms testet?").click()
    assert "högst 150 ms" in await page.locator(".echo-help").inner_text()

    # -- the chosen name reaches the facilitator's roster and the video tile ----------
    fac = await people.open(f"{base}/f#credential={facilitator_credential}", "facilitator")
    await fac.locator("#roster tr[data-person='p-frida']").wait_for()
    await enter(page, "  Frida   Fri ")
    await fac.locator("#roster tr[data-person='p-frida'] th").get_by_text("Frida Fri", exact=True).wait_for()
    await in_room(page, created.main_room)
    await until(fac, """() => {
        const v = document.querySelector('video[data-remote][data-identity="p-frida"]');
        return v && v.closest('figure').dataset.name === 'Frida Fri'; }""")
    assert await page.locator(".tile-local .tile-name").inner_text() == "Frida Fri (Du)"
    published = await page.evaluate("""() => window.onlive.stage.tracks
        .find(t => t.kind === 'audio').mediaStreamTrack.label""")
    assert published == mics[-1], "the room gets the microphone chosen before joining"
    await until(ops, "() => document.querySelector('[data-check=\"echo\"]').dataset.active === '0'",
                timeout=15)

    # -- check-in, then the private journal shows it, newest first --------------------
    await fac.get_by_role("button", name="Starta passet").click()
    await until(page, "() => document.querySelector('form.answer[data-step=\"check-in\"]')")
    await answer_by_click(page, 4, "nyfiken")
    await page.get_by_role("button", name="Min dagbok").click()
    journal = page.get_by_role("dialog", name="Min dagbok")
    entry = journal.locator("li.journal-entry[data-kind='check-in']")
    await entry.wait_for()
    text = await entry.inner_text()
    assert "Incheckning" in text and "Energi: 4 av 5" in text and "Ord: nyfiken" in text, text
    assert time.strftime("%Y") in text, "the entry is dated"
    assert await unnamed_controls(page) == []
    await page.screenshot(path=ARTIFACTS / "participant-journal.png")
    await page.keyboard.press("Escape")
    await journal.wait_for(state="hidden")
    assert await page.evaluate("() => document.activeElement.id") == "journal-open"

    # -- a reload goes straight back into the pass, with the same name ---------------
    await page.reload()
    await in_room(page, created.main_room)
    assert await page.locator("#prejoin").is_hidden()
    await until(page, "() => document.querySelector('form.answer[data-step=\"check-in\"]')"
                      " && document.querySelector('form.answer').dataset.saved === 'true'")
    assert await page.locator(".tile-local .tile-name").inner_text() == "Frida Fri (Du)"
    assert people.errors == [], people.errors
    assert people.traffic.foreign() == [], "requests to other origins"
    errors = [e for e in orchestrator.log_entries() if e.get("level") in ("error", "critical")]
    assert errors == [], errors


COMMIT = Step("commit", StepKind.COMMITMENT, Text("Åtagande", "Commitment"),
              Text("Vad provar du till nästa gång?", "What will you try before next time?"))
FOLLOW = Step("follow", StepKind.FOLLOW_UP, Text("Uppföljning", "Follow-up"),
              Text("Provade du det du bestämde?", "Did you try what you decided?"))
CHECK_IN = Step("in", StepKind.CHECK_IN, Text("Incheckning", "Check-in"),
                Text("Hur är det?", "How are you?"))
PROMISE = "Fråga innan jag föreslår."


def script(id_: str, title: str, *steps: Step) -> ClassScript:
    return ClassScript(id=id_, version=1, title=Text(title, title), description=Text(title, title),
                       steps=steps)


async def test_a_commitment_returns_privately_at_the_next_passs_follow_up(
        orchestrator: OrchestratorProcess, env: dict[str, str], people: People) -> None:
    anna, bo = Member("p-anna", "Anna Lind", "HR"), Member("p-bo", "Bo Ek", "IT")
    async with service_for(env) as service:
        first = await service.create_pass(script("first", "Pass 1", COMMIT), program="gym-autumn")
        second = await service.create_pass(script("second", "Pass 2", FOLLOW, CHECK_IN),
                                           program="gym-autumn")
        first_ticket = await service.invite(first.id, anna)
        anna_ticket, bo_ticket = [await service.invite(second.id, m) for m in (anna, bo)]
        credentials = [service.facilitator_credential(p.id) for p in (first, second)]
    base = orchestrator.base_url
    facs = [Client(base, "/facilitator", {"credential": c}) for c in credentials]
    try:
        # -- pass 1: Anna commits to something --------------------------------------------
        await facs[0].connect()
        page = await people.open(f"{base}/p#ticket={first_ticket}", "Anna")
        await enter(page)
        assert (await facs[0].command("start"))["ok"]
        await until(page, "() => document.querySelector('form.answer[data-step=\"commit\"]')")
        await page.locator("form.answer").get_by_role("textbox").fill(PROMISE)
        await page.locator("#answer-submit").click()
        await until(page, "() => document.querySelector('form.answer').dataset.saved === 'true'")
        assert await page.locator("#follow-up").is_hidden()
        assert (await facs[0].command("end"))["ok"]
        await until(page, "() => document.body.dataset.phase === 'ended'")

        # -- pass 2, same program: a new link shows the pre-join screen again ----------
        await facs[1].connect()
        await page.goto(f"{base}/p#ticket={anna_ticket}")
        await page.reload()  # the new ticket is in this tab's storage now
        await enter(page)
        bo_page = await people.open(f"{base}/p#ticket={bo_ticket}", "Bo")
        await enter(bo_page)
        assert (await facs[1].command("start"))["ok"]
        for p in (page, bo_page):
            await until(p, "() => document.querySelector('form.answer[data-step=\"follow\"]')")
        box = page.locator("#follow-up")
        await box.get_by_text(PROMISE).wait_for()
        text = await box.inner_text()
        assert "Förra gången bestämde du dig för:" in text and "Pass 1" in text, text
        # The box sits above the answer form.
        assert await page.evaluate("""() => document.querySelector('#follow-up')
            .compareDocumentPosition(document.querySelector('form.answer'))
            & Node.DOCUMENT_POSITION_FOLLOWING""")
        bo_box = bo_page.locator("#follow-up")
        await bo_box.get_by_text("Du har inget sparat åtagande").wait_for()
        assert PROMISE not in await bo_page.locator("body").inner_text(), "private to Anna"
        await page.screenshot(path=ARTIFACTS / "participant-follow-up.png")

        # A reload brings it back from the snapshot, straight into the pass.
        await page.reload()
        await box.get_by_text(PROMISE).wait_for()
        assert await page.locator("#prejoin").is_hidden()

        # The follow-up answer joins the commitment in the journal, newest first.
        await page.locator("form.answer").get_by_label("Delvis").check()
        await page.locator("#answer-submit").click()
        await until(page, "() => document.querySelector('form.answer').dataset.saved === 'true'")
        await page.get_by_role("button", name="Min dagbok").click()
        entries = page.locator("#journal-list li.journal-entry")
        await until(page, "() => document.querySelectorAll('#journal-list li').length === 2")
        kinds = await entries.evaluate_all("els => els.map(e => e.dataset.kind)")
        assert kinds == ["follow-up", "commitment"]
        assert "Provade: Delvis" in await entries.nth(0).inner_text()
        assert PROMISE in await entries.nth(1).inner_text()
    finally:
        for fac in facs:
            await fac.close()
    assert people.errors == [], people.errors
    assert people.traffic.foreign() == [], "requests to other origins"
