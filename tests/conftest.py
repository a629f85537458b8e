"""Fixtures that start the real services: redis-server and livekit-server.

They start once per test session on free loopback ports. A missing binary is
a failure, never a skip: CI must exercise the real services.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from orchestrator.root.procs import (
    Child,
    LiveKitKeys,
    free_port,
    load_or_create_keys,
    start_livekit,
    start_redis,
)
from orchestrator.settings import Settings
from tests.harness import OrchestratorProcess, orchestrator_env

LIVEKIT_BIN = Path(os.environ.get("ONLIVE_LIVEKIT_BIN", str(Settings().livekit_bin)))


@dataclass(frozen=True)
class RedisService:
    url: str
    port: int
    child: Child


@dataclass(frozen=True)
class LiveKitService:
    url: str  # ws://127.0.0.1:port, what clients connect to
    http_url: str  # http://127.0.0.1:port, what the API client uses
    port: int
    keys: LiveKitKeys
    webhook_port: int  # the orchestrator port LiveKit posts webhooks to
    child: Child


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisService]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run the README's test command (make test)")
    port = free_port()
    child = start_redis(tmp_path_factory.mktemp("redis"), port)
    try:
        yield RedisService(f"redis://127.0.0.1:{port}/0", port, child)
    finally:
        child.stop()


@pytest.fixture(scope="session")
def livekit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveKitService]:
    if not LIVEKIT_BIN.exists():
        pytest.fail(f"livekit-server is not installed at {LIVEKIT_BIN}: run make test")
    state = tmp_path_factory.mktemp("livekit")
    keys = load_or_create_keys(state / "keys.json")
    port, webhook_port = free_port(), free_port()
    udp_port = free_port(kind=__import__("socket").SOCK_DGRAM)
    child = start_livekit(LIVEKIT_BIN, state, port=port, udp_port=udp_port, keys=keys,
                          webhook_url=f"http://127.0.0.1:{webhook_port}/webhooks/livekit",
                          empty_timeout=30, departure_timeout=5)
    try:
        yield LiveKitService(f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}", port, keys,
                             webhook_port, child)
    finally:
        child.stop()


@pytest.fixture
def env(redis_server: RedisService, livekit_server: LiveKitService,
        tmp_path: Path) -> dict[str, str]:
    """The orchestrator's environment; every test starts from an empty store."""
    redis.Redis.from_url(redis_server.url).flushdb()
    return orchestrator_env(redis_server.url, livekit_server, tmp_path / "state")


@pytest.fixture
def orchestrator(env: dict[str, str], tmp_path: Path) -> Iterator[OrchestratorProcess]:
    """``python -m orchestrator serve`` on the port LiveKit sends webhooks to."""
    process = OrchestratorProcess(env, tmp_path / "orchestrator.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()
