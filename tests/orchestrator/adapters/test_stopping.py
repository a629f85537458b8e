"""Background loops on the real Redis stop whenever the worker stops them.

redis-py's asyncio client can swallow a cancellation that arrives while it
sends, reads or returns a connection to its pool; the Redis watch, which
pings every 0.2 s, then ran on and held up a worker's shutdown (seen in the
chaos runs). ``orchestrator.taskset.stop`` cancels again until it ends.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from orchestrator.adapters.redis_store import RedisStore
from orchestrator.outages import RedisWatch
from orchestrator.taskset import stop
from tests.orchestrator.fakes import RecordingNotifier

pytestmark = pytest.mark.services


@pytest.fixture
async def store(redis_server) -> AsyncIterator[RedisStore]:  # type: ignore[no-untyped-def]
    client = aioredis.from_url(redis_server.url)
    yield RedisStore(client)
    await client.aclose()


async def test_the_redis_watch_stops_at_any_moment_of_its_round(store: RedisStore) -> None:
    for moment in range(60):
        watch = RedisWatch(store, None, RecordingNotifier(),  # type: ignore[arg-type]
                           channel_up=lambda: True)
        task = asyncio.create_task(watch.run())
        await asyncio.sleep(0.0002 * moment)  # somewhere in its ping, or its sleep
        assert await stop(task, timeout=1), f"still running, stopped after {moment * 0.2} ms"
        assert task.cancelled()
