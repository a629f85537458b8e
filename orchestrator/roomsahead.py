"""Breakout rooms created ahead of the round that will use them.

Creating 500 LiveKit rooms takes LiveKit about a second of CPU on a small
machine, and they are needed the moment a facilitator opens the round. So
once a pass stands at a breakout step with its rooms closed (the step just
began, or the last round was recalled), this worker creates the rooms the
next round will most likely get: the names it will use and one seat more
than each group the engine forms for the people present (``group_sizes``).

Nothing relies on the guess. When the round opens, the service asks LiveKit
which of its rooms exist already (``usable``): a room that exists with
exactly the seats its group needs is used as it is; one with other seats is
closed and created again (LiveKit cannot change a room's seats); the rest are
created as before. Rooms guessed but not used are closed when the round
opens, or when the pass leaves the step without opening it. Another worker's
guess is used the same way; only its unused rooms are left to LiveKit's own
clean-up, being empty.

States: per pass, nothing, or the rooms this worker created (or is creating)
for one round. An open waits for this worker's creating to end before asking
LiveKit, so that no room appears after it was asked. Errors creating a room
ahead are logged and forgotten: the open creates it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from breakout import PairingError, group_sizes
from breakout.rooms import breakout_room
from exercises.effects import RoomSpec
from exercises.script import StepKind
from exercises.state import PassState, Phase
from orchestrator.errors import OnliveError
from orchestrator.grouping import POLICY
from orchestrator.ports import Sfu
from orchestrator.taskset import TaskSet

log = logging.getLogger(__name__)


def waiting_round(state: PassState) -> bool:
    """Whether the pass stands at a breakout step whose rooms are closed."""
    step = state.step
    return (state.phase is Phase.RUNNING and step is not None
            and step.kind is StepKind.BREAKOUT and state.breakout is None)


def comes_to_wait(before: PassState, after: PassState) -> bool:
    """Whether a change brings the pass to wait for a round it did not wait for (pure)."""
    return waiting_round(after) and not (waiting_round(before)
                                         and before.step_index == after.step_index)


def likely_rooms(state: PassState) -> tuple[RoomSpec, ...]:
    """The rooms the next round would get if it opened now (pure)."""
    step = state.step
    if not waiting_round(state) or step is None:
        return ()
    try:
        sizes = group_sizes(len(state.present), step.group_size, POLICY.remainder)
    except PairingError:
        return ()
    round_no = state.rounds + 1
    # One seat more than the group, for a facilitator (``exercises.regroups.room_specs``).
    return tuple(RoomSpec(breakout_room(state.id, round_no, i + 1), size + 1)
                 for i, size in enumerate(sizes))


class RoomsAhead:
    def __init__(self, sfu: Sfu, *, at_once: int) -> None:
        self.sfu = sfu
        self.at_once = at_once
        self.tasks = TaskSet("rooms ahead")
        self._made: dict[str, dict[str, int]] = {}  # pass -> room -> seats, this worker's
        self._making: dict[str, asyncio.Task[None]] = {}

    def changed(self, before: PassState, after: PassState) -> None:
        """Start creating rooms when a pass comes to wait for a round; close the
        unused ones when it moves on without opening it."""
        if comes_to_wait(before, after):
            task = self.tasks.spawn(self._create(after), "rooms ahead")
            self._making[after.id] = task
            task.add_done_callback(lambda t: self._making.pop(after.id, None)
                                   if self._making.get(after.id) is t else None)
        elif not waiting_round(after) and after.breakout is None and after.id in self._made:
            self.tasks.spawn(self._close(after.id, set()), "rooms ahead: close")

    async def _create(self, state: PassState) -> None:
        specs = likely_rooms(state)
        made = self._made.setdefault(state.id, {})
        limit = asyncio.Semaphore(self.at_once)

        async def create(spec: RoomSpec) -> None:
            async with limit:
                try:
                    await self.sfu.create_room(spec.name, spec.max_participants)
                except OnliveError as error:
                    log.warning("a room could not be created ahead: %s", error,
                                extra={"pass_id": state.id})
                    return
            made[spec.name] = spec.max_participants

        await asyncio.gather(*(create(s) for s in specs if made.get(s.name) != s.max_participants))

    async def usable(self, pass_id: str, specs: Iterable[RoomSpec]) -> tuple[set[str], set[str]]:
        """Of the rooms a round opens: those that exist with the right seats, and
        those that exist with other seats (to be closed first). LiveKit is asked."""
        wanted = {s.name: s.max_participants for s in specs}
        if not wanted:
            return set(), set()
        making = self._making.get(pass_id)
        if making is not None:
            # Let it finish: a room it creates after LiveKit was asked would be unknown.
            await asyncio.wait({making})
        try:
            found = await self.sfu.rooms(list(wanted))
        except OnliveError as error:
            log.warning("could not list rooms made ahead: %s", error, extra={"pass_id": pass_id})
            return set(), set()
        ready = {r.name for r in found if wanted.get(r.name) == r.max_participants}
        wrong = {r.name for r in found if r.name in wanted and r.name not in ready}
        return ready, wrong

    def opened(self, pass_id: str, used: set[str]) -> None:
        """The round opened in ``used``: close what was made ahead and not used."""
        if pass_id in self._made:
            self.tasks.spawn(self._close(pass_id, used), "rooms ahead: close")

    async def _close(self, pass_id: str, keep: set[str]) -> None:
        made = self._made.pop(pass_id, {})
        limit = asyncio.Semaphore(self.at_once)

        async def close(name: str) -> None:
            async with limit:
                try:
                    await self.sfu.delete_room(name)
                except OnliveError as error:
                    log.warning("a room made ahead could not be closed: %s", error,
                                extra={"pass_id": pass_id})

        await asyncio.gather(*(close(name) for name in made if name not in keep))
