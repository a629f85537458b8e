"""What ops sees, and whether the worker is ready: health of its dependencies
and every running pass with its rooms and the recent alerts; and the figures
``/metrics`` reads when it is scraped (passes and participants by phase, the
health of Redis, LiveKit and PostgreSQL).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from exercises.state import Phase
from orchestrator.ports import RoomInfo, Sfu, Store
from orchestrator.readmodels import Check, OpsOverview, PassSummary, RoomLoad

log = logging.getLogger(__name__)

#: How long a dependency may take to answer before it counts as down.
CHECK_TIMEOUT_S = 2.0


async def check(what: str, probe: Awaitable[None]) -> Check:
    """Run one probe with a time limit; any failure is "not ok" with its reason."""
    start = time.perf_counter()
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):  # not wait_for: see monitor.py
            await probe
        return Check(True, round((time.perf_counter() - start) * 1000, 2))
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        log.warning("%s not ready: %s", what, error)
        return Check(False, error=str(error) or type(error).__name__)


class _Pingable(Protocol):
    async def ping(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Figures:
    """Live passes and the people present in them, by phase, and each dependency's health.

    Read from the shared store, so every worker reports the same passes.
    """

    passes: dict[Phase, int] = field(default_factory=dict)
    participants: dict[Phase, int] = field(default_factory=dict)
    health: dict[str, Check] = field(default_factory=dict)


class Overview:
    def __init__(self, store: Store, sfu: Sfu, *, clock: Callable[[], float] = time.time,
                 records: _Pingable | None = None) -> None:
        self.store = store
        self.sfu = sfu
        self.clock = clock
        self.records = records

    async def figures(self) -> Figures:
        """What ``/metrics`` reports at scrape time (a few reads per live pass)."""
        health = await self.health()
        if self.records is not None:
            health["database"] = await check("database", self.records.ping())
        passes: Counter[Phase] = Counter({phase: 0 for phase in Phase})
        present: Counter[Phase] = Counter({phase: 0 for phase in Phase})
        if health["redis"].ok:
            for pass_id in await self.store.live_passes():
                try:
                    state = await self.store.load(pass_id)
                except Exception:  # noqa: BLE001 - one damaged pass must not hide the others
                    continue
                passes[state.phase] += 1
                present[state.phase] += len(state.present)
        return Figures(dict(passes), dict(present), health)

    async def health(self) -> dict[str, Check]:
        """Whether Redis and LiveKit answer, and how fast."""
        redis_check, livekit_check = await asyncio.gather(
            check("redis", self.store.ping()), check("livekit", self.sfu.ping()))
        return {"redis": redis_check, "livekit": livekit_check}

    async def overview(self) -> OpsOverview:
        checks = await self.health()
        rooms: dict[str, RoomInfo] = {}
        if checks["livekit"].ok:
            rooms = {r.name: r for r in await self.sfu.rooms()}
        passes = []
        for pass_id in await self.store.live_passes():
            try:
                state = await self.store.load(pass_id)
            except Exception:  # noqa: BLE001 - a damaged pass must not hide the others
                continue
            names = [state.main_room] + list(state.breakout.rooms if state.breakout else ())
            passes.append(PassSummary(
                pass_id, state.phase, state.step_index, state.script.title, len(state.present),
                tuple(RoomLoad(n, rooms[n].participants if n in rooms else None) for n in names)))
        return OpsOverview(tuple(passes), checks, tuple(await self.store.recent_alerts()),
                           self.clock())
