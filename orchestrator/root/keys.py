"""Typed keys of the long-lived resources in the aiohttp application."""

from __future__ import annotations

from dataclasses import dataclass

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
from orchestrator.taskset import TaskSet
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


@dataclass
class LoopLag:
    """How late the event loop woke, in milliseconds (ops sees it)."""

    last_ms: float = 0.0
    max_ms: float = 0.0


LOOP_LAG = web.AppKey("loop_lag", LoopLag)
