"""What ops sees, and whether the worker is ready: health of its dependencies
and every running pass with its rooms and the recent alerts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from orchestrator.ports import RoomInfo, Sfu, Store
from orchestrator.readmodels import Check, OpsOverview, PassSummary, RoomLoad

log = logging.getLogger(__name__)

#: How long a dependency may take to answer before it counts as down.
CHECK_TIMEOUT_S = 2.0


async def check(what: str, probe: Awaitable[None]) -> Check:
    """Run one probe with a time limit; any failure is "not ok" with its reason."""
    start = time.perf_counter()
    try:
        await asyncio.wait_for(probe, timeout=CHECK_TIMEOUT_S)
        return Check(True, round((time.perf_counter() - start) * 1000, 2))
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        log.warning("%s not ready: %s", what, error)
        return Check(False, error=str(error) or type(error).__name__)


class Overview:
    def __init__(self, store: Store, sfu: Sfu, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.sfu = sfu
        self.clock = clock

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
