"""Carrying out a stored change: the effects the reducer asked for, in the world.

The pass service (``orchestrator.service``) stores a change (with the
deadline index, when the next deadline moved), then hands it here. In this
order: new pairs join the program's pairing history; a round's rooms are
created (a bounded number at a time) and each room's people get their
assignment as soon as that room exists; the other effects (the scheduler
told of a new deadline, assignments, cues, removals) go out with the new
shared view in one batch per client, then the facilitators' view; the next
round's rooms are made ahead (``orchestrator.roomsahead``); rooms close last,
once their people were told where to go (a round's 500 rooms take LiveKit a
second to close); and a follow-up step sends each person their own last
commitment.

Errors: an effect that fails (``OnliveError``: LiveKit refused, a client
gone) is logged with the pass and the effect, and the rest go on; the stored
state stays as it is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from functools import partial

from breakout import Meeting
from exercises.effects import (
    CloseRooms,
    CreateRooms,
    Cue,
    Effect,
    RemoveFromRoom,
    ScheduleTimer,
    SendAssignments,
)
from exercises.script import StepKind
from exercises.state import PassState
from orchestrator.errors import OnliveError
from orchestrator.grouping import pairs
from orchestrator.ports import Applied, Sfu, Store
from orchestrator.publishing import Publisher
from orchestrator.readmodels import CueNotice, same_shared_view
from orchestrator.roomsahead import RoomsAhead

log = logging.getLogger(__name__)

#: LiveKit rooms created concurrently when a round opens.
ROOMS_AT_ONCE = 32


async def at_most(n: int, calls: Sequence[Callable[[], Awaitable[object]]]) -> None:
    """Run ``calls`` with at most ``n`` in flight; every one runs even when some fail,
    and the first failure is raised once all have ended."""
    pending = iter(calls)
    failures: list[BaseException] = []

    async def lane() -> None:
        for call in pending:
            try:
                await call()
            except Exception as error:  # noqa: BLE001 - raised below, after the others
                failures.append(error)

    await asyncio.gather(*(lane() for _ in range(min(n, len(calls)))))
    if failures:
        raise failures[0]


class EffectRunner:
    """Runs the effects of changes already stored; ``scheduled`` hears of each deadline set."""

    def __init__(self, store: Store, sfu: Sfu, publisher: Publisher, *,
                 scheduled: Callable[[float | None], None],
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.sfu = sfu
        self.publisher = publisher
        self.notifier = publisher.notifier
        self.scheduled = scheduled
        self.clock = clock
        # The next round's rooms, created while the pass waits for it.
        self.ahead = RoomsAhead(sfu, at_once=ROOMS_AT_ONCE)

    async def run(self, applied: Applied, now: float) -> None:
        before, state = applied.before, applied.after
        new_pairs = _pairs(state) - _pairs(before)
        # Manual moves and late joiners are remembered like planned groups.
        if new_pairs:
            await self.store.append_history(state.program, [
                Meeting(a, b, state.id, now) for a, b in sorted(new_pairs)])
        effects = list(applied.effects)
        opening = _opening(effects)
        if opening is not None:
            # Each room's people get their assignment as soon as that room exists.
            create, send = opening
            effects = [e for e in effects if e is not create and e is not send]
            await self._open_rooms(state, create, send)
        # Rooms close last: their people have been told where to go by then (a
        # round's 500 rooms take LiveKit a second to close).
        closing = [e for e in effects if isinstance(e, CloseRooms)]
        # A cue and the new state reach each of this worker's clients in one
        # write, not one write each; then the facilitators' view is built.
        with self.notifier.batch():
            for effect in effects:
                if not isinstance(effect, CloseRooms):
                    await self._execute_logged(state, effect)
            # A join or a leave changes nothing participants see: no view is built.
            if not same_shared_view(before, state):
                await self.publisher.publish(state, facilitators=False)
        await self.publisher.refresh_facilitators(state.id)
        # Once everyone was told: the next round's rooms, while these close.
        self.ahead.changed(before, state)
        for effect in closing:
            await self._execute_logged(state, effect)
        step = state.step
        if step is not None and step.kind is StepKind.FOLLOW_UP and (
                before.step is None or before.step.id != step.id):
            await self.publisher.send_follow_ups(state)

    async def _execute_logged(self, state: PassState, effect: Effect) -> None:
        try:
            await self._execute(state, effect)
        except OnliveError as error:
            log.error("effect failed: %s", error,
                      extra={"pass_id": state.id, "effect": type(effect).__name__})

    async def _execute(self, state: PassState, effect: Effect) -> None:
        if isinstance(effect, ScheduleTimer):
            # The store wrote the deadline index with the change; the local
            # scheduler is told at once, so it need not wait for its next look.
            self.scheduled(effect.at)
        elif isinstance(effect, CreateRooms):
            await at_most(ROOMS_AT_ONCE, [partial(self.sfu.create_room, r.name, r.max_participants)
                                          for r in effect.rooms])
        elif isinstance(effect, SendAssignments):
            await self.publisher.send_assignments(state, effect.person_ids)
        elif isinstance(effect, Cue):
            await self.notifier.cue(CueNotice(state.id, effect.kind, effect.text, effect.rooms,
                                              effect.turn, state.version, self.clock(),
                                              dict(effect.params)))
        elif isinstance(effect, RemoveFromRoom):
            await self.sfu.remove_participant(effect.room, effect.person_id)
        elif isinstance(effect, CloseRooms):
            # Deleting a room disconnects whoever is still in it. A bounded number at a
            # time: a recall of 500 rooms sent 500 requests at once, which LiveKit and
            # the event loop (the next round opens on it) then worked through together.
            await at_most(ROOMS_AT_ONCE, [partial(self.sfu.delete_room, room)
                                          for room in effect.rooms])

    async def _open_rooms(self, state: PassState, create: CreateRooms,
                          send: SendAssignments) -> None:
        """Create rooms (a bounded number at a time) and send each room's people
        their assignments once it exists, batching the rooms that are ready
        together; people in no new room, or in a room made ahead with the
        right seats (``roomsahead``), go first."""
        wanted = set(send.person_ids)
        groups = {g.room: g.members for g in state.breakout.groups} if state.breakout else {}
        made, wrong = await self.ahead.usable(state.id, create.rooms)
        placed = {p for r in create.rooms if r.name not in made
                  for p in groups.get(r.name, ()) if p in wanted}
        ready: list[str] = [p for p in send.person_ids if p not in placed]
        limit = asyncio.Semaphore(ROOMS_AT_ONCE)
        some_ready = asyncio.Event()

        async def room(name: str, size: int) -> None:
            try:
                async with limit:
                    if name in wrong:  # made ahead with other seats: LiveKit cannot change them
                        await self.sfu.delete_room(name)
                    await self.sfu.create_room(name, size)
            except OnliveError as error:
                log.error("effect failed: %s", error, extra={"pass_id": state.id,
                                                             "effect": "CreateRooms"})
            except Exception:  # noqa: BLE001 - its people are still told where to go
                log.exception("effect failed", extra={"pass_id": state.id,
                                                      "effect": "CreateRooms"})
            ready.extend(p for p in groups.get(name, ()) if p in wanted)
            some_ready.set()

        # An event, not asyncio.wait over the rooms still pending: that walks all
        # of them at each wake-up (500 rooms: 125,000 callbacks added and removed).
        tasks = [asyncio.ensure_future(room(r.name, r.max_participants)) for r in create.rooms
                 if r.name not in made]
        self.ahead.opened(state.id, {r.name for r in create.rooms})
        try:
            while True:
                some_ready.clear()
                batch, ready[:] = list(ready), []
                if batch:
                    await self.publisher.send_assignments(state, batch)
                if all(t.done() for t in tasks) and not ready:
                    break
                if not ready:
                    await some_ready.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def _opening(effects: list[Effect]) -> tuple[CreateRooms, SendAssignments] | None:
    create = next((e for e in effects if isinstance(e, CreateRooms)), None)
    send = next((e for e in effects if isinstance(e, SendAssignments)), None)
    return (create, send) if create is not None and send is not None else None


def _pairs(state: PassState) -> set[tuple[str, str]]:
    return pairs(state.breakout.groups) if state.breakout else set()
