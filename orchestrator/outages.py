"""The Redis watcher: notices a live-store outage and the recovery, and tells people.

Every ``INTERVAL_S`` it pings the live store and reads whether the
cross-worker channel is subscribed (``channel_up``, from the edge). A refused
or broken connection counts at once; a ping that is only slow (a busy worker,
every pooled connection taken by a burst of joins) counts once the store has
been slow for ``SLOW_GRACE_S``, so that load alone never tells a room that
answers cannot be saved. On the
way down it tells this worker's clients (``store_down``: answers cannot be
saved, try again) and alerts ops and the facilitators of every running pass
on this worker; nothing of that goes through Redis, which is away. On the
way back (store answers *and* channel subscribed) it re-sends, to this
worker's own clients, the current view of every running pass: clients whose
view fell behind during the outage (missed broadcasts) catch up, and the
others ignore a version they have. Then ``store_up`` and a recorded alert
with the outage's length.

``transition`` is pure and lives beside the loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from enum import StrEnum

from orchestrator.ports import Notifier, Store
from orchestrator.publishing import Publisher
from orchestrator.readmodels import Alert, AlertCode, PassView, ServiceCode, ServiceNotice

log = logging.getLogger(__name__)

INTERVAL_S = 0.2
PING_TIMEOUT_S = 0.5
#: How long pings may time out before a store that does not refuse counts as away.
SLOW_GRACE_S = 1.5
#: How long the pages wait before they send a refused answer again.
RETRY_AFTER_S = 1.0


class Change(StrEnum):
    NONE = "none"
    DOWN = "down"
    UP = "up"


def transition(was_up: bool, store_ok: bool, channel_ok: bool) -> Change:
    """Down as soon as the store fails; up only when the store and the channel are back."""
    if was_up and not store_ok:
        return Change.DOWN
    if not was_up and store_ok and channel_ok:
        return Change.UP
    return Change.NONE


class RedisWatch:
    def __init__(self, store: Store, publisher: Publisher, local: Notifier, *,
                 channel_up: Callable[[], bool], clock: Callable[[], float] = time.time,
                 worker: str = "") -> None:
        self.store = store
        self.publisher = publisher
        self.local = local  # reaches this worker's clients without Redis
        self.channel_up = channel_up
        self.clock = clock
        self.worker = worker
        self.down = False
        self.slow_since: float | None = None  # the first of the pings timing out in a row
        self.history: list[tuple[float, Change]] = []
        # Passes this worker showed to people, so it can alert their facilitators
        # while it cannot read the list of running passes.
        self._known: set[str] = set()

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("redis watch round failed")
            await asyncio.sleep(INTERVAL_S)

    async def _store_ok(self, now: float) -> bool:
        try:
            async with asyncio.timeout(PING_TIMEOUT_S):  # not wait_for: see monitor.py
                await self.store.ping()
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            if self.slow_since is None:
                self.slow_since = now
            return now - self.slow_since < SLOW_GRACE_S
        except Exception:  # noqa: BLE001 - any other failure is an outage
            return False
        self.slow_since = None
        return True

    async def check(self) -> Change:
        store_ok = await self._store_ok(self.clock())
        channel_ok = self.channel_up()
        now = self.clock()
        change = transition(not self.down, store_ok, channel_ok)
        if change is Change.DOWN:
            self.down = True
            self.history.append((now, change))
            await self._went_down(now)
        elif change is Change.UP:
            self.down = False
            self.history.append((now, change))
            await self._came_back(now)
        elif store_ok and not self.down:
            try:
                self._known = set(await self.store.live_passes())
            except Exception:  # noqa: BLE001 - the next round sees the outage
                pass
        return change

    async def _went_down(self, now: float) -> None:
        log.error("the live store (Redis) is unreachable; answers are refused until it is back",
                  extra={"worker": self.worker})
        await self.local.service(ServiceNotice(ServiceCode.STORE_DOWN, now, RETRY_AFTER_S))
        message = "Redis is unreachable: answers and commands are refused until it is back"
        for pass_id in sorted(self._known) or [""]:
            await self.local.alert(Alert(f"local-{now:.3f}", AlertCode.REDIS_UNREACHABLE, message,
                                         f"{now:.3f}", {"pass_id": pass_id} if pass_id else {}))

    async def _came_back(self, now: float) -> None:
        since = self.history[-2][0] if len(self.history) >= 2 else now
        outage = now - since
        log.info("the live store (Redis) is back; resending views",
                 extra={"worker": self.worker, "outage_s": round(outage, 2)})
        passes = await self.store.live_passes()
        self._known = set(passes)
        for pass_id in passes:
            try:
                state = await self.store.load(pass_id)
                await self.local.state(PassView(state, self.clock()))
                await self.local.facilitator(await self.publisher.facilitator_view(state))
            except Exception:
                log.exception("resending a view after the outage failed",
                              extra={"pass_id": pass_id})
        await self.local.service(ServiceNotice(ServiceCode.STORE_UP, self.clock()))
        message = f"Redis answers again after {outage:.1f} s"
        for pass_id in passes or [""]:
            alert = await self.store.alert(AlertCode.REDIS_RECOVERED, message, seconds=f"{outage:.1f}",
                                           **({"pass_id": pass_id} if pass_id else {}))
            await self.local.alert(alert)
