"""A set of background tasks that keeps a strong reference to each until it ends,
and stopping tasks for good.

Failures are logged with the task's name; ``cancel_all`` cancels, then
awaits, every task but the caller's own.

``stop_all`` cancels tasks and waits until they have ended, cancelling again
those that go on: a cancellation can be swallowed by what a task awaits
(Python 3.11's ``asyncio.wait_for`` when the awaited call ends at that moment;
redis-py's asyncio client while it sends, reads or returns a connection to its
pool), and a background loop would then run on and hold up the worker's
shutdown. A task left running after ``timeout`` is logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Coroutine
from typing import Any

log = logging.getLogger(__name__)

#: How long stopping a task may take, and how often one that goes on is cancelled again.
STOP_TIMEOUT_S = 2.0
RECANCEL_S = 0.05



class TaskSet:
    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro, name=f"{self.name}:{what}")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("background task %s failed: %r", task.get_name(), error, exc_info=error)

    def __len__(self) -> int:
        return len(self._tasks)

    async def drain(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the tasks to finish by themselves."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def cancel_all(self, timeout: float = STOP_TIMEOUT_S) -> None:
        current = asyncio.current_task()
        # A task that failed has been logged already.
        await stop_all([t for t in self._tasks if t is not current], timeout)


async def stop_all(tasks: Collection[asyncio.Task[Any]],
                   timeout: float = STOP_TIMEOUT_S) -> bool:
    """Cancel ``tasks`` until each has ended; False when some still run after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    running = [t for t in tasks if not t.done()]
    while running:
        remaining = deadline - loop.time()
        if remaining <= 0:
            log.error("tasks still running after being cancelled for %.1f s: %s", timeout,
                      sorted(t.get_name() for t in running))
            return False
        for task in running:
            task.cancel()
        await asyncio.wait(running, timeout=min(RECANCEL_S, remaining))
        running = [t for t in running if not t.done()]
    for task in tasks:  # what a task raised was logged by its owner, or is a cancellation
        if not task.cancelled():
            task.exception()
    return True


async def stop(task: asyncio.Task[Any], timeout: float = STOP_TIMEOUT_S) -> bool:
    """``stop_all`` for one task."""
    return await stop_all([task], timeout)
