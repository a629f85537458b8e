"""Redis killed in the middle of a pass, in real browsers on the real orchestrator,
Redis and LiveKit (a Redis of this test's own, so it may be killed and started
again on the same port and data).

Anna (Swedish) and Björn (English) are at the check-in while the facilitator
watches. Redis is killed with SIGKILL: both read, in their own language, that
answers cannot be saved right now and that the page keeps trying; the
facilitator's panel shows the outage as an alert in Swedish. Anna sends her
check-in meanwhile: the page keeps it and sends it again. Cecilia opens her
link during the outage: her page says the server is not available and when it
tries again, and gets in on its own, without a reload, once Redis is back.
Then Anna's answer is stored, everyone reads "connected" again and the panel
says Redis answers again.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from exercises.state import Member
from orchestrator.root.procs import Child, free_port, redis_url, start_redis
from tests.browser.conftest import ARTIFACTS, People
from tests.browser.test_media_outage_in_browsers import (
    ANNA,
    BJORN,
    RECORD_TEXTS,
    SEEN,
    facilitator_anna_and_bjorn,
)
from tests.browser.test_pass_in_browsers import enter, until
from tests.harness import Killable, OrchestratorProcess, orchestrator_env, service_for

pytestmark = [pytest.mark.browser, pytest.mark.services]

CECILIA = Member("p-cecilia", "Cecilia Holm", "HR", "Malmö", None, 2)

#: The machine is shared with other test runs: conditions get this long (s) to hold.
PATIENCE_S = 90

STORE_DOWN = {"sv": "Servern kan inte spara svar just nu. Vänta, sidan försöker igen.",
              "en": "The server cannot save answers right now. Please wait, the page keeps trying."}
ONLINE = {"sv": "Ansluten", "en": "Connected"}


@dataclass
class KillableRedis(Killable):
    """A redis-server of one test's own."""

    url: str
    child: Child


@pytest.fixture
def killable_redis(tmp_path: Path) -> Iterator[KillableRedis]:
    port, password = free_port(), secrets.token_urlsafe(24)
    server = KillableRedis(redis_url(port, password),
                           start_redis(tmp_path / "redis", port, password=password))
    try:
        yield server
    finally:
        server.child.stop()


@pytest.fixture
def env(killable_redis: KillableRedis, livekit_server: Any, database_url: str,
        tmp_path: Path) -> dict[str, str]:
    """The orchestrator on this module's Redis (overrides the browser tests' own)."""
    return orchestrator_env(killable_redis.url, livekit_server, tmp_path / "state",
                            database_url=database_url)


async def _conn(page: Any) -> str:
    return str(await page.locator("#conn").text_content())


async def test_redis_killed_mid_pass_is_told_in_both_languages_and_every_page_carries_on(
        env: dict[str, str], orchestrator: OrchestratorProcess,
        killable_redis: KillableRedis, people: People) -> None:
    created, tickets, (fac, anna, bjorn) = await facilitator_anna_and_bjorn(
        env, orchestrator, people, "store-outage", (ANNA, BJORN, CECILIA))
    base = orchestrator.base_url
    await fac.get_by_role("button", name="Starta passet").click()
    for page in (anna, bjorn):
        await until(page, "() => document.querySelector('form.answer[data-step=\"check-in\"]')",
                    timeout=PATIENCE_S)
        await page.evaluate(RECORD_TEXTS, "#conn")

    # -- Redis is killed: everyone is told what happens next, in their language ----------
    killable_redis.kill()
    for page, lang in ((anna, "sv"), (bjorn, "en")):
        await until(page, "t => document.querySelector('#conn').textContent === t",
                    STORE_DOWN[lang], timeout=PATIENCE_S)
    down = fac.locator("#alert-log li[data-code='redis_unreachable']")
    await down.first.wait_for()
    assert "Databasen för pågående pass (Redis) svarar inte. Svar och kommandon nekas tills " \
        "den är tillbaka; deltagarnas sidor försöker igen av sig själva." \
        in await down.first.inner_text(), await down.first.inner_text()
    # Anna sends her check-in now: the page holds on to it and keeps sending.
    form = anna.locator("form.answer")
    await form.get_by_label("4", exact=True).check()
    await form.get_by_label("Ett ord", exact=True).fill("spänd")
    await anna.locator("#answer-submit").click()
    await until(anna, "() => document.querySelector('form.answer').getAttribute('aria-busy')"
                " === 'true'", timeout=PATIENCE_S)
    # Cecilia opens her link now: not "connecting" for good, but when it tries again.
    cecilia = await people.open(f"{base}/p#ticket={tickets[CECILIA.id]}", CECILIA.name)
    cecilia.set_default_timeout(PATIENCE_S * 1000)
    await until(cecilia, r"""() => /^Servern är inte tillgänglig just nu – försöker igen om \d+ s…$/
        .test(document.querySelector('#conn').textContent)""", timeout=PATIENCE_S)
    await cecilia.screenshot(path=ARTIFACTS / "participant-store-outage-opened.png")
    await anna.screenshot(path=ARTIFACTS / "participant-store-outage.png")
    await fac.screenshot(path=ARTIFACTS / "facilitator-store-outage.png", full_page=True)

    # While it was away, nothing said all is well.
    for page, lang in ((anna, "sv"), (bjorn, "en")):
        seen = await page.evaluate(SEEN, "#conn")
        assert ONLINE[lang] not in seen[seen.index(STORE_DOWN[lang]):], seen

    # -- Redis is back: the answer is kept, the late page gets in, everyone is calm -----
    await killable_redis.start_again()
    await until(anna, "() => document.querySelector('form.answer').dataset.saved === 'true'",
                timeout=PATIENCE_S)
    async with service_for(env) as service:
        stored = await service.store.answers(created.id, "check-in")
    assert stored[ANNA.id]["value"] == {"energy": 4, "word": "spänd"}, stored
    await cecilia.locator("#prejoin").wait_for(state="visible")  # no reload: on its own
    await enter(cecilia)
    for page, lang in ((anna, "sv"), (bjorn, "en"), (cecilia, "sv")):
        await until(page, "t => document.querySelector('#conn').textContent === t",
                    ONLINE[lang], timeout=PATIENCE_S)
    back = fac.locator("#alert-log li[data-code='redis_recovered']")
    await back.first.wait_for()
    assert re.search(r"Databasen för pågående pass \(Redis\) svarar igen \(avbrott [\d.]+ s\)\.$",
                     (await back.first.inner_text()).strip()), await back.first.inner_text()
    await until(fac, "() => window.onlive.app.view.present === 3", timeout=PATIENCE_S)

    # No page showed a raw code or an id.
    shown = [await p.locator("#conn").inner_text() for p in (anna, bjorn, cecilia)]
    shown.append(await fac.locator("#alert-log").inner_text())
    for raw in ("store_down", "try_again", "redis_unreachable", "redis_recovered", created.id, "{"):
        assert not any(raw in text for text in shown), (raw, shown)
    assert people.errors == [], people.errors
    assert people.traffic.foreign() == [], "requests to other origins"
