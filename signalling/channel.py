"""The cross-worker Socket.IO channel on Redis, quick to come back after an outage.

python-socketio's ``AsyncRedisManager`` (under ``signalling.fanout``'s
``FanoutRedisManager`` and ``signalling.notifier``'s ``DroppingRedisManager``,
which this extends so that a revocation's drop reaches every worker) retries
a lost subscription after 1, 2, 4 … up to 60 s and reports nothing, so after a Redis outage the workers
could not hear each other for tens of seconds while ``/readyz`` said ready.
``Channel`` retries every ``RETRY_FIRST``..``RETRY_MAX`` seconds (back
within a second of Redis), says whether it is subscribed (``up``, read by
``/readyz`` and the Redis watcher) and counts outages.

``LocalEmitter`` reaches this worker's own clients without the channel: what
the pages must hear while Redis is away (a notice, an alert), and the views
a worker re-sends to its clients once Redis is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import socketio

from signalling.notifier import DroppingRedisManager

log = logging.getLogger(__name__)

RETRY_FIRST = 0.05
RETRY_MAX = 0.4


class Channel(DroppingRedisManager):
    pubsub: Any
    redis: Any

    def __init__(self, url: str, *, channel: str,
                 redis_options: dict[str, Any] | None = None) -> None:
        super().__init__(url, channel=channel, redis_options=dict(redis_options or {}))
        self.outages = 0
        self._subscribed = asyncio.Event()

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        retry = RETRY_FIRST
        subscribed = False
        while True:
            try:
                if not subscribed:
                    await self._forget_connection()
                    self._redis_connect()
                    pubsub: Any = self.pubsub
                    await pubsub.subscribe(self.channel)
                    subscribed = True
                    retry = RETRY_FIRST
                    if not self.up:
                        log.info("cross-worker channel subscribed")
                    self._subscribed.set()
                async for message in pubsub.listen():
                    yield message
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - any failure means resubscribe
                if self.up:
                    self.outages += 1
                    log.warning("cross-worker channel lost: %s; resubscribing", error)
                self._subscribed.clear()
                subscribed = False
                await asyncio.sleep(retry)
                retry = min(retry * 2, RETRY_MAX)

    @property
    def up(self) -> bool:
        """Whether the channel is subscribed (``/readyz`` requires it)."""
        return self._subscribed.is_set()

    async def subscribed(self, timeout: float) -> bool:
        """Whether the channel is subscribed, waiting up to ``timeout`` seconds for it."""
        try:
            async with asyncio.timeout(timeout):
                await self._subscribed.wait()
        except TimeoutError:
            return False
        return True

    async def _forget_connection(self) -> None:
        old: Any = self.pubsub
        self.pubsub = None
        if old is not None:
            try:
                await old.aclose()
            except Exception:  # noqa: BLE001 - it is already broken
                pass
        client: Any = self.redis
        self.redis = None
        if client is not None:
            try:
                await client.aclose()
            except Exception:  # noqa: BLE001 - it is already broken
                pass


class LocalEmitter:
    """Emits to this worker's own Socket.IO clients only (no Redis in between)."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def emit(self, event: str, data: Any, *, room: str | None = None,
                   namespace: str = "/", to: str | None = None) -> None:
        manager = self.sio.manager
        # The base manager's emit delivers locally; the pub/sub manager's publishes.
        await socketio.AsyncManager.emit(manager, event, data, namespace, room=to or room)
