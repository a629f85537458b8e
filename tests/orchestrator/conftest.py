from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.harness import OrchestratorProcess, orchestrator_env


@pytest.fixture
def env(redis_server, livekit_server, tmp_path: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    # Every test starts from an empty store; LiveKit rooms are per pass id.
    redis.Redis.from_url(redis_server.url).flushdb()
    return orchestrator_env(redis_server.url, livekit_server, tmp_path / "state")


@pytest.fixture
def orchestrator(env: dict[str, str], tmp_path: Path) -> Iterator[OrchestratorProcess]:
    process = OrchestratorProcess(env, tmp_path / "orchestrator.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()
