"""After a Redis restart the store's pool replaces the connections that died with it.

Seen in the chaos suite: Redis came back, the workers were ready again, and
two seconds later a person joining was still told to try again, because the
connection the pool handed out had been idle through the restart.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from orchestrator.adapters.redis_keys import connection_pool
from orchestrator.root.procs import Child, free_port, redis_url, start_redis

pytestmark = pytest.mark.services

CONNECTIONS = 8


async def test_connections_idle_through_a_redis_restart_are_replaced_on_their_next_use(
        tmp_path: Path) -> None:
    port, password = free_port(), "p" * 24

    def start() -> Child:
        return start_redis(tmp_path / "redis", port, password=password, appendonly=False)

    server = start()
    client = aioredis.Redis(connection_pool=connection_pool(
        redis_url(port, password), max_connections=CONNECTIONS, timeout=5))
    try:
        # Every connection of the pool opened, then idle.
        assert all(await asyncio.gather(*(client.ping() for _ in range(CONNECTIONS))))

        def restart() -> Child:
            server.stop()
            return start()

        server = await asyncio.to_thread(restart)  # the worker's loop runs on meanwhile

        async def admission_like() -> list[object]:
            async with client.pipeline(transaction=False) as pipe:
                pipe.exists("onlive:revoked:x")
                pipe.get("onlive:pass:x")
                return await pipe.execute()

        results = await asyncio.gather(*(admission_like() for _ in range(CONNECTIONS)),
                                       return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []
        assert results == [[0, None]] * CONNECTIONS
    finally:
        await client.aclose()
        await client.connection_pool.disconnect()
        server.stop()
