"""The timer scheduler: fires stored deadlines, one lease-holding worker per pass.

Deadlines live in Redis (``timers`` zset), never in sleeping coroutines. Each
worker wakes at the earliest deadline (at least once a second, or when its
own service schedules something), takes or renews the lease of each due pass
and ticks it. A worker that dies stops renewing; its leases expire and any
other worker takes over, firing whatever came due meanwhile.
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


def sleep_for(next_deadline: float | None, now: float) -> float:
    """How long to sleep before looking again (pure)."""
    if next_deadline is None:
        return MAX_SLEEP
    return min(MAX_SLEEP, max(MIN_SLEEP, next_deadline - now))


class Scheduler:
    def __init__(self, store: Store, service: PassService, *, lease_ms: int,
                 clock: Callable[[], float] = time.time, worker_id: str | None = None,
                 metrics: Metrics = NO_METRICS) -> None:
        self.store = store
        self.metrics = metrics
        self.service = service
        self.lease_ms = lease_ms
        self.clock = clock
        self.worker_id = worker_id or f"w-{secrets.token_hex(4)}"
        self.owned: set[str] = set()
        self._wake = asyncio.Event()
        service.on_schedule = lambda at: self._wake.set()

    def poke(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await self._round()
                delay = sleep_for(await self.store.next_deadline(), self.clock())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler round failed", extra={"worker": self.worker_id})
                delay = MAX_SLEEP
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except asyncio.TimeoutError:
                pass

    async def _round(self) -> None:
        for pass_id in list(self.owned):
            if await self.store.deadline_of(pass_id) is None:
                await self.store.release_lease(pass_id, self.worker_id)
                self.owned.discard(pass_id)
                self.metrics.lease(LeaseEvent.RELEASED)
            elif not await self.store.acquire_lease(pass_id, self.worker_id, self.lease_ms):
                self.owned.discard(pass_id)
                self.metrics.lease(LeaseEvent.LOST)
        for pass_id in await self.store.due(self.clock()):
            if not await self.store.acquire_lease(pass_id, self.worker_id, self.lease_ms):
                continue
            if pass_id not in self.owned:
                self.metrics.lease(LeaseEvent.TAKEN)
            self.owned.add(pass_id)
            try:
                await self.service.tick(pass_id)
            except Exception:
                log.exception("timer tick failed", extra={"pass_id": pass_id})

    async def release_all(self) -> None:
        for pass_id in list(self.owned):
            await self.store.release_lease(pass_id, self.worker_id)
            self.metrics.lease(LeaseEvent.RELEASED)
        self.owned.clear()
