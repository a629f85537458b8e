"""The pages without a pass running: language, bad links, the pure units."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from playwright.async_api import ConsoleMessage, Page

from tests.browser.conftest import ROOT, People
from tests.browser.test_pass_in_browsers import unnamed_controls
from tests.harness import OrchestratorProcess

pytestmark = [pytest.mark.browser, pytest.mark.services]


def test_web_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for the web build and its unit tests: run scripts/setup.sh")
    result = subprocess.run([node, "--test", "test/"], cwd=ROOT / "web", capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


async def conn_text(page: Page) -> str:
    return await page.locator("#conn").inner_text()


async def test_language_toggle_is_remembered_and_bad_links_say_what_to_do(
        orchestrator: OrchestratorProcess, people: People) -> None:
    base = orchestrator.base_url
    page = await people.open(f"{base}/p", "no link")
    assert await page.evaluate("() => document.documentElement.lang") == "sv"
    assert "Länken saknar inloggning" in await conn_text(page)
    assert await page.locator(".norec").inner_text() == "Inget spelas in."

    toggle = page.get_by_role("button", name="English")
    await toggle.focus()
    await page.keyboard.press("Enter")
    assert await page.evaluate("() => document.documentElement.lang") == "en"
    assert "The link has no sign-in" in await conn_text(page)
    assert await page.locator(".norec").inner_text() == "Nothing is recorded."
    assert await page.get_by_role("button", name="Svenska").is_visible()

    await page.reload()
    assert await page.evaluate("() => document.documentElement.lang") == "en", "remembered"
    for path in ("/f", "/ops"):
        await page.goto(f"{base}{path}")
        assert await page.evaluate("() => document.documentElement.lang") == "en"
        assert await unnamed_controls(page) == [], path

    await page.goto(f"{base}/p#ticket=not-a-ticket")
    await page.wait_for_function(
        "() => document.querySelector('#conn').dataset.state === 'invalid_credential'")
    assert "does not work" in await conn_text(page)
    await page.get_by_role("button", name="Svenska").click()
    assert "Länken fungerar inte" in await conn_text(page)
    assert people.traffic.foreign() == []
    assert people.errors == []


async def test_pages_carry_no_inline_script_or_style(orchestrator: OrchestratorProcess,
                                                     people: People) -> None:
    """The CSP forbids inline code; a violation would show as a console error."""
    base = orchestrator.base_url
    violations: list[str] = []
    for path in ("/p", "/f", "/ops", "/m"):
        page = await people.open(f"{base}{path}", path)
        def on_console(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                violations.append(message.text)

        page.on("console", on_console)
        await page.reload()
        await page.wait_for_load_state("networkidle")
        assert await page.locator("script:not([src]), style, [style]").count() == 0, path
    assert violations == []


async def test_no_page_can_record(orchestrator: OrchestratorProcess, people: People) -> None:
    """The recorder is removed before any script could reach it, on every page."""
    base = orchestrator.base_url
    for path in ("/p", "/f", "/ops", "/m"):
        page = await people.open(f"{base}{path}", f"norecord{path}")
        await page.wait_for_load_state("networkidle")
        assert await page.evaluate("typeof window.MediaRecorder") == "undefined", path
        assert await page.evaluate(
            "(() => { try { window.MediaRecorder = function () {}; } catch (e) {} "
            "return typeof window.MediaRecorder; })()") == "undefined", path
