"""Fixtures for the browser tests: the real orchestrator, Redis and LiveKit,
and Debian's Chromium driven by Playwright (never ``playwright install``).

One browser per test with a context per person keeps the CPU modest on two
cores. Every request and WebSocket a page opens is recorded, so a test can
fail on any origin other than the orchestrator's and LiveKit's.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import playwright
import pytest
import redis
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.harness import OrchestratorProcess, orchestrator_env

CHROMIUM = Path("/usr/lib/chromium/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".state" / "test-artifacts"
DIST = ROOT / "web" / "dist"

# LIVEKIT.md "Browser (livekit-client) on loopback".
FLAGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
OUR_DISABLED_FEATURES = ["WebRtcHideLocalIpsWithMdns"]


def playwright_disabled_features() -> list[str]:
    """Playwright's own --disable-features list, read from its driver.

    Chromium honours only one --disable-features switch, so ours must be
    merged into Playwright's and Playwright's original left out.
    """
    bundle = Path(playwright.__file__).parent / "driver/package/lib/coreBundle.js"
    match = re.search(r"disabledFeatures = \[(.*?)\]\.filter", bundle.read_text(), re.S)
    if match is None:
        pytest.fail(f"cannot find Playwright's disabled features in {bundle}")
    return re.findall(r'"([^"]+)"', re.sub(r"//[^\n]*", "", match.group(1)))


@pytest.fixture
def env(redis_server, livekit_server, database_url: str,  # type: ignore[no-untyped-def]
        tmp_path: Path) -> dict[str, str]:
    redis.Redis.from_url(redis_server.url).flushdb()
    return orchestrator_env(redis_server.url, livekit_server, tmp_path / "state",
                            database_url=database_url)


@pytest.fixture
def orchestrator(env: dict[str, str], tmp_path: Path) -> Iterator[OrchestratorProcess]:
    if not (DIST / "participant.html").exists():
        pytest.fail("web/dist is not built: run scripts/test.sh (it runs the web build)")
    process = OrchestratorProcess(env, tmp_path / "orchestrator.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh (Debian's chromium)")
    theirs = playwright_disabled_features()
    async with async_playwright() as p:
        launched = await p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=FLAGS + ["--disable-features=" + ",".join(theirs + OUR_DISABLED_FEATURES)],
            ignore_default_args=["--disable-features=" + ",".join(theirs)],
        )
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Traffic:
    """Every URL the pages asked for, and the origins they may ask."""

    allowed: set[str]
    urls: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("websocket", lambda ws: self.urls.append(ws.url))

    def foreign(self) -> list[str]:
        out = []
        for url in self.urls:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob"):
                continue
            host = parts.hostname or ""
            if f"{host}:{parts.port}" not in self.allowed or host != "127.0.0.1":
                out.append(url)
        return out


@dataclass
class People:
    """Browser contexts and their pages, closed together."""

    browser: Browser
    traffic: Traffic
    contexts: list[BrowserContext] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def open(self, url: str, name: str, *, width: int = 1280, height: int = 900,
                   mobile: bool = False, clock_skew_ms: int = 0) -> Page:
        """A person's page; ``clock_skew_ms`` sets their computer's clock that far
        ahead (negative: behind) of the machine's, which the server shares."""
        context = await self.browser.new_context(
            viewport={"width": width, "height": height}, is_mobile=mobile, has_touch=mobile,
            locale="sv-SE", permissions=["camera", "microphone"])
        self.contexts.append(context)
        if clock_skew_ms:
            await context.add_init_script(
                "(() => { const real = Date.now; "
                f"Date.now = () => real() + {int(clock_skew_ms)}; "
                f"window.__clockSkewMs = {int(clock_skew_ms)}; }})()")
        page = await context.new_page()
        self.traffic.watch(page)
        page.on("pageerror", lambda error: self.errors.append(f"{name}: {error}"))
        await page.goto(url)
        return page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


@pytest.fixture
async def people(browser: Browser, orchestrator: OrchestratorProcess,
                 livekit_server: Any) -> AsyncIterator[People]:
    allowed = {f"127.0.0.1:{orchestrator.env['ONLIVE_PORT']}", f"127.0.0.1:{livekit_server.port}"}
    crowd = People(browser, Traffic(allowed))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield crowd
    finally:
        await crowd.close()
