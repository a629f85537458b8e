"""The worker process that forms breakout rounds off the event loop.

A round of a thousand trios is pure-Python CPU work: in a thread it would
still hold the GIL that the event loop (every other pass on this worker)
needs, so it runs in one child process. One is enough: rounds are opened
by facilitators, seconds apart, and each takes tens of milliseconds there.
The process is started on first use (the service gives it a round of two
as soon as a pass waits for a round, so the facilitator's round does not
wait for it), from a fresh interpreter (``spawn``:
forking a process that runs threads for Redis and Socket.IO could copy a
held lock), started again if it dies, and stopped with the application.
It also ends when the worker itself dies without stopping it (``kill -9``,
a crash): the pool's own queue, of which it holds both ends, would keep it
waiting for work forever, so it waits on its parent's sentinel as well.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")


def _leave_with_parent() -> None:
    """In the child: exit as soon as the process that started it is gone."""
    parent = multiprocessing.parent_process()
    if parent is None:  # not a child of multiprocessing (never so in the pool)
        return

    def wait() -> None:
        parent.join()  # returns when the parent's sentinel closes: the parent died
        os._exit(0)

    threading.Thread(target=wait, name="leave-with-parent", daemon=True).start()


class GroupingPool(Executor):
    """A single-worker process pool, started lazily and restarted when broken."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.started = 0  # worker pools started, for ops and tests

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._lock:
            if self._closed:
                raise RuntimeError("the grouping pool is shut down")
            if self._pool is not None:
                try:
                    return self._pool.submit(fn, *args, **kwargs)
                except BrokenProcessPool:
                    log.error("grouping worker died; starting a new one")
                    self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = ProcessPoolExecutor(max_workers=1,
                                             mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_leave_with_parent)
            self.started += 1
            return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)
