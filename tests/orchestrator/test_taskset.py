"""Stopping background tasks for good, even when what they await swallows a cancellation."""

from __future__ import annotations

import asyncio
import logging

import pytest

from orchestrator.taskset import TaskSet, stop, stop_all


async def _swallows_one_cancellation(rounds: list[int]) -> None:
    """A loop whose awaited call eats one cancellation (as redis-py's client can)."""
    while True:
        rounds.append(len(rounds))
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            if len(rounds) > 1:
                raise
        await asyncio.sleep(0)


async def test_a_loop_that_swallowed_a_cancellation_is_cancelled_again_until_it_ends() -> None:
    rounds: list[int] = []
    task = asyncio.create_task(_swallows_one_cancellation(rounds))
    await asyncio.sleep(0)
    assert await stop(task, timeout=2) is True
    assert task.cancelled() and rounds == [0, 1], "it went on once, then ended"


async def test_a_task_that_never_ends_is_given_up_after_the_timeout_and_named(
        caplog: pytest.LogCaptureFixture) -> None:
    give_in = asyncio.Event()

    async def stubborn() -> None:
        while not give_in.is_set():
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                pass

    task = asyncio.create_task(stubborn(), name="stubborn")
    await asyncio.sleep(0)
    with caplog.at_level(logging.ERROR, logger="orchestrator.taskset"):
        assert await stop_all([task], timeout=0.2) is False
    assert "stubborn" in caplog.text and not task.done()
    give_in.set()
    task.cancel()
    await task


async def test_cancel_all_stops_every_task_of_the_set_but_the_callers_own() -> None:
    tasks = TaskSet("t")
    rounds: list[int] = []
    looping = tasks.spawn(_swallows_one_cancellation(rounds), "loop")
    sleeping = tasks.spawn(asyncio.sleep(10), "sleep")
    await asyncio.sleep(0)
    await tasks.cancel_all()
    assert looping.cancelled() and sleeping.cancelled() and len(tasks) == 0
