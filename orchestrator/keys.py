"""Typed keys of the long-lived resources in the aiohttp application."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis
import socketio
from aiohttp import web

from orchestrator.scheduler import Scheduler
from orchestrator.service import PassService
from orchestrator.settings import Settings
from orchestrator.sfu import Sfu
from orchestrator.store import Store
from orchestrator.taskset import TaskSet
from signalling.media import EchoPool

SETTINGS = web.AppKey("settings", Settings)
REDIS = web.AppKey("redis", aioredis.Redis)
STORE = web.AppKey("store", Store)
SFU = web.AppKey("sfu", Sfu)
SIO = web.AppKey("sio", socketio.AsyncServer)
SERVICE = web.AppKey("service", PassService)
SCHEDULER = web.AppKey("scheduler", Scheduler)
TASKS = web.AppKey("tasks", TaskSet)
ECHO = web.AppKey("echo", EchoPool)
STARTED = web.AppKey("started", float)


@dataclass
class LoopLag:
    """How late the event loop woke, in milliseconds (ops sees it)."""

    last_ms: float = 0.0
    max_ms: float = 0.0


LOOP_LAG = web.AppKey("loop_lag", LoopLag)

WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"
