"""``onlive dev``: starts Redis, PostgreSQL and LiveKit, prints links, starts a dead LiveKit
again and says so, stops everything on Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from orchestrator.root.procs import free_port
from tests.harness import ROOT, alive

pytestmark = pytest.mark.services


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """A state dir the postgres user can reach (pytest's tmp dirs are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="onlive-dev-", dir="/tmp"))
    os.chmod(path, 0o711)
    try:
        yield path / "state"
    finally:
        shutil.rmtree(path, ignore_errors=True)


def dev_env(state_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONLIVE_")}
    env.update({
        "ONLIVE_STATE_DIR": str(state_dir),
        "ONLIVE_PORT": str(free_port()),
        "ONLIVE_REDIS_PORT": str(free_port()),
        "ONLIVE_POSTGRES_PORT": str(free_port()),
        "ONLIVE_LIVEKIT_PORT": str(free_port()),
        "ONLIVE_LIVEKIT_UDP_PORT": str(free_port(__import__("socket").SOCK_DGRAM)),
    })
    if "ONLIVE_LIVEKIT_BIN" in os.environ:
        env["ONLIVE_LIVEKIT_BIN"] = os.environ["ONLIVE_LIVEKIT_BIN"]
    return env


def test_dev_prints_links_restarts_a_dead_livekit_and_ctrl_c_stops_everything_within_5_seconds(
        tmp_path: Path, state_dir: Path) -> None:
    env = dev_env(state_dir)
    with open(tmp_path / "dev.err", "w") as err, subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "dev"], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=err, text=True) as proc:
        try:
            run_and_stop(proc, env, tmp_path)
        finally:
            stop_if_running(proc)


def stop_if_running(proc: subprocess.Popen[str]) -> None:
    """A check that failed left ``onlive dev`` running (and ``Popen`` would wait for
    it for ever): Ctrl-C stops it with its children; kill it if that does not."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Terminal:
    """What ``onlive dev`` prints, read line by line by a thread as it comes."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._arrived: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._arrived.put(line)
        self._arrived.put(None)

    def until(self, text: str, timeout: float) -> str:
        """Everything printed so far, once a line containing ``text`` came ("" if it ended)."""
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            try:
                line = self._arrived.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"not within {timeout:g} s on the terminal: {text!r}\n"
                            + "".join(self.lines))
            if line is None:
                return ""
            self.lines.append(line)
        return "".join(self.lines)


def run_and_stop(proc: subprocess.Popen[str], env: dict[str, str], tmp_path: Path) -> None:
    assert proc.stdout is not None
    terminal = Terminal(proc.stdout)
    out = terminal.until("Ctrl-C", 60)
    assert "Facilitator: http://127.0.0.1:" in out, out + (tmp_path / "dev.err").read_text()
    participants = re.findall(r"/p#ticket=\S+", out)
    assert len(participants) >= 6
    assert "Nothing is recorded" in out
    port = env["ONLIVE_PORT"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
        assert r.status == 200
    # The demo gym: each person's Min träning link, and the mail it sent on /dev/mail.
    assert len(re.findall(r"/m#link=[A-Za-z0-9_-]{43}", out)) == 5, out
    assert f"http://127.0.0.1:{port}/dev/mail" in out

    def invitations() -> list[str]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/dev/mail.json", timeout=5) as r:
            return [m["subject"] for m in json.loads(r.read())["mails"]]

    deadline = time.monotonic() + 30
    while len(invitations()) < 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert sorted(invitations())[0].startswith("Choose your session"), invitations()
    children = [int(p) for p in subprocess.run(
        ["pgrep", "-f", f"redis-server.*{env['ONLIVE_REDIS_PORT']}|livekit-{env['ONLIVE_LIVEKIT_PORT']}"
         f"|postgres -D .*port={env['ONLIVE_POSTGRES_PORT']}"],
        capture_output=True, text=True).stdout.split()]
    assert len(children) == 3, "redis-server, postgres and livekit-server run as children"
    password = Path(env["ONLIVE_STATE_DIR"]) / "postgres-password"
    assert password.stat().st_mode & 0o777 == 0o600
    hba = (Path(env["ONLIVE_STATE_DIR"]) / "postgres" / "data" / "pg_hba.conf").read_text()
    assert [line for line in hba.splitlines() if not line.startswith("#")] == [
        "host all all 127.0.0.1/32 scram-sha-256"], "loopback TCP with a password, nothing else"
    aof = Path(env["ONLIVE_STATE_DIR"]) / "redis"
    assert any(aof.rglob("*.aof")), "Redis keeps an append-only file"
    assert aof.stat().st_mode & 0o777 == 0o700, "Redis's data is readable by onlive alone"
    redis_password = Path(env["ONLIVE_STATE_DIR"]) / "redis-password"
    assert redis_password.stat().st_mode & 0o777 == 0o600
    keys = Path(env["ONLIVE_STATE_DIR"]) / "livekit-keys.json"
    assert keys.stat().st_mode & 0o777 == 0o600

    # A LiveKit child that dies is started again, and the terminal says so.
    livekit = [int(p) for p in subprocess.run(
        ["pgrep", "-f", f"livekit-{env['ONLIVE_LIVEKIT_PORT']}"],
        capture_output=True, text=True).stdout.split()]
    assert len(livekit) == 1 and livekit[0] in children
    os.kill(livekit[0], signal.SIGKILL)
    said = terminal.until("livekit-server is running again", 60)
    assert "livekit-server stopped (exit code -9); starting it again." in said, said
    restarted = int(re.findall(r"livekit-server is running again \(pid (\d+)\)", said)[0])
    assert restarted != livekit[0] and alive(restarted) and not alive(livekit[0])
    children.append(restarted)
    deadline = time.monotonic() + 30
    while not ready(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ready(port), "the orchestrator is ready again with the new LiveKit"

    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=10)
    took = time.monotonic() - start
    assert proc.returncode == 0
    assert took < 5, f"stopping took {took:.1f}s"
    assert not any(alive(pid) for pid in children)


def ready(port: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as r:
            return bool(r.status == 200)
    except OSError:
        return False


def test_dev_refuses_a_busy_port_with_a_clear_error(state_dir: Path) -> None:
    env = dev_env(state_dir)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", int(env["ONLIVE_PORT"])))
        s.listen()
        proc = subprocess.run([sys.executable, "-m", "orchestrator", "dev"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert f"cannot use TCP port {env['ONLIVE_PORT']}" in proc.stderr
    assert "ONLIVE_PORT" in proc.stderr
