"""Staff sign in through the browser with a real OpenID provider (oidc-provider on loopback).

Ops and a facilitator open their pages with no link, are sent to the
organisation's sign-in, come back signed in, and their pages connect. A
facilitator's own page (/passes) and the class page offer the sign-in, and
list what the signed-in person may see. The sign-in page explains refusals
and signing out in Swedish and English.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from playwright.async_api import Page

from exercises.demo import demo_class
from exercises.gym.program import Audience, Cadence, ProgramClassSpec, ProgramSpec, SessionSpec
from orchestrator.root.oneshot import one_shot
from tests.browser.conftest import ARTIFACTS, DIST, People
from tests.conftest import OIDC_ACCOUNTS, OidcService
from tests.harness import OrchestratorProcess, service_for, settings_for

pytestmark = [pytest.mark.browser, pytest.mark.services]


@pytest.fixture
def orchestrator(env: dict[str, str], oidc_provider: OidcService,
                 tmp_path: Path) -> Iterator[OrchestratorProcess]:
    if not (DIST / "signin.html").exists():
        pytest.fail("web/dist is not built: run scripts/test.sh (it runs the web build)")
    process = OrchestratorProcess({**env, **oidc_provider.env()}, tmp_path / "orchestrator.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def provider_sign_in(page: Page, login: str) -> None:
    """The provider's own sign-in and consent forms, as a person fills them in."""
    await page.wait_for_selector("input[name=login]")
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", "any password")
    await page.click("button[type=submit]")
    await page.wait_for_selector("button[type=submit]")
    await page.click("button[type=submit]")  # consent: continue


async def online(page: Page) -> None:
    await page.wait_for_function(
        "() => document.querySelector('#conn').dataset.state === 'online'", timeout=30_000)


async def test_ops_and_a_facilitator_sign_in_and_their_pages_connect(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People) -> None:
    base = orchestrator.base_url
    async with service_for(env) as service:
        state = await service.create_pass(demo_class())

    ops = await people.open(f"{base}/ops", "ops")
    await provider_sign_in(ops, "olle")
    await ops.wait_for_url(f"{base}/ops")
    await online(ops)
    await ops.screenshot(path=str(ARTIFACTS / "sso-ops.png"))

    fac = await people.open(f"{base}/f?pass={state.id}", "facilitator")
    await provider_sign_in(fac, "fia")
    await fac.wait_for_url(f"{base}/f?pass={state.id}")
    await online(fac)
    await fac.screenshot(path=str(ARTIFACTS / "sso-facilitator.png"))

    # Ops's sign-in gives no facilitator page: the sign-in page says so.
    await ops.goto(f"{base}/f?pass={state.id}")
    await ops.wait_for_url("**/signin?error=wrong_role*")
    assert "inte tillgång" in await ops.locator("#signin-message").inner_text()

    # Signing out from the sign-in page: its form carries the CSRF token.
    await fac.goto(f"{base}/signin")
    await fac.get_by_role("button", name="Logga ut").click()
    await fac.wait_for_url("**/signin?signed_out=1")
    assert "Du är utloggad" in await fac.locator("#signin-message").inner_text()
    assert people.errors == []


async def test_the_sign_in_page_explains_refusals_in_swedish_and_english(
        orchestrator: OrchestratorProcess, people: People) -> None:
    base = orchestrator.base_url
    page = await people.open(f"{base}/signin?error=sso_no_role", "refused")
    message = page.locator("#signin-message")
    assert "inte gett dig någon roll" in await message.inner_text()
    await page.get_by_role("button", name="English").click()
    assert "given you no role" in await message.inner_text()
    assert await page.get_by_role("link", name="Sign in").is_visible()

    nobody = await people.open(f"{base}/ops", "nils")
    await provider_sign_in(nobody, "nils")
    await nobody.wait_for_url(lambda url: "/signin?error=sso_no_role" in url)
    assert "inte gett dig någon roll" in await nobody.locator("#signin-message").inner_text()
    assert people.errors == []


async def test_a_facilitators_passes_page_offers_the_sign_in_and_lists_their_passes(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People) -> None:
    base = orchestrator.base_url
    fia = str(OIDC_ACCOUNTS["fia"]["name"])  # sessions name their facilitator as the IdP does
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    async with one_shot(settings_for(env)) as services:
        gym = services.gym
        await gym.records.ensure_org("default")
        await gym.programs.create("default", ProgramSpec("lead", "Ledarskap 2027", Audience(),
                                                         Cadence.WEEKLY))
        await gym.programs.add_class("default", "lead", ProgramClassSpec("listening-for-real"))
        soon = await gym.programs.add_session("default", "lead", "1", SessionSpec(
            start + timedelta(minutes=20), "Europe/Stockholm", 8, fia))
        await gym.programs.add_session("default", "lead", "1", SessionSpec(
            start + timedelta(days=1), "Europe/Stockholm", 8, "Gus"))

    # In English the offer is in English; nothing is asked of the provider until clicked.
    visitor = await people.open(f"{base}/passes", "visitor")
    await visitor.get_by_role("button", name="English").click()
    assert await visitor.get_by_role("link", name="Sign in with your organisation's account"
                                     ).is_visible()

    page = await people.open(f"{base}/passes", "fia")
    offer = page.get_by_role("link", name="Logga in med organisationens konto")
    await offer.wait_for()
    assert "utan din länk" in await page.locator("#signin").inner_text()
    await page.screenshot(path=str(ARTIFACTS / "sso-passes-offer.png"))
    await offer.click()
    await provider_sign_in(page, "fia")
    await page.wait_for_url(f"{base}/passes")
    await page.get_by_role("heading", name=f"Pass som {fia} leder").wait_for()
    rows = page.locator("#sessions tr")
    await rows.first.wait_for()
    assert await rows.count() == 1, "Gus's pass is not Fia's"
    assert await rows.first.get_attribute("data-pass") == soon.pass_id
    assert await page.locator("#signin").is_hidden()
    await rows.first.get_by_role("button").click()
    await page.wait_for_url(f"{base}/f?pass={soon.pass_id}")
    await page.locator("#pass-title").wait_for()
    await online(page)

    # The class page offers the same sign-in; an admin's sign-in opens the library.
    admin = await people.open(f"{base}/classes", "ada")
    await admin.get_by_role("link", name="Logga in med organisationens konto").click()
    await provider_sign_in(admin, "ada")
    await admin.wait_for_url(f"{base}/classes")
    await admin.get_by_role("heading", name="Organisationens klasser").wait_for()

    # The control panel Fia opened from /passes belongs to her sign-in: ending it closes it.
    await admin.goto(f"{base}/admin")
    await admin.get_by_role("button", name=f"Avsluta inloggningen för {fia}").click()
    await page.wait_for_function(
        "() => document.querySelector('#conn').dataset.state !== 'online'", timeout=10_000)
    assert people.errors == []


async def test_an_admin_sees_who_is_signed_in_and_ends_a_sign_in_at_once(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People) -> None:
    base = orchestrator.base_url
    async with one_shot(settings_for(env)) as services:
        await services.gym.records.ensure_org("default")
    ops = await people.open(f"{base}/ops", "olle")
    await provider_sign_in(ops, "olle")
    await ops.wait_for_url(f"{base}/ops")
    await online(ops)

    admin = await people.open(f"{base}/admin", "ada")
    await provider_sign_in(admin, "ada")
    await admin.wait_for_url(f"{base}/admin")
    await admin.get_by_role("heading", name="Inloggad personal").wait_for()
    olle = admin.locator("#signins tr").filter(has_text="Olle Drift")
    await olle.wait_for()
    assert "Drift" in await olle.locator("td").first.inner_text()
    assert await admin.locator("#signins tr").count() == 2  # Olle and Ada herself
    await admin.locator("#access").screenshot(path=str(ARTIFACTS / "sso-admin-signins.png"))

    await admin.get_by_role("button", name="Avsluta inloggningen för Olle Drift").click()
    await admin.locator("#status").get_by_text("Inloggningen för Olle Drift är avslutad").wait_for()
    await olle.wait_for(state="detached")
    await ops.wait_for_function(
        "() => document.querySelector('#conn').dataset.state !== 'online'", timeout=10_000)

    # Withdrawing something that is no link is explained, in Swedish and in English.
    await admin.get_by_label("Länken, dess nyckel eller dess id").fill("inte en länk")
    await admin.get_by_role("button", name="Dra tillbaka", exact=True).click()
    await admin.locator("#status").get_by_text("ingen länk från den här installationen").wait_for()
    await admin.get_by_role("button", name="English").click()
    await admin.get_by_role("heading", name="Staff signed in").wait_for()
    assert await admin.get_by_role("button", name="End the sign-in of Ada Admin").is_visible()
    assert people.errors == []
