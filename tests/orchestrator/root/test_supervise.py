"""``onlive dev``'s supervisor: a killed redis-server child comes back, and it says so."""

from __future__ import annotations

import io
import os
import secrets
import signal
import socket
from pathlib import Path

import pytest

from orchestrator.root.procs import REDIS_USER, free_port, start_redis
from orchestrator.root.supervise import MAX_BACKOFF_S, Supervisor, backoff
from tests.waiting import eventually


def test_restarts_back_off_up_to_half_a_minute() -> None:
    assert [backoff(n) for n in range(7)] == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]
    assert backoff(50) == MAX_BACKOFF_S


def _answers(port: int, password: str) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(f"AUTH {REDIS_USER} {password}\r\nPING\r\n".encode())
            answer = b""
            while answer.count(b"\r\n") < 2:
                chunk = s.recv(64)
                if not chunk:
                    return False
                answer += chunk
            return answer == b"+OK\r\n+PONG\r\n"
    except OSError:
        return False


@pytest.mark.services
async def test_a_killed_redis_child_is_started_again_and_the_terminal_is_told(
        tmp_path: Path) -> None:
    port = free_port()
    password = secrets.token_urlsafe(24)
    children = [start_redis(tmp_path / "redis", port, password=password)]
    out = io.StringIO()
    supervisor = Supervisor(children, out)
    try:
        first = children[0]
        os.kill(first.pid, signal.SIGKILL)
        await eventually(lambda: not first.alive(), what="the child died")
        await supervisor.look()  # the first restart in a row waits for nothing
        assert children[0] is not first
        assert children[0].alive() and _answers(port, password)
        assert first.process.poll() is not None, "the dead child was reaped, not defunct"
        text = out.getvalue()
        assert "redis-server stopped (exit code -9)" in text
        assert f"redis-server is running again (pid {children[0].pid})" in text
        assert supervisor.history == [("redis-server", "died"), ("redis-server", "restarted")]
    finally:
        for child in children:
            child.stop()
