"""The composition root: ``create_app(settings)``.

Every long-lived resource is an aiohttp cleanup context under a typed
``AppKey``: the Redis pool, the PostgreSQL pool (migrated at start), the
LiveKit client, the echo pool, the worker process that forms breakout
rounds, the Socket.IO server with the application's services, the timer
scheduler and the monitors. Shutdown (``drain``, then the cleanup contexts in
reverse) runs in named phases, all within ``ONLIVE_DRAIN_TIMEOUT``:

0. stop listening (``onlive serve``): new connections go to another worker;
1. stop intake: timer leases are handed over at once (another worker fires
   them on time) and new commands are refused with ``shutting_down``;
2. answer what is in flight (commands, joins, answers); the sockets are still
   read, so what arrives meanwhile is answered too (a write with
   ``shutting_down``, which the pages send again elsewhere), never dropped;
3. tell every client of this worker to reconnect elsewhere (``service``
   ``restarting``); the server then closes their connections, so they do;
4. cancel background tasks and close clients and pools.

``onlive serve`` (``orchestrator.root.dev.serve``) keeps a watchdog that ends
the process if a phase ever hangs past the drain timeout.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import redis.asyncio as aioredis
import redis.exceptions
from aiohttp import web

from orchestrator.adapters.livekit import LiveKitSfu
from orchestrator.adapters.oidc import OidcProvider
from orchestrator.adapters.postgres import open_records
from orchestrator.adapters.redis_keys import CLIENT_OPTIONS, connection_pool
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.adapters.redis_wire import MuxWire
from orchestrator.adapters.smtp import SmtpMailer
from orchestrator.errors import ConfigError
from orchestrator.gym.mail import MailSender
from orchestrator.monitor import Monitor
from orchestrator.outages import RedisWatch
from orchestrator.readmodels import ServiceCode, ServiceNotice
from orchestrator.root.keys import (
    CHANNEL,
    ECHO,
    GROUPING,
    GUARD,
    LOOP_LAG,
    METRICS,
    RECORDS,
    REDIS,
    SCHEDULER,
    SERVICES,
    SETTINGS,
    SFU,
    SHUTDOWN,
    SIGNON,
    SIO,
    STORE,
    TASKS,
    LoopLag,
    Shutdown,
)
from orchestrator.root.workers import GroupingPool
from orchestrator.scheduler import Scheduler
from orchestrator.services import build_services
from orchestrator.settings import Settings
from orchestrator.signon import SignOn
from orchestrator.taskset import TaskSet, stop
from signalling import headers, httpguard, namespaces, views, wirenames
from signalling.channel import Channel, LocalEmitter
from signalling.guard import Guard, GuardedServer, Limits
from signalling.http import Routes
from signalling.media import EchoPool, ice
from signalling.metrics import MetricsRoutes, PrometheusMetrics
from signalling.notifier import SocketNotifier
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
    headers.install(app, settings)
    app[LOOP_LAG] = LoopLag()
    app[METRICS] = PrometheusMetrics()
    for resource in (_redis, _records, _sfu, _echo, _grouping, _socketio, _signon, _scheduler,
                     _loop_monitor, _ops_monitor, _redis_watch, _mail_sender):
        app.cleanup_ctx.append(_closing_logged(resource))
    app[SHUTDOWN] = Shutdown()
    app.on_shutdown.append(drain)
    # The Socket.IO server must exist before the app is frozen; it is
    # configured here and started in its cleanup context.
    app[CHANNEL] = Channel(settings.redis_url, channel=SIO_CHANNEL, redis_options=CLIENT_OPTIONS)
    app[GUARD] = Guard(Limits(settings.auth_timeout, settings.connections_per_credential,
                              settings.event_rate, settings.event_burst,
                              settings.credential_event_rate, settings.credential_event_burst))
    httpguard.install(app, app[GUARD].refusals)
    app[SIO] = GuardedServer(
        guard=app[GUARD],
        async_mode="aiohttp",
        serializer="msgpack",
        client_manager=app[CHANNEL],
        cors_allowed_origins=list(settings.origins),
        max_http_buffer_size=1024 * 1024,
        ping_interval=10,
        ping_timeout=10,
    )
    app[SIO].attach(app)
    # Routes are added before start-up; the services they call exist once it ran.
    Routes(lambda: app[SERVICES], settings, channel_up=lambda: app[CHANNEL].up).setup(app)
    SignOnRoutes(lambda: app[SIGNON], lambda: app[SERVICES], settings).setup(app)
    MetricsRoutes(lambda: app[SERVICES], app[METRICS], lambda: _runtime(app),
                  lambda: _connections(app)).setup(app)
    return app


def _closing_logged(
        resource: Callable[[web.Application], AsyncIterator[None]],
) -> Callable[[web.Application], AsyncIterator[None]]:
    """The cleanup context, logging how long closing it took (shutdown phase 4)."""
    name = resource.__name__.strip("_")

    async def logged(app: web.Application) -> AsyncIterator[None]:
        generator = resource(app)
        await generator.__anext__()
        yield
        start = time.monotonic()
        try:
            await generator.__anext__()
        except StopAsyncIteration:
            pass
        log.info("closed", extra={"resource": name,
                                  "close_s": round(time.monotonic() - start, 3)})

    logged.__name__ = name
    return logged


def transient(error: BaseException) -> bool:
    """A failure that means a service is away for now (Redis restarting, unreachable)."""
    return isinstance(error, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                              ConnectionError, TimeoutError))


async def _redis(app: web.Application) -> AsyncIterator[None]:
    url = app[SETTINGS].redis_url
    assert url is not None  # create_app refuses settings without it
    # A burst of joins asks for more connections than a pool should open; they
    # wait for one (the default pool refuses the 101st with MaxConnectionsError).
    pool = connection_pool(url, decode_responses=False, health_check_interval=30,
                           max_connections=REDIS_CONNECTIONS, timeout=REDIS_WAIT_S)
    client = aioredis.Redis(connection_pool=pool)
    app[REDIS] = client
    s = app[SETTINGS]
    # A join's admission and snapshot write share one lean connection (redis_wire).
    wire = MuxWire.from_url(url, timeout=REDIS_WAIT_S)
    app[STORE] = RedisStore(client, history_max=s.history_max,
                            stream_retention_days=s.stream_retention_days, wire=wire)
    yield
    if wire is not None:
        await wire.aclose()
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
    ice.configure(s.media_ips, loopback=s.media_loopback)
    async with EchoPool(s.echo_capacity, s.echo_idle_timeout,
                        max_duration=s.echo_max_duration) as pool:
        app[ECHO] = pool
        yield


async def _grouping(app: web.Application) -> AsyncIterator[None]:
    pool = GroupingPool()  # its process starts when a pass first waits for a round
    app[GROUPING] = pool
    yield
    # A round being formed finishes (tens of milliseconds); none waits behind it.
    await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


async def _socketio(app: web.Application) -> AsyncIterator[None]:
    sio = app[SIO]
    tasks = TaskSet("sio")
    app[TASKS] = tasks
    notifier = SocketNotifier(sio, local=LocalEmitter(sio))
    services = build_services(app[SETTINGS], app[STORE], app[SFU], notifier,
                              records=app[RECORDS], executor=app[GROUPING],
                              metrics=app[METRICS])
    app[SERVICES] = services

    async def overview() -> dict[str, Any]:
        return views.ops_overview(await services.overview.overview(), _runtime(app))

    namespaces.register(sio, services, tasks, app[ECHO], overview, transient, app[GUARD])
    # Subscribe to the channel now, not at the first connection: /readyz waits for it.
    if not sio.manager_initialized:
        sio.manager_initialized = True
        sio.manager.initialize()
    yield
    await tasks.cancel_all()
    await services.publisher.tasks.cancel_all()
    await services.passes.ahead.tasks.cancel_all()
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
def _connections(app: web.Application) -> dict[str, int]:
    """This worker's sockets per namespace (Socket.IO keeps every socket in room None)."""
    rooms = app[SIO].manager.rooms
    return {namespace: len(rooms.get(namespace, {}).get(None, {}))
            for namespace in (wirenames.PARTICIPANT, wirenames.FACILITATOR, wirenames.OPS)}


def _runtime(app: web.Application) -> views.Runtime:
    lag, echo = app[LOOP_LAG], app[ECHO]
    return views.Runtime(lag.last_ms, lag.max_ms, len(getattr(app[SIO].eio, "sockets", {})),
                         echo.active, echo.capacity, lag.p99_ms)


#: The collector's thresholds (CPython's are 700, 10, 10). A thousand people
#: joining, then 30 commands to them, measured with ``gc.callbacks`` on one
#: worker: 791 collections, 644 ms of CPU, the oldest generation 7 times at up
#: to 94 ms each (and 490 ms of wall time on the loaded machine); with these, 20
#: collections and 200 ms, the oldest once (57 ms). Young objects here are a
#: command's or a join's, nearly all gone by the next collection, so collecting
#: less often finds the same garbage for far fewer walks of the survivors.
GC_THRESHOLDS = (20_000, 20, 20)


async def _scheduler(app: web.Application) -> AsyncIterator[None]:
    s = app[SETTINGS]
    scheduler = Scheduler(app[STORE], app[SERVICES].passes, lease_ms=s.lease_ms,
                          renew_ms=s.lease_renew_ms, metrics=app[METRICS])
    app[SCHEDULER] = scheduler
    log.info("scheduler started", extra={"worker": scheduler.worker_id,
                                         "lease_ms": s.lease_ms, "renew_ms": s.lease_renew_ms})
    task = asyncio.create_task(scheduler.run(), name="scheduler")
    # Start-up objects live for the whole process; freezing them keeps the
    # collector from rescanning them on every broadcast (see DESIGN.md).
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    yield
    await stop(task)
    await scheduler.release_all()


async def _loop_monitor(app: web.Application) -> AsyncIterator[None]:
    lag, metrics = app[LOOP_LAG], app[METRICS]

    async def watch() -> None:
        loop = asyncio.get_running_loop()
        while True:
            start = loop.time()
            await asyncio.sleep(lag.SAMPLE_S)
            late = loop.time() - start - lag.SAMPLE_S
            lag.add(late * 1000)
            metrics.loop_lag(late)

    task = asyncio.create_task(watch(), name="loop-monitor")
    yield
    await stop(task)


async def _ops_monitor(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    monitor = Monitor(services.store, services.sfu, services.notifier, rooms=services.passes)
    task = asyncio.create_task(monitor.run(), name="ops-monitor")
    yield
    await stop(task)


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
    await stop(task)


async def _redis_watch(app: web.Application) -> AsyncIterator[None]:
    services, sio, channel = app[SERVICES], app[SIO], app[CHANNEL]
    watch = RedisWatch(services.store, services.publisher,
                       SocketNotifier(LocalEmitter(sio)),
                       channel_up=lambda: bool(channel.up))
    task = asyncio.create_task(watch.run(), name="redis-watch")
    yield
    await stop(task)


async def drain(app: web.Application) -> None:
    """Shutdown phases 1-3 (see the module docstring), within a share of the drain timeout.

    Run once: ``onlive serve`` calls it while the sockets are still read (aiohttp's own
    shutdown stops reading them first, so what arrived then would go unanswered); the
    app's shutdown hook is the fallback for a runner that did not."""
    if app[SHUTDOWN].drained:
        return
    app[SHUTDOWN].drained = True
    grace = app[SETTINGS].shutdown_grace
    start = time.monotonic()
    # 1. Stop intake: leases first, so another worker fires due timers on time.
    try:
        handed = await asyncio.wait_for(app[SCHEDULER].hand_over(), grace / 8)
    except Exception as error:  # noqa: BLE001 - lapsing leases are the fallback
        log.warning("handing leases over failed (%s); they lapse on their own", error)
        handed = 0
    passes = app[SERVICES].passes
    passes.draining = True
    # 2. Answer what is in flight.
    finished = await passes.drain(grace * 0.35)
    await app[TASKS].drain(max(0.05, grace * 0.5 - (time.monotonic() - start)))
    # 3. Tell this worker's clients to reconnect elsewhere; the server closes
    # their connections next (the runner's short shutdown timeout), so they do.
    try:
        await asyncio.wait_for(app[SERVICES].notifier.service(
            ServiceNotice(ServiceCode.RESTARTING, time.time(), retry_after=0.5)), grace / 8)
    except Exception as error:  # noqa: BLE001 - clients reconnect when the socket closes
        log.warning("telling clients to reconnect failed: %s", error)
    log.info("drained" if finished else "drain timed out; cancelling the rest",
             extra={"leases_handed_over": handed,
                    "drain_s": round(time.monotonic() - start, 3)})
