"""Rooms are created and closed a bounded number at a time, and none is skipped."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from orchestrator.effectrunner import at_most
from orchestrator.errors import ServiceError


async def test_calls_run_a_bounded_number_at_a_time_and_all_of_them_run() -> None:
    in_flight, most, done = 0, 0, []

    def call(i: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0)
            in_flight -= 1
            done.append(i)
        return run

    await at_most(4, [call(i) for i in range(50)])
    assert most == 4 and sorted(done) == list(range(50))
    await at_most(4, [])


async def test_a_failed_call_leaves_the_others_running_and_is_raised_after_them() -> None:
    closed: list[str] = []

    def close(name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await asyncio.sleep(0)
            if name == "r3":
                raise ServiceError("LiveKit delete room r3 failed: unavailable")
            closed.append(name)
        return run

    with pytest.raises(ServiceError, match="r3"):
        await at_most(2, [close(f"r{i}") for i in range(8)])
    assert sorted(closed) == [f"r{i}" for i in range(8) if i != 3]
