"""``onlive dev``'s supervisor: a killed child comes back, after a growing back-off while it
keeps dying, and the terminal is told (the dev command's test kills its LiveKit)."""

from __future__ import annotations

import io
import os
import secrets
import signal
import socket
from pathlib import Path

import pytest

from orchestrator.root.procs import REDIS_USER, free_port, start_redis
from orchestrator.root.supervise import MAX_BACKOFF_S, STABLE_S, Supervisor, backoff
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


@pytest.mark.services
async def test_a_child_that_dies_again_soon_waits_its_back_off_and_the_terminal_says_how_long(
        tmp_path: Path) -> None:
    port = free_port()
    password = secrets.token_urlsafe(24)
    children = [start_redis(tmp_path / "redis", port, password=password)]
    out = io.StringIO()
    now = [100.0]
    supervisor = Supervisor(children, out, clock=lambda: now[0])
    try:
        for expected_wait in (0.0, 1.0, 2.0):
            dead = children[0]
            os.kill(dead.pid, signal.SIGKILL)
            await eventually(lambda: not dead.alive(), what="the child died")
            await supervisor.look()
            if expected_wait:
                assert children[0] is dead, "not started again before its back-off"
                assert out.getvalue().splitlines()[-1] == (
                    f"redis-server stopped (exit code -9); starting it again in "
                    f"{expected_wait:g} s.")
                now[0] += expected_wait
                await supervisor.look()
            assert children[0] is not dead and children[0].alive()
            assert _answers(port, password)
            now[0] += 5  # up for a moment only: the next death counts as in a row
        # Up for half a minute: the next death is restarted at once again.
        await supervisor.look()
        now[0] += STABLE_S
        await supervisor.look()
        dead = children[0]
        os.kill(dead.pid, signal.SIGKILL)
        await eventually(lambda: not dead.alive(), what="the child died")
        await supervisor.look()
        assert children[0] is not dead and children[0].alive()
        assert [event for _, event in supervisor.history] == ["died", "restarted"] * 4
    finally:
        for child in children:
            child.stop()
