"""The class page in a real browser: an admin copies a class, moves a step with the keyboard,
edits a step until a problem shows translated beside its field, fixes it, saves a new
version and exports it as YAML in today's class-file format; a facilitator's own page lists
the passes they lead and opens one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from exercises import library
from exercises.classfile import parse_class
from exercises.gym.program import Audience, Cadence, ProgramClassSpec, ProgramSpec, SessionSpec
from orchestrator.root.oneshot import one_shot
from orchestrator.tickets import Kind
from tests.browser.conftest import ARTIFACTS, People
from tests.harness import OrchestratorProcess, settings_for
from tests.waiting import eventually

pytestmark = [pytest.mark.browser, pytest.mark.services]

ORG = "default"
SOURCE = "listening-for-real"


async def test_an_admin_copies_reorders_edits_saves_and_exports_a_class(
        people: People, orchestrator: OrchestratorProcess, env: dict[str, str]) -> None:
    settings = settings_for(env)
    async with one_shot(settings) as services:
        await services.gym.records.ensure_org(ORG)
        _, url = await services.gym.staff.issue(ORG, Kind.ADMIN, "Lea Admin")
    link = url.replace("/admin#", "/classes#")
    page = await people.open(link, "admin")
    await page.get_by_role("heading", name="Inbyggda klasser").wait_for()
    title = library.get_class(SOURCE, library.example_params(SOURCE)).title.sv
    await page.get_by_role("button", name=f"Kopiera: {title}").click()
    await page.get_by_role("heading", name=f"Kopia av {title}").wait_for()
    await page.get_by_label("Klassens id (bokstäver, siffror, - eller _)").fill("vart-lyssnande")

    # Step 2 moves up with the keyboard; focus stays on the moved step's button.
    steps = page.locator("#steps > li")
    second = await steps.nth(1).get_attribute("data-step-id")
    await steps.nth(1).locator("[data-move='up']").focus()
    await page.keyboard.press("Enter")
    assert await steps.nth(0).get_attribute("data-step-id") == second
    focused = await page.evaluate("document.activeElement.closest('li').dataset.stepId")
    assert focused == second
    assert "är nu steg 1" in await page.locator("#steps-live").text_content()  # type: ignore[operator]

    # A breakout of one minute is refused beside its field, in Swedish.
    found = steps.filter(has=page.get_by_text("Typ: Övning i grupper")).first
    breakout = page.locator(f"#steps > li[data-step-id='{await found.get_attribute('data-step-id')}']")
    minutes = breakout.get_by_label("Minuter", exact=True)
    await minutes.fill("1")
    await page.get_by_role("button", name="Kontrollera").click()
    error = breakout.locator("[data-error-for$='.duration']")
    await error.get_by_text("Minst 2 minuter.").wait_for()
    assert await minutes.get_attribute("aria-invalid") == "true"
    await page.screenshot(path=str(ARTIFACTS / "class-page-problem.png"), full_page=True)

    # The language switch translates the problem too; the server's English never shows.
    await page.locator("#lang").click()
    await error.get_by_text("At least 2 minutes.").wait_for()
    await page.locator("#lang").click()
    await error.get_by_text("Minst 2 minuter.").wait_for()

    # Fixed, the title of the moved step edited, and saved as version 1 of the copy.
    await minutes.fill("12")
    moved = steps.nth(0)
    await moved.get_by_role("group", name="Rubrik").get_by_label("svenska").fill("Vi börjar")
    await moved.get_by_role("group", name="Rubrik").get_by_label("engelska").fill("We begin")
    await page.get_by_role("button", name="Spara ny version").click()
    await page.get_by_text("Sparat som version 1.").wait_for()
    await page.get_by_role("heading", name="(version 1)").wait_for()

    # Exported: today's class-file format, with the change, parsed back as the same class.
    async with page.expect_download() as download_info:
        await page.locator("#export").click()
    download = await download_info.value
    path = ARTIFACTS / "vart-lyssnande.yaml"
    await download.save_as(path)
    text = path.read_text(encoding="utf-8")
    template = parse_class(text, str(path), library.exercise_index())
    assert template.script.id == "vart-lyssnande" and template.script.version == 1
    assert template.script.steps[0].id == second
    assert template.script.steps[0].title.sv == "Vi börjar"
    assert "use: active-listening-pairs" in text
    async with one_shot(settings) as services:
        stored = await services.gym.classes.export(ORG, "vart-lyssnande")
        history = await services.gym.records.class_history(ORG, "vart-lyssnande")
    assert stored.yaml == text
    assert [(v.version, v.saved_by, v.source) for v in history] == [(1, "Lea Admin", "editor")]

    # Back in the library: the copy is listed with where it came from.
    await page.get_by_role("button", name="Stäng").click()
    row = page.locator("#own tr[data-class-id='vart-lyssnande']")
    await row.get_by_text(f"kopia av {SOURCE}").wait_for()
    assert not people.errors and not people.traffic.foreign()


async def test_a_facilitator_sees_their_passes_and_opens_the_one_about_to_start(
        people: People, orchestrator: OrchestratorProcess, env: dict[str, str]) -> None:
    settings = settings_for(env)
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    async with one_shot(settings) as services:
        gym = services.gym
        await gym.records.ensure_org(ORG)
        await gym.programs.create(ORG, ProgramSpec("lead", "Ledarskap 2027", Audience(),
                                                   Cadence.WEEKLY))
        await gym.programs.add_class(ORG, "lead", ProgramClassSpec(SOURCE))
        soon = await gym.programs.add_session(ORG, "lead", "1", SessionSpec(
            start + timedelta(minutes=20), "Europe/Stockholm", 8, "Fia"))
        later = await gym.programs.add_session(ORG, "lead", "1", SessionSpec(
            start + timedelta(days=3), "Europe/Stockholm", 8, "Fia"))
        await gym.programs.add_session(ORG, "lead", "1", SessionSpec(
            start + timedelta(days=1), "Europe/Stockholm", 8, "Gus"))
        _, url = await gym.staff.issue(ORG, Kind.FACILITATOR_HOME, "Fia")
    page = await people.open(url, "facilitator")
    await page.get_by_role("heading", name="Pass som Fia leder").wait_for()
    rows = page.locator("#sessions tr")
    async def two() -> bool:
        return await rows.count() == 2
    await eventually(two, what="both of Fia's passes listed")
    assert [await rows.nth(i).get_attribute("data-pass") for i in range(2)] == [
        soon.pass_id, later.pass_id]
    assert "0 av 8" in (await rows.nth(0).text_content() or "")
    assert "Kan öppnas från" in (await rows.nth(1).text_content() or "")
    await page.screenshot(path=str(ARTIFACTS / "facilitator-passes.png"), full_page=True)
    await rows.nth(1).get_by_role("button").click()
    await page.get_by_role("alert").get_by_text("Passet kan öppnas från").wait_for()
    await rows.nth(0).get_by_role("button").click()
    await page.wait_for_url("**/f")
    script = library.get_class(SOURCE, library.example_params(SOURCE))
    await page.locator("#pass-title").get_by_text(script.title.sv).wait_for()
    # The step edit before the start shows the step as it is now.
    first = script.steps[0]
    await page.get_by_role("button", name=f"Redigera: {first.title.sv}").click()
    dialog = page.locator("#edit-dialog")
    assert await dialog.get_by_label("Instruktion (svenska)").input_value() == first.prompt.sv
    assert await dialog.get_by_label("Tid (sekunder)").input_value() == str(round(first.duration))
    await dialog.get_by_label("Tid (sekunder)").fill(str(round(first.duration) + 60))
    await dialog.get_by_role("button", name="Spara").click()
    await page.get_by_role("button", name=f"Redigera: {first.title.sv}").click()
    # Shown at once on reopening (the server took it), not only after the next view.
    assert await dialog.get_by_label("Tid (sekunder)").input_value() == str(
        round(first.duration) + 60)
    assert await dialog.get_by_label("Instruktion (svenska)").input_value() == first.prompt.sv
    assert not people.errors and not people.traffic.foreign()
