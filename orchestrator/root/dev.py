"""``onlive dev``: a local pass with redis-server, postgres and livekit-server started for you."""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import os
import signal
import sys
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from typing import Any, TextIO

from aiohttp import web

from exercises.demo import demo_class
from exercises.state import Member
from orchestrator.root import procs
from orchestrator.root.app import create_app, drain
from orchestrator.root.demogym import demo_gym
from orchestrator.root.keys import CHANNEL, SERVICES, SIO
from orchestrator.root.mailsink import MailSink
from orchestrator.root.supervise import Supervisor
from orchestrator.settings import Settings
from signalling.devmail import DevMailRoutes
from signalling.http import WEB_DIST
from signalling.transport import close_websockets

log = logging.getLogger(__name__)

#: How long `onlive dev` waits for its worker to be ready before printing the links anyway.
READY_WAIT_S = 30.0

DEMO_PEOPLE = (
    Member("p-anna", "Anna Lind", "Ekonomi", "Stockholm", None, 2),
    Member("p-bjorn", "Björn Berg", "IT", "Göteborg", "p-anna", 1),
    Member("p-cecilia", "Cecilia Holm", "HR", "Malmö", None, 2),
    Member("p-david", "David Ek", "Produktion", "Luleå", "p-cecilia", 1),
    Member("p-elin", "Elin Sandberg", "Försäljning", "Stockholm", None, 1),
    Member("p-farid", "Farid Nouri", "IT", "Malmö", None, 1),
    Member("p-greta", "Greta Nyström", "Ledning", "Stockholm", None, 3),
)


@dataclass
class Started:
    settings: Settings
    children: list[procs.Child]


def start_services(settings: Settings) -> Started:
    """Start redis-server, postgres and livekit-server unless the settings point at running ones."""
    children: list[procs.Child] = []
    procs.ensure_port_free(settings.port, "the onlive orchestrator (ONLIVE_PORT)")
    try:
        redis_url = settings.redis_url
        if redis_url is None:
            redis_password = procs.load_or_create_password(settings.state_dir / "redis-password")
            children.append(procs.start_redis(settings.state_dir / "redis", settings.redis_port,
                                              password=redis_password))
            redis_url = procs.redis_url(settings.redis_port, redis_password)
        database_url = settings.database_url
        if database_url is None:
            password = procs.load_or_create_password(settings.state_dir / "postgres-password")
            children.append(procs.start_postgres(settings.state_dir / "postgres",
                                                 settings.postgres_port, password,
                                                 bin_dir=settings.postgres_bin))
            database_url = procs.postgres_url(settings.postgres_port, password)
        livekit_url, key, secret = (settings.livekit_url, settings.livekit_api_key,
                                    settings.livekit_api_secret)
        if livekit_url is None:
            keys = procs.load_or_create_keys(settings.state_dir / "livekit-keys.json")
            children.append(procs.start_livekit(
                settings.livekit_bin, settings.state_dir / "livekit",
                port=settings.livekit_port, udp_port=settings.livekit_udp_port, keys=keys,
                webhook_url=settings.webhook_url))
            livekit_url, key, secret = f"ws://127.0.0.1:{settings.livekit_port}", keys.key, keys.secret
    except BaseException:
        for child in reversed(children):
            child.stop()
        raise
    return Started(settings.with_services(redis_url=redis_url, livekit_url=livekit_url,
                                          api_key=key, api_secret=secret,
                                          database_url=database_url), children)


async def serve(settings: Settings, *, demo: bool, out: TextIO = sys.stdout,
                children: list[procs.Child] | None = None) -> None:
    """Run the orchestrator until SIGINT/SIGTERM; with ``demo``, create a demo pass.

    With ``demo`` and no ``ONLIVE_SMTP_URL``, it is its own mail server too and
    shows what it sent on ``/dev/mail``.
    """
    sink = None
    if demo and settings.smtp_url is None:
        sink = await MailSink().start()
        settings = replace(settings, smtp_url=sink.url)
    app = create_app(settings)
    if sink is not None:
        DevMailRoutes(sink, WEB_DIST / "devmail.html").setup(app)
    # Commands in flight are answered in the drain phase (app.py), before the
    # runner's cleanup; then the connections still open (websockets) are closed
    # after this short wait, so their clients reconnect elsewhere at once.
    runner = web.AppRunner(app, handle_signals=False, access_log=None,
                           shutdown_timeout=min(0.1, settings.shutdown_grace / 4))
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # onlive dev restarts a redis-server or livekit-server child that dies.
    supervisor = asyncio.create_task(Supervisor(children, out).run(), name="supervisor") \
        if children else None
    try:
        if demo:
            # The links are printed once the worker is ready (its /readyz says so):
            # on a busy machine the cross-worker channel may take a moment.
            if not await app[CHANNEL].subscribed(READY_WAIT_S):
                log.warning("the cross-worker channel is not subscribed yet; "
                            "see /readyz", extra={"waited_s": READY_WAIT_S})
            await _print_demo(app, settings, out, mail_page=sink is not None)
        else:
            log.info("onlive listening", extra={"url": settings.base_url,
                                                "event_loop": _loop_name(loop)})
        await stop.wait()
        log.info("stopping", extra={"drain_timeout_s": settings.shutdown_grace})
        Watchdog(settings.shutdown_grace)
    finally:
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
        async def close() -> None:
            # 0. No new connections (the proxy tries another worker); 1-3. drain while
            # the sockets are still read: aiohttp's cleanup stops reading them first;
            # 4. close the sockets (their clients reconnect elsewhere) and resources.
            await site.stop()
            await drain(app)
            closed = await close_websockets(app[SIO], settings.shutdown_grace / 8)
            log.info("connections closed", extra={"websockets": closed})
            await runner.cleanup()

        try:
            # Nothing may keep the process past the drain timeout.
            await asyncio.wait_for(close(), max(0.5, settings.shutdown_grace - 0.5))
        except asyncio.TimeoutError:
            log.error("closing took longer than the drain timeout allows; leaving the rest")
        if sink is not None:
            await sink.stop()


class Watchdog:
    """Ends the process if shutdown has not finished within ``seconds`` (a phase
    that hangs must never keep a stopped worker, and its port, alive)."""

    def __init__(self, seconds: float) -> None:
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.daemon = True
        self.timer.start()

    @staticmethod
    def _expire() -> None:
        log.error("shutdown did not finish within the drain timeout; exiting now")
        faulthandler.dump_traceback(all_threads=True)  # where it hung, for the log
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(70)


async def _print_demo(app: web.Application, settings: Settings, out: TextIO, *,
                      mail_page: bool = False) -> None:
    services = app[SERVICES]
    state = await services.passes.create_pass(demo_class(), program="demo")
    base = settings.base_url
    lines = [
        "",
        "onlive is running. Nothing is recorded. / Inget spelas in.",
        f"  Pass: {state.id} ({state.script.title.sv})",
        f"  Facilitator: {base}/f#credential={services.access.facilitator_credential(state.id)}",
        "  Participants:",
    ]
    for member in DEMO_PEOPLE:
        ticket = await services.participants.invite(state.id, member)
        lines.append(f"    {member.name} ({member.department}, {member.site}): "
                     f"{base}/p#ticket={ticket}")
    lines += [f"  Ops: {base}/ops#credential={services.access.ops_credential()}",
              f"  Synthetic participants: onlive bots --pass {state.id} --count 4"]
    lines += await demo_gym(services, settings)
    if mail_page:
        lines.append(f"  Mail sent (onlive dev is the mail server): {base}/dev/mail")
    lines += ["Press Ctrl-C to stop.", ""]
    print("\n".join(lines), file=out, flush=True)


def _loop_name(loop: asyncio.AbstractEventLoop) -> str:
    """"uvloop" or "asyncio": which event loop runs the worker (its start-up log says)."""
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def run_worker(main: Coroutine[Any, Any, None], settings: Settings) -> None:
    """Run a worker's ``main`` on the event loop ``settings.event_loop`` names: uvloop
    (libuv's loop and transports, in C: a join costs the worker about 7 % less CPU,
    `onlive bench join` in 11 alternated runs) or Python's own asyncio loop."""
    if settings.event_loop == "uvloop":
        import uvloop

        uvloop.run(main)
    else:
        asyncio.run(main)


def run_dev(settings: Settings) -> int:
    started = start_services(settings)
    try:
        run_worker(serve(started.settings, demo=True, children=started.children),
                   started.settings)
    finally:
        for child in reversed(started.children):
            child.stop(grace=2.0)
    return 0
