"""A gate for the media tests: the event loop reports nothing it could not raise.

"Task exception was never retrieved", "Unclosed client session", "Unclosed
connector" and errors in callbacks reach no test: asyncio hands them to the
loop's exception handler, which only logs. This autouse fixture records
them while a test runs (and while what it dropped is collected) and fails
the test that caused them, naming each.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any

import pytest


def _describe(context: dict[str, Any]) -> str:
    parts = [str(context.get("message", ""))]
    for key in ("exception", "future", "task", "client_session", "connector", "handle"):
        if key in context:
            parts.append(f"{key}={context[key]!r}")
    return " ".join(parts)


@pytest.fixture(autouse=True)
async def loop_reports_nothing() -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    reports: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: reports.append(context))
    try:
        yield
        # What the test dropped reports now, in this test, not in a later one.
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(previous)
    assert [_describe(c) for c in reports] == []
