"""The ops monitor: raises alerts that no single event shows.

Twice a second it checks that LiveKit answers (``LIVEKIT_INTERVAL_S``); two
failures in a row are an outage, noticed within about 1.5 s. Then ops and
the facilitator of every running pass get one alert (one per outage, however
many workers notice it), this worker's clients hear ``media_down``, and the
pass's presence is forgotten (LiveKit restarted empty and sends no leave
events, so the roster must not keep showing people in their rooms). When
LiveKit answers again the current rooms of every running pass (the main
room and the open round's breakout rooms) are created again at once, so a
recall or a reconnecting browser finds them, and ``media_up`` and
``livekit_recovered`` follow.

Every few seconds it also compares, for each running pass, where people
should be (the pass state) with where LiveKit says they are (webhook
presence). Someone still in a room the pass no longer assigns them (a
removal that failed during a move) is removed, as the webhook does at once
for a join (``roomevents``). ``findings`` is pure and lives beside the loop
that feeds it; an alert is raised once when a condition starts, and again
only after it has cleared.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from exercises.state import PassState, Phase
from orchestrator.errors import ServiceError
from orchestrator.ports import Notifier, Sfu, Store
from orchestrator.readmodels import AlertCode, ServiceCode, ServiceNotice, placement
from orchestrator.roomevents import FACILITATOR_IDENTITY
from orchestrator.taskset import stop

log = logging.getLogger(__name__)

INTERVAL_S = 5.0
#: How often LiveKit is asked whether it answers, and how long it may take.
LIVEKIT_INTERVAL_S = 0.5
LIVEKIT_TIMEOUT_S = 0.8
#: Failed asks in a row that make an outage (one slow answer is not).
LIVEKIT_FAILURES = 2
#: Workers that notice the same outage (or recovery) within this time alert once.
ONCE_MS = 10_000
#: How long someone may be connected to the pass but in no LiveKit room.
STUCK_AFTER_S = 30.0
#: How long one person may sit alone in a breakout room before ops hears of it.
ALONE_AFTER_S = 15.0
#: How long someone may stay in a room they were moved out of (leaving takes a moment).
MISPLACED_AFTER_S = 3.0


@dataclass(frozen=True, slots=True)
class Finding:
    code: AlertCode
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
                    out.append(Finding(AlertCode.PARTICIPANT_ALONE, key,
                                       f"A participant is alone in breakout room {group.room}",
                                       state.id, group.room, inside[0]))
    for person, room in sorted(presence.items()):
        if person.startswith(FACILITATOR_IDENTITY) or placement(state, person).room == room:
            continue
        key = f"misplaced:{person}:{room}"
        seen[key] = first_seen.get(key, now)
        if now - seen[key] >= MISPLACED_AFTER_S:
            out.append(Finding(AlertCode.ROOM_NOT_ASSIGNED, key, f"Someone stayed in room {room}, which "
                               "is no longer theirs; they were removed.", state.id, room, person))
    for person in sorted(state.present):
        if person in presence:
            continue
        key = f"stuck:{person}"
        seen[key] = first_seen.get(key, now)
        if now - seen[key] >= STUCK_AFTER_S:
            out.append(Finding(AlertCode.PARTICIPANT_STUCK, key,
                               "A participant is connected to the pass but has been in no media "
                               f"room for {now - seen[key]:.0f} s (stuck reconnecting?)",
                               state.id, person_id=person))
    return out, seen


class Monitor:
    def __init__(self, store: Store, sfu: Sfu, notifier: Notifier, *,
                 rooms: RoomKeeper | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.sfu = sfu
        self.notifier = notifier
        self.rooms = rooms
        self.clock = clock
        self.raised: set[str] = set()
        self.first_seen: dict[str, dict[str, float]] = {}
        self.livekit_down = False
        self.failures = 0
        self.down_since: float | None = None
        self.history: list[tuple[float, str]] = []

    async def run(self) -> None:
        watch = asyncio.create_task(self.watch_livekit(), name="livekit-watch")
        try:
            while True:
                try:
                    await self.check()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("ops monitor round failed")
                await asyncio.sleep(INTERVAL_S)
        finally:
            await stop(watch)

    async def watch_livekit(self) -> None:
        while True:
            try:
                await self.check_livekit()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("LiveKit watch round failed")
            await asyncio.sleep(LIVEKIT_INTERVAL_S)

    async def _raise(self, key: str, code: AlertCode, message: str, pass_id: str | None,
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

    async def check_livekit(self) -> None:
        """One ask; an outage after ``LIVEKIT_FAILURES`` failures, a recovery on success."""
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a
            # cancellation that comes as the ping ends, and the watch never stops.
            async with asyncio.timeout(LIVEKIT_TIMEOUT_S):
                await self.sfu.ping()
            ok = True
            reason = ""
        except (ServiceError, asyncio.TimeoutError, OSError) as error:
            ok = False
            reason = str(error) or type(error).__name__
        if ok:
            self.failures = 0
            if self.livekit_down:
                await self._livekit_back()
            return
        self.failures += 1
        if not self.livekit_down and self.failures >= LIVEKIT_FAILURES:
            await self._livekit_gone(reason)

    async def _livekit_gone(self, reason: str) -> None:
        now = self.clock()
        self.livekit_down = True
        self.down_since = now
        self.history.append((now, "down"))
        log.error("LiveKit is unreachable: %s", reason)
        await self.notifier.service(ServiceNotice(ServiceCode.MEDIA_DOWN, now))
        passes = await self.store.live_passes()
        if not await self.store.once("livekit_down", ONCE_MS):
            return  # another worker noticed this outage first and said so
        # One alert for the service: it reaches ops and every facilitator (each
        # would otherwise read it twice, once for the service and once for the pass).
        alert = await self.store.alert(AlertCode.LIVEKIT_UNREACHABLE, f"LiveKit is unreachable: {reason}")
        await self.notifier.alert(alert)
        for pass_id in passes:
            # Nobody is in a room of a LiveKit that went away; it sends no leaves.
            for identity in await self.store.presence(pass_id):
                await self.store.set_presence(pass_id, identity, None)
            if self.rooms is not None:
                await self.rooms.refresh(pass_id)

    async def _livekit_back(self) -> None:
        now = self.clock()
        outage = now - (self.down_since or now)
        self.livekit_down = False
        self.down_since = None
        self.history.append((now, "up"))
        self.raised.discard("livekit_unreachable")
        restored: dict[str, int] = {}
        passes = await self.store.live_passes()
        if self.rooms is not None:
            # Every worker does it (idempotent): the first to see LiveKit back wins time.
            for pass_id in passes:
                try:
                    restored[pass_id] = await self.rooms.restore(pass_id)
                except Exception:
                    log.exception("re-creating the rooms failed", extra={"pass_id": pass_id})
        log.info("LiveKit answers again; rooms created again",
                 extra={"rooms": sum(restored.values()), "outage_s": round(outage, 2)})
        await self.notifier.service(ServiceNotice(ServiceCode.MEDIA_UP, self.clock()))
        if not await self.store.once("livekit_up", ONCE_MS):
            return
        await self.notifier.alert(await self.store.alert(
            AlertCode.LIVEKIT_RECOVERED, f"LiveKit answers again after {outage:.1f} s",
            seconds=f"{outage:.1f}"))
        for pass_id in passes:
            rooms = restored.get(pass_id, 0)
            await self.notifier.alert(await self.store.alert(
                AlertCode.ROOMS_RESTORED, f"The pass's rooms were created again after the outage "
                f"({rooms})", pass_id=pass_id, rooms=str(rooms)))

    async def check(self) -> None:
        if self.livekit_down:
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
                if f.code is AlertCode.ROOM_NOT_ASSIGNED and f"{pass_id}:{f.key}" not in self.raised:
                    await self._remove(f)
                await self._raise(f"{pass_id}:{f.key}", f.code, f.message, f.pass_id,
                                  room=f.room, person_id=f.person_id)
        # A condition that cleared may be raised again if it comes back.
        self.raised = {k for k in self.raised if k in active}


class RoomKeeper(Protocol):
    """What the monitor needs of the pass service to put a pass's rooms back."""

    async def restore(self, pass_id: str) -> int:
        """Create the pass's current rooms again; how many."""
        ...

    async def refresh(self, pass_id: str) -> None:
        """Send the pass's facilitators a fresh view (presence changed)."""
        ...
