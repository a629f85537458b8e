"""Typed keys of the long-lived resources in the aiohttp application."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import redis.asyncio as aioredis
import socketio
from aiohttp import web

from orchestrator.adapters.livekit import LiveKitSfu
from orchestrator.adapters.postgres import PostgresRecords
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.root.workers import GroupingPool
from orchestrator.scheduler import Scheduler
from orchestrator.services import Services
from orchestrator.settings import Settings
from orchestrator.signon import SignOn
from orchestrator.taskset import TaskSet
from signalling.channel import Channel
from signalling.guard import Guard
from signalling.media import EchoPool
from signalling.metrics import PrometheusMetrics

SETTINGS = web.AppKey("settings", Settings)
REDIS = web.AppKey("redis", aioredis.Redis)
STORE = web.AppKey("store", RedisStore)
RECORDS = web.AppKey("records", PostgresRecords)
SFU = web.AppKey("sfu", LiveKitSfu)
SIO = web.AppKey("sio", socketio.AsyncServer)
SERVICES = web.AppKey("services", Services)
SCHEDULER = web.AppKey("scheduler", Scheduler)
TASKS = web.AppKey("tasks", TaskSet)
ECHO = web.AppKey("echo", EchoPool)
GROUPING = web.AppKey("grouping", GroupingPool)
STARTED = web.AppKey("started", float)
METRICS = web.AppKey("metrics", PrometheusMetrics)
CHANNEL = web.AppKey("channel", Channel)
#: The limits' state; ``GUARD.refusals.snapshot()`` counts every refusal by code (metrics).
GUARD = web.AppKey("guard", Guard)
SIGNON = web.AppKey("signon", SignOn)


@dataclass
class LoopLag:
    """How late the event loop woke, in milliseconds (ops sees it)."""

    last_ms: float = 0.0
    max_ms: float = 0.0
    #: The last minute of samples (one every ``SAMPLE_S``), for the p99 ops and benchmarks read.
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=600))

    SAMPLE_S = 0.1

    def add(self, late_ms: float) -> None:
        self.last_ms = round(late_ms, 2)
        self.max_ms = round(max(self.max_ms, late_ms), 2)
        self.recent.append(late_ms)

    @property
    def p99_ms(self) -> float:
        if not self.recent:
            return 0.0
        ordered = sorted(self.recent)
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 2)


LOOP_LAG = web.AppKey("loop_lag", LoopLag)


@dataclass
class Shutdown:
    """Whether the drain phases ran (``onlive serve`` runs them before closing the
    sockets; the app's own shutdown hook only when nobody did)."""

    drained: bool = False


SHUTDOWN = web.AppKey("shutdown", Shutdown)
