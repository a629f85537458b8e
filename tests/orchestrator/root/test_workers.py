"""The worker process that forms breakout rounds off the event loop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from orchestrator.root.workers import GroupingPool
from tests.harness import alive
from tests.waiting import eventually

#: A worker that starts its grouping process, writes its pid, then waits to be killed
#: (nothing of it is piped to the test: the grouping process would hold the pipe open).
_PARENT = """
import os, signal, sys
from orchestrator.root.workers import GroupingPool
pool = GroupingPool()
with open(sys.argv[1] + ".new", "w") as f:
    f.write(str(pool.submit(os.getpid).result(timeout=60)))
os.rename(sys.argv[1] + ".new", sys.argv[1])
signal.pause()
"""


def test_the_grouping_process_starts_on_first_use_again_after_it_died_and_stops_with_the_pool() -> None:
    pool = GroupingPool()
    try:
        assert pool.started == 0, "nothing runs until a round is formed"
        first = pool.submit(os.getpid).result(timeout=60)
        assert first != os.getpid() and pool.submit(os.getpid).result(timeout=60) == first
        with pytest.raises(BrokenProcessPool):
            pool.submit(os._exit, 1).result(timeout=60)
        second = pool.submit(os.getpid).result(timeout=60)
        assert second not in (first, os.getpid()) and pool.started == 2
    finally:
        pool.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(os.getpid)


async def test_the_grouping_process_ends_when_its_worker_is_killed(tmp_path: Path) -> None:
    """kill -9 of a worker (a crash, the production test's killed worker) leaves no
    grouping process behind waiting for work forever."""
    said = tmp_path / "grouping-pid"
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _PARENT, str(said), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, cwd=Path(__file__).parents[3])
    child: int | None = None
    try:
        child = int(await eventually(lambda: said.exists() and said.read_text(), timeout=60,
                                     what="the grouping process started"))
        assert child != parent.pid and alive(child)
        parent.send_signal(signal.SIGKILL)
        await parent.wait()
        await eventually(lambda: not alive(child), what=f"the grouping process {child} ended")
    finally:
        if parent.returncode is None:
            parent.kill()
            await parent.wait()
        if child is not None and alive(child):
            os.kill(child, signal.SIGKILL)
