"""What participants do in a pass: join, leave, answer, choose a name, ask for help.

Joins and leaves change the pass (through ``PassService.apply``); answers,
names' roster entries, connection quality and help requests are per-person
data that never rewrite the pass snapshot. An answer is acknowledged only
once it is stored, and a retry with the same client id is never stored twice.

One person's joins and leaves take effect in the order they were asked for
(``_InTurn``): a page reloaded or a connection that drops and comes straight
back asks for a leave (the old socket) and then a join (the new one), and
the leave does more round trips, so without the turn it could land last and
show a connected person as gone: left out of the recall's assignments, their
attendance stay closed. Reconnects come back to the same worker (the proxy's
route cookie), and a draining worker refuses the leave, so the turn is kept
per worker.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from breakout import Meeting
from exercises import events as ev
from exercises.answers import validate_answer
from exercises.errors import IllegalCommand
from exercises.names import check_display_name
from exercises.state import Member, PassState, Phase
from orchestrator.access import Access, withdrawn
from orchestrator.errors import AuthError, BadRequest, NotFound, ServiceError
from orchestrator.grouping import late_placement
from orchestrator.metrics import timed
from orchestrator.people import People
from orchestrator.ports import Store
from orchestrator.publishing import Publisher
from orchestrator.readmodels import (
    Assignment,
    HelpRequest,
    display_name,
    group_number,
    placement,
)
from orchestrator.service import PassService
from orchestrator.tickets import Claims, Kind

log = logging.getLogger(__name__)

CONNECTION_QUALITIES = frozenset({"excellent", "good", "poor", "lost", "unknown"})


class _HistoryNeeded(Exception):
    """A join met open groups before the pairing history was read (nothing was written)."""

    def __init__(self, program: str) -> None:
        super().__init__(program)
        self.program = program


def _open(state: PassState) -> PassState:
    if state.phase is Phase.ENDED:
        raise AuthError("this pass has ended", code="pass_ended")
    return state


class _InTurn:
    """One at a time per key, in the order asked (``asyncio.Lock`` queues its waiters
    first come, first served); a key's lock is dropped once nobody holds or waits."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Participants:
    def __init__(self, passes: PassService, people: People, access: Access, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.passes = passes
        self.store: Store = passes.store
        self.publisher: Publisher = passes.publisher
        self.people = people
        self.access = access
        self.clock = clock
        self._presence = _InTurn()

    async def invite(self, pass_id: str, member: Member) -> str:
        """Put ``member`` on file for the pass; returns their join ticket.

        Bad participant data never gets this far: a ``Member`` refuses it
        when built (``InvalidMember``, code ``invalid_member``, naming the
        field), so the CLI or form that entered it gets the error.
        """
        await self.store.load(pass_id)
        await self.store.save_person(member)
        # Invited people are expected: the facilitator sees who has not come.
        await self.store.expect(pass_id, [member])
        return self.access.participant_ticket(pass_id, member.id)

    async def admit(self, credential: object) -> tuple[Claims, Member]:
        """A participant connecting: their credential valid and not revoked, their pass
        open (``AuthError`` otherwise); their claims and person record. What it reads
        (revocations, pass, person) is one round trip, so is the ``join`` that follows."""
        claims = self.access.verify(credential, Kind.PARTICIPANT)
        if claims.pass_id is None:
            raise AuthError("this is not a link to a pass", code="invalid_credential")
        admission = await self.store.admission(claims.pass_id, claims.subject,
                                               self.access.holders(claims))
        if admission.revoked:
            raise withdrawn()
        if admission.state is None:
            raise NotFound(f"no pass {claims.pass_id!r}", code="unknown_pass")
        _open(admission.state)
        if admission.member is None:
            raise NotFound(f"no person {claims.subject!r}", code="unknown_person")
        return claims, admission.member

    async def join(self, pass_id: str, person_id: str, member: Member | None = None) -> PassState:
        """``person_id`` (``member``, when read already) is in the pass and present,
        after any join or leave of theirs asked for before."""
        async with self._presence.turn((pass_id, person_id)):
            return await self._join(pass_id, person_id, member)

    async def _join(self, pass_id: str, person_id: str, member: Member | None) -> PassState:
        if member is None:
            member = await self.store.person(person_id)
        # The pairing history is read only when groups are open (rare for a join).
        history: list[Meeting] | None = None

        # A late joiner's place is small work (one person against the open
        # groups), so unlike a whole round it is found inline.
        def make(state: PassState, now: float) -> ev.Event:
            b = state.breakout
            late = None
            if b is not None and b.group_of(person_id) is None:
                if history is None:
                    raise _HistoryNeeded(state.program)
                late = late_placement(state, member, history, now)
            return ev.Join(member, placement=late)

        # Their attendance is marked in the same write as the join.
        try:
            applied = await self.passes.apply(pass_id, make, attending=person_id)
        except _HistoryNeeded as needed:
            history = await self.store.history(needed.program)
            applied = await self.passes.apply(pass_id, make, attending=person_id)
        log.info("participant joined", extra={"pass_id": pass_id, "participant_id": person_id})
        return applied.after

    async def set_name(self, pass_id: str, person_id: str, name: str) -> str:
        """The name a participant chose to be shown as (pre-join), checked by
        ``exercises.names`` against the pass's roster and invitations; ``InvalidName``
        (nothing changes) when it is empty, too long, a role's or someone else's. Their
        LiveKit tokens carry the name from the roster, so this checked one from now on."""
        member = await self.store.person(person_id)
        expected = await self.store.expected(pass_id)
        chosen: list[Member] = []

        def make(state: PassState, now: float) -> ev.Event:
            # Checked against the state being changed, so two people cannot take one name.
            others = [m.name for pid, m in {**expected, **state.roster}.items()
                      if pid != person_id]
            chosen[:] = [replace(member, name=check_display_name(name, others))]
            return ev.Join(chosen[0])

        await self.passes.apply(pass_id, make)
        await self.store.save_person(chosen[0])
        return chosen[0].name

    async def set_quality(self, pass_id: str, person_id: str, level: str) -> None:
        """A participant's own LiveKit connection quality, for the facilitator's roster."""
        if level not in CONNECTION_QUALITIES:
            raise BadRequest(f"quality is one of {sorted(CONNECTION_QUALITIES)}, not {level!r}",
                             code="out_of_range")
        previous = (await self.store.qualities(pass_id)).get(person_id)
        if previous == level:
            return
        await self.store.set_quality(pass_id, person_id, level)
        await self.publisher.refresh_facilitators(pass_id)

    async def leave(self, pass_id: str, person_id: str) -> None:
        """``person_id`` is no longer present, after any join or leave of theirs asked
        for before; nothing when the pass is gone or the worker drains."""
        async with self._presence.turn((pass_id, person_id)):
            try:
                await self.store.mark_left(pass_id, person_id, self.clock())
                await self.passes.apply(pass_id, lambda s, now: ev.Leave(person_id))
            except (NotFound, ServiceError):
                pass
        log.info("participant left", extra={"pass_id": pass_id, "participant_id": person_id})

    async def answer(self, pass_id: str, person_id: str, step_id: str, client_id: str,
                     value: dict[str, Any]) -> bool:
        """Validate and store one answer; False when it was a retry already stored."""
        with timed(self.passes.metrics, "answer"):
            return await self._answer(pass_id, person_id, step_id, client_id, value)

    async def _answer(self, pass_id: str, person_id: str, step_id: str, client_id: str,
                      value: dict[str, Any]) -> bool:
        self.passes.enter()
        try:
            state = await self.store.load(pass_id)
            step = state.step
            if step is None or step.id != step_id:
                current = step.id if step else state.phase.value
                raise IllegalCommand(f"step {step_id!r} is not open for answers; the current "
                                     f"step is {current!r}", code="wrong_step")
            normalised = validate_answer(step, value)
            stored = await self.store.store_answer(pass_id, step_id, person_id, client_id,
                                                   normalised, self.clock())
            # A retry finishes what an interrupted first call left (the journal entry
            # is keyed by pass and step, so writing it again changes nothing): an
            # answer refused with "try again" is never left half-stored.
            await self.people.record(state, step, person_id, normalised)
        finally:
            self.passes.exit()
        if stored:
            await self.publisher.refresh_facilitators(pass_id, results=True)
        log.info("answer stored" if stored else "answer retry ignored",
                 extra={"pass_id": pass_id, "participant_id": person_id, "step_id": step_id})
        return stored

    async def renew_token(self, pass_id: str, person_id: str) -> Assignment:
        state = await self.store.load(pass_id)
        assignment = self.publisher.assignment(state, person_id)
        await self.passes.ensure_room(state, assignment.placement.room)
        return assignment

    async def ask_help(self, pass_id: str, person_id: str, text: str) -> None:
        """Keep the request with the pass (a facilitator's reload still shows it) and tell them."""
        state = await self.store.load(pass_id)
        at = self.clock()
        room = placement(state, person_id).room
        request = HelpRequest(pass_id, person_id, display_name(state, person_id), room, text, at,
                              id=f"{person_id}:{int(at * 1000)}", group=group_number(room))
        await self.store.put_help(request)
        await self.passes.notifier.help(request)
        await self.publisher.refresh_facilitators(pass_id)
