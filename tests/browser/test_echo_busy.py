"""A full echo pool, seen from the pre-join screen: the page says when to try again."""

from __future__ import annotations

import re

import pytest

from exercises.demo import demo_class
from exercises.state import Member
from tests.browser.conftest import People
from tests.browser.test_pass_in_browsers import enter, in_room, until
from tests.harness import OrchestratorProcess, service_for

pytestmark = [pytest.mark.browser, pytest.mark.services]


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, "ONLIVE_ECHO_CAPACITY": "1"}


async def test_a_second_echo_test_on_a_full_pool_is_told_when_to_try_again(
        orchestrator: OrchestratorProcess, env: dict[str, str], people: People) -> None:
    async with service_for(env) as service:
        created = await service.create_pass(demo_class())
        tickets = [await service.invite(created.id, Member(f"p-{n}", n)) for n in ("Ada", "Bea")]
    base = orchestrator.base_url
    first, second = [await people.open(f"{base}/p#ticket={t}", f"p{i}") for i, t in enumerate(tickets)]
    for page in (first, second):
        await until(page, "() => document.querySelector('#preview').videoWidth > 0")
    await first.get_by_role("button", name="Testa ljud och bild").click()
    await until(first, "() => document.querySelector('#echo-video').videoWidth > 0", timeout=20)

    await second.get_by_role("button", name="Testa ljud och bild").click()
    status = second.locator("#echo-status")
    await status.get_by_text("Alla ljud- och bildtester används just nu").wait_for()
    seconds = int(re.search(r"om (\d+) sekunder", await status.inner_text()).group(1))  # type: ignore[union-attr]
    assert seconds >= 1
    assert await second.get_by_role("button", name="Testa ljud och bild").is_disabled()
    assert await second.locator("#echo-tile").is_hidden()

    # Stopping the first test frees the slot; joining needs no echo test at all.
    await first.get_by_role("button", name="Avsluta testet").click()
    await enter(second)
    await in_room(second, created.main_room)
    assert people.errors == [], people.errors
