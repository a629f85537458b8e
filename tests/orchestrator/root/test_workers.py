"""The worker process that forms breakout rounds off the event loop."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from orchestrator.root.workers import GroupingPool


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
