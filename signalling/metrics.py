"""``/metrics``: the worker's figures in Prometheus's text format, for ops only.

``PrometheusMetrics`` is the ``orchestrator.metrics.Metrics`` the services
record into (command latency, broadcast fan-out, timer leases, loop lag); it
keeps one registry per worker. ``MetricsRoutes`` serves it: at each scrape
it first reads what is cheaper to read than to keep current (passes and
participants by phase and the health of Redis, LiveKit and PostgreSQL from
``Overview.figures``, the sockets of each namespace, the echo pool).

The route asks for the same credential as the ops dashboard, an ops
credential (``onlive ops-credential`` prints one for a scraper), sent as
``Authorization: Bearer CREDENTIAL``; without a valid one it answers 401
and shows nothing.

Metrics (every name starts with ``onlive_``; labels are fixed sets, never a
person or a pass):

    command_seconds{command,outcome}     histogram: facilitator commands and answers
    broadcast_seconds{view}              histogram: handing one view to the pass's sockets
    broadcast_recipients{view}           histogram: people a view went to (the fan-out)
    lease_events_total{event}            counter: taken, released, lost, handed_over
    event_loop_lag_seconds               histogram: how late the loop woke
    passes{phase}, participants{phase}   gauges, shared by all workers (from Redis)
    connections{namespace}               gauge: this worker's sockets
    dependency_up{dependency}            gauge 1/0: redis, livekit, database
    dependency_latency_seconds{dependency}
    echo_sessions, echo_capacity         gauges: this worker's echo tests
plus the process's own (``process_*``: CPU, memory, open files).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from orchestrator.errors import AuthError
from orchestrator.metrics import LeaseEvent, Outcome
from orchestrator.services import Services
from orchestrator.tickets import Kind
from signalling.views import Runtime

log = logging.getLogger(__name__)

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_FAST = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
_PEOPLE = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)
_LAG = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class PrometheusMetrics:
    """The services' ``Metrics``, kept in a registry of this worker's own."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        self._command = Histogram("onlive_command_seconds",
                                  "Facilitator commands and answers, from intake to stored",
                                  ["command", "outcome"], buckets=_LATENCY, registry=registry)
        self._broadcast = Histogram("onlive_broadcast_seconds",
                                    "Handing one view to the sockets of a pass",
                                    ["view"], buckets=_FAST, registry=registry)
        self._recipients = Histogram("onlive_broadcast_recipients",
                                     "People one broadcast view went to (the fan-out)",
                                     ["view"], buckets=_PEOPLE, registry=registry)
        self._lease = Counter("onlive_lease_events", "Changes of timer leases on this worker",
                              ["event"], registry=registry)
        self._lag = Histogram("onlive_event_loop_lag_seconds", "How late the event loop woke",
                              buckets=_LAG, registry=registry)
        self.passes = Gauge("onlive_passes", "Live passes by phase (all workers)", ["phase"],
                            registry=registry)
        self.participants = Gauge("onlive_participants",
                                  "People present in live passes, by phase (all workers)",
                                  ["phase"], registry=registry)
        self.connections = Gauge("onlive_connections", "Sockets on this worker, by namespace",
                                 ["namespace"], registry=registry)
        self.up = Gauge("onlive_dependency_up", "1 when the dependency answered the last check",
                        ["dependency"], registry=registry)
        self.latency = Gauge("onlive_dependency_latency_seconds",
                             "How long the dependency took to answer the last check",
                             ["dependency"], registry=registry)
        self.echo_sessions = Gauge("onlive_echo_sessions", "Echo tests running on this worker",
                                   registry=registry)
        self.echo_capacity = Gauge("onlive_echo_capacity",
                                   "Echo tests this worker runs at once at most",
                                   registry=registry)
        # Every label value that can occur is shown from the start (0 until it happens),
        # so a rate() over a fresh worker is defined.
        for event in LeaseEvent:
            self._lease.labels(event.value)

    # -- orchestrator.metrics.Metrics -------------------------------------------------

    def command(self, name: str, outcome: Outcome, seconds: float) -> None:
        self._command.labels(name, outcome.value).observe(seconds)

    def broadcast(self, view: str, recipients: int, seconds: float) -> None:
        self._broadcast.labels(view).observe(seconds)
        self._recipients.labels(view).observe(recipients)

    def lease(self, event: LeaseEvent) -> None:
        self._lease.labels(event.value).inc()

    def loop_lag(self, seconds: float) -> None:
        self._lag.observe(max(0.0, seconds))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsRoutes:
    """``GET /metrics`` for ops; ``connections`` counts this worker's sockets by namespace."""

    def __init__(self, services: Callable[[], Services], metrics: PrometheusMetrics,
                 runtime: Callable[[], Runtime],
                 connections: Callable[[], Mapping[str, int]]) -> None:
        self.services = services
        self.metrics = metrics
        self.runtime = runtime
        self.connections = connections

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/metrics", self.scrape)

    async def _allowed(self, request: web.Request) -> bool:
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            return False
        access = self.services().access
        try:
            await access.admit(credential.strip(), Kind.OPS)  # revoked credentials too
        except AuthError as error:
            log.info("metrics scrape refused: %s", error.message, extra={"remote": request.remote})
            return False
        except Exception as error:  # noqa: BLE001 - Redis away: the revocations cannot be read
            # Figures are most needed during an outage: a valid signature is enough then.
            log.warning("metrics scrape admitted without the revocation check: %s", error)
            try:
                access.verify(credential.strip(), Kind.OPS)
            except AuthError:
                return False
        return True

    async def scrape(self, request: web.Request) -> web.Response:
        if not await self._allowed(request):
            return web.json_response(
                {"ok": False, "error": {"code": "missing_credential",
                                        "message": "send an ops credential as "
                                                   "'Authorization: Bearer CREDENTIAL'"}},
                status=401, headers={"WWW-Authenticate": 'Bearer realm="onlive metrics"'})
        m = self.metrics
        figures = await self.services().overview.figures()
        for phase, count in figures.passes.items():
            m.passes.labels(phase.value).set(count)
        for phase, count in figures.participants.items():
            m.participants.labels(phase.value).set(count)
        for name, check in figures.health.items():
            m.up.labels(name).set(1 if check.ok else 0)
            if check.latency_ms is not None:
                m.latency.labels(name).set(check.latency_ms / 1000)
        for namespace, count in self.connections().items():
            m.connections.labels(namespace).set(count)
        runtime = self.runtime()
        m.echo_sessions.set(runtime.echo_active)
        m.echo_capacity.set(runtime.echo_capacity)
        return web.Response(body=m.exposition(), headers={
            "Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})
