"""The application for one command: CLI calls, synthetic participants, tests.

``one_shot(settings)`` connects to running services (those of ``onlive dev``
when no service URLs are set), opens the system of record (PostgreSQL,
migrated if it is behind), builds the application's services with the real
adapters, and sends what they publish through the Socket.IO workers'
Redis channel, so connected clients see a pass a command created or changed.
Everything it opens is closed when the block ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import aiohttp
import redis.asyncio as aioredis

from orchestrator.adapters.livekit import LiveKitSfu
from orchestrator.adapters.postgres import open_records
from orchestrator.adapters.redis_keys import CLIENT_OPTIONS
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.root import procs
from orchestrator.root.app import SIO_CHANNEL
from orchestrator.services import Services, build_services
from orchestrator.settings import Settings
from signalling.notifier import DroppingRedisManager, SocketNotifier


def dev_settings(settings: Settings) -> Settings:
    """Settings for CLI commands that talk to a running ``onlive dev``."""
    if settings.database_url is None:
        password = procs.load_or_create_password(settings.state_dir / "postgres-password")
        settings = replace(settings,
                           database_url=procs.postgres_url(settings.postgres_port, password))
    if settings.redis_url is None:
        password = procs.load_or_create_password(settings.state_dir / "redis-password")
        settings = replace(settings, redis_url=procs.redis_url(settings.redis_port, password))
    if settings.livekit_url:
        return settings
    keys = procs.load_or_create_keys(settings.state_dir / "livekit-keys.json")
    return replace(settings,
                   livekit_url=settings.livekit_url or f"ws://127.0.0.1:{settings.livekit_port}",
                   livekit_api_key=settings.livekit_api_key or keys.key,
                   livekit_api_secret=settings.livekit_api_secret or keys.secret)


@asynccontextmanager
async def one_shot(settings: Settings) -> AsyncIterator[Services]:
    settings = dev_settings(settings)
    assert settings.redis_url and settings.livekit_url and settings.database_url
    client = aioredis.from_url(settings.redis_url, **CLIENT_OPTIONS)
    emitter = DroppingRedisManager(settings.redis_url, channel=SIO_CHANNEL, write_only=True,
                                   redis_options=dict(CLIENT_OPTIONS))
    try:
        async with aiohttp.ClientSession() as session, \
                open_records(settings.database_url, max_size=2) as records:
            sfu = LiveKitSfu(settings.livekit_http_url, settings.livekit_url,
                             settings.livekit_api_key, settings.livekit_api_secret, session)
            try:
                store = RedisStore(client, history_max=settings.history_max,
                                   stream_retention_days=settings.stream_retention_days)
                yield build_services(settings, store, sfu, SocketNotifier(emitter),
                                     records=records)
            finally:
                await sfu.close()
    finally:
        if emitter.redis is not None:
            await emitter.redis.aclose()
        await client.aclose()
