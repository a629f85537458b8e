"""The composition root: ``create_app(settings)``.

Every long-lived resource is an aiohttp cleanup context under a typed
``AppKey``: the Redis pool, the PostgreSQL pool (migrated at start), the
LiveKit client, the echo pool, the worker process that forms breakout
rounds, the Socket.IO server with the application's services, the timer
scheduler and the monitors. Shutdown runs in named phases: stop intake, drain in-flight
commands, cancel background tasks, release leases, close clients.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web

from orchestrator.adapters.livekit import LiveKitSfu
from orchestrator.adapters.oidc import OidcProvider
from orchestrator.adapters.postgres import open_records
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.adapters.smtp import SmtpMailer
from orchestrator.errors import ConfigError
from orchestrator.gym.mail import MailSender
from orchestrator.monitor import Monitor
from orchestrator.root.keys import (
    ECHO,
    GROUPING,
    LOOP_LAG,
    RECORDS,
    REDIS,
    SCHEDULER,
    SERVICES,
    SETTINGS,
    SFU,
    SIGNON,
    SIO,
    STORE,
    TASKS,
    LoopLag,
)
from orchestrator.root.workers import GroupingPool
from orchestrator.scheduler import Scheduler
from orchestrator.services import build_services
from orchestrator.settings import Settings
from orchestrator.signon import SignOn
from orchestrator.taskset import TaskSet
from signalling import namespaces, views
from signalling.fanout import FanoutServer
from signalling.http import Routes
from signalling.media import EchoPool, ice
from signalling.notifier import DroppingRedisManager, SocketNotifier
from signalling.sso import SignOnRoutes
from signalling.transport import disable_websocket_compression

log = logging.getLogger(__name__)

#: The Redis channel Socket.IO workers (and one-shot commands) share.
SIO_CHANNEL = "onlive:sio"
#: Redis connections per worker, and how long a command waits for one.
REDIS_CONNECTIONS = 64
REDIS_WAIT_S = 10.0


def create_app(settings: Settings) -> web.Application:
    if not settings.redis_url or not settings.livekit_url or not settings.database_url:
        raise ConfigError("create_app needs ONLIVE_REDIS_URL, ONLIVE_LIVEKIT_URL and "
                          "ONLIVE_DATABASE_URL (onlive dev sets them for services it starts)")
    disable_websocket_compression()
    app = web.Application(client_max_size=1024 * 1024)
    app[SETTINGS] = settings
    app[LOOP_LAG] = LoopLag()
    app.cleanup_ctx.append(_redis)
    app.cleanup_ctx.append(_records)
    app.cleanup_ctx.append(_sfu)
    app.cleanup_ctx.append(_echo)
    app.cleanup_ctx.append(_grouping)
    app.cleanup_ctx.append(_socketio)
    app.cleanup_ctx.append(_signon)
    app.cleanup_ctx.append(_scheduler)
    app.cleanup_ctx.append(_loop_monitor)
    app.cleanup_ctx.append(_ops_monitor)
    app.cleanup_ctx.append(_mail_sender)
    app.on_shutdown.append(_drain)
    # The Socket.IO server must exist before the app is frozen; it is
    # configured here and started in its cleanup context.
    app[SIO] = FanoutServer(
        async_mode="aiohttp",
        serializer="msgpack",
        client_manager=DroppingRedisManager(settings.redis_url, channel=SIO_CHANNEL),
        cors_allowed_origins=list(settings.origins),
        max_http_buffer_size=1024 * 1024,
        ping_interval=10,
        ping_timeout=10,
    )
    app[SIO].attach(app)
    # Routes are added before start-up; the services they call exist once it ran.
    Routes(lambda: app[SERVICES], settings).setup(app)
    SignOnRoutes(lambda: app[SIGNON], lambda: app[SERVICES], settings).setup(app)
    return app


async def _redis(app: web.Application) -> AsyncIterator[None]:
    url = app[SETTINGS].redis_url
    assert url is not None  # create_app refuses settings without it
    # A burst of joins asks for more connections than a pool should open; they
    # wait for one (the default pool refuses the 101st with MaxConnectionsError).
    pool = aioredis.BlockingConnectionPool.from_url(
        url, decode_responses=False, health_check_interval=30,
        max_connections=REDIS_CONNECTIONS, timeout=REDIS_WAIT_S)
    client = aioredis.Redis(connection_pool=pool)
    app[REDIS] = client
    app[STORE] = RedisStore(client)
    yield
    await client.aclose()
    await pool.disconnect()


async def _records(app: web.Application) -> AsyncIterator[None]:
    """The system of record; workers starting together migrate it once (advisory lock)."""
    s = app[SETTINGS]
    assert s.database_url is not None  # create_app refuses settings without it
    async with open_records(s.database_url, max_size=s.database_pool_size) as records:
        app[RECORDS] = records
        yield


async def _sfu(app: web.Application) -> AsyncIterator[None]:
    s = app[SETTINGS]
    session = aiohttp.ClientSession()
    app[SFU] = LiveKitSfu(s.livekit_http_url, s.livekit_url or "", s.livekit_api_key,
                          s.livekit_api_secret, session)
    yield
    await app[SFU].close()
    await session.close()


async def _echo(app: web.Application) -> AsyncIterator[None]:
    s = app[SETTINGS]
    if s.media_loopback:
        ice.enable()
    async with EchoPool(s.echo_capacity, s.echo_idle_timeout) as pool:
        app[ECHO] = pool
        yield


async def _grouping(app: web.Application) -> AsyncIterator[None]:
    pool = GroupingPool()  # its process starts with the first round
    app[GROUPING] = pool
    yield
    # A round being formed finishes (tens of milliseconds); none waits behind it.
    await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


async def _socketio(app: web.Application) -> AsyncIterator[None]:
    sio = app[SIO]
    tasks = TaskSet("sio")
    app[TASKS] = tasks
    services = build_services(app[SETTINGS], app[STORE], app[SFU], SocketNotifier(sio),
                              records=app[RECORDS], executor=app[GROUPING])
    app[SERVICES] = services

    async def overview() -> dict[str, Any]:
        return views.ops_overview(await services.overview.overview(), _runtime(app))

    namespaces.register(sio, services, tasks, app[ECHO], overview)
    yield
    await tasks.cancel_all()
    await services.publisher.tasks.cancel_all()
    await sio.shutdown()
    thread = getattr(sio.manager, "thread", None)
    if thread is not None:
        thread.cancel()
        await asyncio.gather(thread, return_exceptions=True)


async def _signon(app: web.Application) -> AsyncIterator[None]:
    """Staff single sign-on, when an identity provider is configured."""
    s, services = app[SETTINGS], app[SERVICES]
    session = aiohttp.ClientSession() if s.oidc_issuer else None
    provider = OidcProvider(s.oidc_issuer or "", s.oidc_client_id, s.oidc_client_secret,
                            f"{s.base_url}/auth/callback", session) if session else None
    app[SIGNON] = SignOn(s, services.store, services.access, provider,
                         services.gym.staff if services.gym_or_none is not None else None)
    yield
    if session is not None:
        await session.close()


def _runtime(app: web.Application) -> views.Runtime:
    lag, echo = app[LOOP_LAG], app[ECHO]
    return views.Runtime(lag.last_ms, lag.max_ms, len(getattr(app[SIO].eio, "sockets", {})),
                         echo.active, echo.capacity, lag.p99_ms)


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    scheduler = Scheduler(app[STORE], app[SERVICES].passes, lease_ms=app[SETTINGS].lease_ms)
    app[SCHEDULER] = scheduler
    task = asyncio.create_task(scheduler.run(), name="scheduler")
    # Start-up objects live for the whole process; freezing them keeps the
    # collector from rescanning them on every broadcast (see DESIGN.md).
    gc.freeze()
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await scheduler.release_all()


async def _loop_monitor(app: web.Application) -> AsyncIterator[None]:
    lag = app[LOOP_LAG]

    async def watch() -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(lag.SAMPLE_S)
            lag.add((loop.time() - start - lag.SAMPLE_S) * 1000)

    task = asyncio.create_task(watch(), name="loop-monitor")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _ops_monitor(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    monitor = Monitor(services.store, services.sfu, services.notifier)
    task = asyncio.create_task(monitor.run(), name="ops-monitor")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _mail_sender(app: web.Application) -> AsyncIterator[None]:
    """Send the outbox's due mail (every worker; each mail is claimed by one)."""
    url = app[SETTINGS].smtp_url
    if url is None:
        log.info("no ONLIVE_SMTP_URL: mail waits in the outbox")
        yield
        return
    gym = app[SERVICES].gym
    sender = MailSender(gym.records, gym.mail, SmtpMailer(url))
    task = asyncio.create_task(sender.run(), name="mail-sender")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _drain(app: web.Application) -> None:
    """Phase one of shutdown: refuse new commands, finish those in flight."""
    grace = app[SETTINGS].shutdown_grace
    finished = await app[SERVICES].passes.drain(grace / 2)
    await app[TASKS].drain(grace / 4)
    log.info("drained" if finished else "drain timed out; cancelling the rest")
