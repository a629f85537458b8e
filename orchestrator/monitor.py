"""The ops monitor: raises alerts that no single event shows.

Every few seconds it checks that LiveKit answers, and for each running pass
compares where people should be (the pass state) with where LiveKit says
they are (webhook presence). Someone still in a room the pass no longer
assigns them (a removal that failed during a move) is removed, as the
webhook does at once for a join (``roomevents``). ``findings`` is pure and lives beside the loop
that feeds it; an alert is raised once when a condition starts, and again
only after it has cleared.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from exercises.state import PassState, Phase
from orchestrator.errors import ServiceError
from orchestrator.ports import Notifier, Sfu, Store
from orchestrator.readmodels import placement
from orchestrator.roomevents import FACILITATOR_IDENTITY

log = logging.getLogger(__name__)

INTERVAL_S = 5.0
#: How long someone may be connected to the pass but in no LiveKit room.
STUCK_AFTER_S = 30.0
#: How long one person may sit alone in a breakout room before ops hears of it.
ALONE_AFTER_S = 15.0
#: How long someone may stay in a room they were moved out of (leaving takes a moment).
MISPLACED_AFTER_S = 3.0


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    key: str  # what the condition is about, so it is raised once
    message: str
    pass_id: str
    room: str = ""
    # Whom it is about: an id, never a name (alerts and logs carry no names, so an
    # erased person's id can be found and removed; the pages name them from their roster).
    person_id: str = ""


def findings(state: PassState, presence: Mapping[str, str], first_seen: Mapping[str, float],
             now: float) -> tuple[list[Finding], dict[str, float]]:
    """Conditions in one pass right now; ``first_seen`` tracks since when (pure)."""
    seen: dict[str, float] = {}
    out: list[Finding] = []
    if state.phase is not Phase.RUNNING:
        return out, seen
    b = state.breakout
    if b is not None and b.recall_deadline is None:
        for group in b.groups:
            inside = [p for p in group.members if presence.get(p) == group.room]
            if len(inside) == 1 and len(group.members) > 1:
                key = f"alone:{group.room}:{inside[0]}"
                seen[key] = first_seen.get(key, now)
                if now - seen[key] >= ALONE_AFTER_S:
                    out.append(Finding("participant_alone", key,
                                       f"A participant is alone in breakout room {group.room}",
                                       state.id, group.room, inside[0]))
    for person, room in sorted(presence.items()):
        if person.startswith(FACILITATOR_IDENTITY) or placement(state, person).room == room:
            continue
        key = f"misplaced:{person}:{room}"
        seen[key] = first_seen.get(key, now)
        if now - seen[key] >= MISPLACED_AFTER_S:
            out.append(Finding("room_not_assigned", key, f"Someone stayed in room {room}, which "
                               "is no longer theirs; they were removed.", state.id, room, person))
    for person in sorted(state.present):
        if person in presence:
            continue
        key = f"stuck:{person}"
        seen[key] = first_seen.get(key, now)
        if now - seen[key] >= STUCK_AFTER_S:
            out.append(Finding("participant_stuck", key,
                               "A participant is connected to the pass but has been in no media "
                               f"room for {now - seen[key]:.0f} s (stuck reconnecting?)",
                               state.id, person_id=person))
    return out, seen


class Monitor:
    def __init__(self, store: Store, sfu: Sfu, notifier: Notifier, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.sfu = sfu
        self.notifier = notifier
        self.clock = clock
        self.raised: set[str] = set()
        self.first_seen: dict[str, dict[str, float]] = {}
        self.livekit_down = False

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("ops monitor round failed")
            await asyncio.sleep(INTERVAL_S)

    async def _raise(self, key: str, code: str, message: str, pass_id: str | None,
                     **detail: str) -> None:
        if key in self.raised:
            return
        self.raised.add(key)
        alert = await self.store.alert(code, message, pass_id=pass_id or "", **detail)
        log.warning("alert: %s", message, extra={"pass_id": pass_id, "code": code})
        await self.notifier.alert(alert)

    async def _remove(self, finding: Finding) -> None:
        try:
            await self.sfu.remove_participant(finding.room, finding.person_id)
        except ServiceError as error:
            log.error("could not remove someone from a room not theirs: %s", error,
                      extra={"pass_id": finding.pass_id, "room": finding.room})

    async def check(self) -> None:
        try:
            await self.sfu.ping()
            if self.livekit_down:
                self.livekit_down = False
                self.raised.discard("livekit_unreachable")
                await self.notifier.alert(
                    await self.store.alert("livekit_recovered", "LiveKit answers again"))
        except ServiceError as error:
            self.livekit_down = True
            await self._raise("livekit_unreachable", "livekit_unreachable",
                              f"LiveKit is unreachable: {error}", None)
            return
        now = self.clock()
        active: set[str] = set()
        for pass_id in await self.store.live_passes():
            try:
                state = await self.store.load(pass_id)
            except Exception:  # noqa: BLE001 - one broken pass must not stop the others
                continue
            presence = await self.store.presence(pass_id)
            found, seen = findings(state, presence, self.first_seen.get(pass_id, {}), now)
            self.first_seen[pass_id] = seen
            active |= {f"{pass_id}:{key}" for key in seen}
            for f in found:
                if f.code == "room_not_assigned" and f"{pass_id}:{f.key}" not in self.raised:
                    await self._remove(f)
                await self._raise(f"{pass_id}:{f.key}", f.code, f.message, f.pass_id,
                                  room=f.room, person_id=f.person_id)
        # A condition that cleared may be raised again if it comes back.
        self.raised = {k for k in self.raised if k in active or k == "livekit_unreachable"}
