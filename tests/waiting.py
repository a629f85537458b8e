"""Waiting on conditions, never on fixed sleeps: the suite runs on a loaded machine.

``eventually`` checks a condition until it holds or a generous deadline
passes, and fails the test naming what did not happen. Checks are cheap
reads (a store, LiveKit's room list, a Socket.IO ack), so polling them a few
times a second costs nothing and tolerates any scheduling delay.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
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
