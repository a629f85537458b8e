"""Waiting on conditions, never on fixed sleeps: the suite runs on a loaded machine.

``eventually`` checks a condition until it holds or a generous deadline
passes, and fails the test naming what did not happen. Checks are cheap
reads (a store, LiveKit's room list, a Socket.IO ack), so polling them a few
times a second costs nothing and tolerates any scheduling delay.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

import pytest


async def eventually(check: Callable[[], Any], *, what: str, timeout: float = 30,
                     interval: float = 0.1) -> Any:
    """The first truthy result of ``check()``; the test fails after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        value = await result if inspect.isawaitable(result) else result
        if value:
            return value
        if loop.time() > deadline:
            pytest.fail(f"not within {timeout:g} s: {what}")
        await asyncio.sleep(interval)


async def stops_when_cancelled_at_every_step(
        start: Callable[[], tuple[Coroutine[Any, Any, Any], Callable[[], None] | None]],
        steps: int = 12) -> None:
    """A background loop, cancelled after 0, 1, ... ``steps`` turns of the event loop
    (after ``nudge``, when ``start`` gives one), ends every time: the worker's
    shutdown waits for it."""
    for step in range(steps):
        loop, nudge = start()
        task = asyncio.create_task(loop)
        for _ in range(step):
            await asyncio.sleep(0)
        if nudge is not None:
            nudge()
            await asyncio.sleep(0)
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=2)
        assert done and task.cancelled(), f"still running after {step} steps"
