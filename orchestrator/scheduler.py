"""The timer scheduler: fires stored deadlines, one lease-holding worker per pass.

Deadlines live in Redis (``timers`` zset), never in sleeping coroutines. Each
worker wakes at the earliest deadline (or when its own service schedules
something), takes the lease of each due pass and ticks it. The holder keeps
the lease while the pass has a deadline, renewing it every ``renew_ms``
(well inside its ``lease_ms`` lifetime), so a worker that dies stops
renewing and its leases lapse within ``lease_ms``. While a due pass is held
by someone else, the others look again every ``BLOCKED_POLL`` seconds, so a
successor fires it as soon as the lease lapses: a deadline fires at most
``lease_ms`` + ``BLOCKED_POLL`` late after a worker is killed.

On a graceful shutdown ``hand_over`` stops the loop and releases every lease
at once; the others take them at their next look (never more than
``BLOCKED_POLL`` after a due deadline). States: running -> handed over.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable

from orchestrator.metrics import NO_METRICS, LeaseEvent, Metrics
from orchestrator.ports import Store
from orchestrator.service import PassService

log = logging.getLogger(__name__)

MAX_SLEEP = 1.0
MIN_SLEEP = 0.005
#: How often a worker looks again at a due pass whose lease another worker holds.
BLOCKED_POLL = 0.1


def sleep_for(next_deadline: float | None, now: float, *, renew_in: float | None = None,
              blocked: bool = False) -> float:
    """How long to sleep before looking again (pure).

    ``renew_in``: seconds until held leases must be renewed; ``blocked``: a
    due pass is held by another worker (look again soon, it may lapse).
    """
    delay = MAX_SLEEP if next_deadline is None else \
        min(MAX_SLEEP, max(MIN_SLEEP, next_deadline - now))
    if blocked:
        # The earliest deadline is the blocked one, already past: do not spin on it.
        delay = BLOCKED_POLL
    if renew_in is not None:
        delay = min(delay, max(MIN_SLEEP, renew_in))
    return delay


class Scheduler:
    def __init__(self, store: Store, service: PassService, *, lease_ms: int,
                 renew_ms: int | None = None, clock: Callable[[], float] = time.time,
                 worker_id: str | None = None, metrics: Metrics = NO_METRICS) -> None:
        self.store = store
        self.metrics = metrics
        self.service = service
        self.lease_ms = lease_ms
        self.renew_ms = renew_ms if renew_ms is not None else max(50, lease_ms // 3)
        self.clock = clock
        self.worker_id = worker_id or f"w-{secrets.token_hex(4)}"
        self.owned: set[str] = set()
        self.handovers = 0  # leases given up on a graceful shutdown (for metrics)
        self.takeovers = 0  # due passes this worker took (first or after another's lease)
        self._blocked = False
        self._renewed_at = 0.0
        self._stopped = False
        self._wake = asyncio.Event()
        service.on_schedule = lambda at: self._wake.set()

    def poke(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while not self._stopped:
            try:
                await self._round()
                renew_in = (self._renewed_at + self.renew_ms / 1000 - time.monotonic()
                            if self.owned else None)
                delay = sleep_for(await self.store.next_deadline(), self.clock(),
                                  renew_in=renew_in, blocked=self._blocked)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler round failed", extra={"worker": self.worker_id})
                delay = BLOCKED_POLL * 2
            self._wake.clear()
            try:
                # Not wait_for: on Python 3.11 it swallows a cancellation that comes
                # as the wake-up does.
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            except asyncio.TimeoutError:
                pass

    async def _round(self) -> None:
        if time.monotonic() - self._renewed_at >= self.renew_ms / 1000 * 0.9:
            await self._renew()
        self._blocked = False
        for pass_id in await self.store.due(self.clock()):
            if self._stopped:
                return
            # Taking the lease again renews it (one round trip, only when due).
            if not await self.store.acquire_lease(pass_id, self.worker_id, self.lease_ms):
                self._blocked = True
                self.owned.discard(pass_id)
                continue
            if pass_id not in self.owned:
                self.owned.add(pass_id)
                self.takeovers += 1
                self.metrics.lease(LeaseEvent.TAKEN)
            try:
                await self.service.tick(pass_id)
            except Exception:
                log.exception("timer tick failed", extra={"pass_id": pass_id})

    async def _renew(self) -> None:
        self._renewed_at = time.monotonic()
        for pass_id in list(self.owned):
            if await self.store.deadline_of(pass_id) is None:
                await self.store.release_lease(pass_id, self.worker_id)
                self.owned.discard(pass_id)
                self.metrics.lease(LeaseEvent.RELEASED)
            elif not await self.store.acquire_lease(pass_id, self.worker_id, self.lease_ms):
                self.owned.discard(pass_id)
                self.metrics.lease(LeaseEvent.LOST)

    async def hand_over(self) -> int:
        """Stop firing and give every lease up at once; returns how many."""
        self._stopped = True
        self._wake.set()
        count = len(self.owned)
        await self.release_all()
        self.handovers += count
        for _ in range(count):
            self.metrics.lease(LeaseEvent.HANDED_OVER)
        if count:
            log.info("leases handed over", extra={"worker": self.worker_id, "count": count})
        return count

    async def release_all(self) -> None:
        for pass_id in list(self.owned):
            await self.store.release_lease(pass_id, self.worker_id)
        self.owned.clear()
