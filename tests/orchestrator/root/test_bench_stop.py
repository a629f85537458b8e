"""A benchmark stopped with SIGTERM (a ``timeout``, a cancelled job) stops what it started.

Without it, Python ends at once on SIGTERM and the benchmark's PostgreSQL (and
Redis, LiveKit, workers) run on with nobody to stop them. ``onlive bench
program`` starts only PostgreSQL, so it shows the rule cheaply; every
benchmark goes through the same ``onlive bench`` entry and ``finally`` blocks.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.waiting import eventually

pytestmark = pytest.mark.services


def _children(pid: int) -> list[int]:
    """The children of ``pid``; none once it has gone (it may go while it is read)."""
    out: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _descendants(pid: int) -> dict[int, str]:
    """Every process below ``pid``, with its command line."""
    found: dict[int, str] = {}
    todo = _children(pid)
    while todo:
        child = todo.pop()
        try:
            found[child] = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        todo += _children(child)
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _postmaster(below: dict[int, str]) -> bool:
    return any(cmd.split(" ", 1)[0].endswith("/postgres") for cmd in below.values())


def _connected(below: dict[int, str]) -> bool:
    """The benchmark has connected: a PostgreSQL backend serves a client of 127.0.0.1."""
    return any(cmd.startswith("postgres:") and "127.0.0.1(" in cmd for cmd in below.values())


@pytest.fixture
def bench_tmp() -> Iterator[Path]:
    """A TMPDIR of the benchmark's own (the postgres user passes through, as in /tmp)."""
    path = Path(tempfile.mkdtemp(prefix="onlive-bench-stop-"))
    path.chmod(0o711)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("when", ["starting", "running"])
async def test_sigterm_stops_the_benchmark_and_every_service_it_started(
        when: str, bench_tmp: Path) -> None:
    # Leaving the block closes the pipes; a test that failed first still stops the
    # benchmark the way under test, and only kills it when that does not work.
    with subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "bench", "program", "--people", "200000"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "TMPDIR": str(bench_tmp)}) as bench:
        try:
            ready = _postmaster if when == "starting" else _connected
            below = await eventually(lambda: (lambda d: d if ready(d) else None)(
                _descendants(bench.pid)), what=f"the benchmark's PostgreSQL {when}",
                timeout=90, interval=0.02)
            bench.send_signal(signal.SIGTERM)
            _, err = await asyncio.to_thread(bench.communicate, timeout=90)
        finally:
            if bench.poll() is None:
                bench.send_signal(signal.SIGTERM)
                try:
                    await asyncio.to_thread(bench.communicate, timeout=60)
                except subprocess.TimeoutExpired:
                    bench.kill()
                    bench.wait()
    assert bench.returncode == 130, err.decode()
    assert "stopped before the end; the services it started are stopped" in err.decode()
    assert not [cmd for pid, cmd in below.items() if _running(pid)]
    assert not list(bench_tmp.iterdir()), "its state directory is removed"
