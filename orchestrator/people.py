"""People's own data: the private journal, and a person's export and erasure (GDPR).

A journal holds a person's check-ins, commitments and follow-ups across
passes; only they ever see it. ``export`` gathers everything onlive holds
about one person; ``erase`` removes it, and is final:

1. every credential the person holds is revoked (their join tickets are
   refused from then on) and their connected sockets are dropped at once,
   on every worker; they are removed from the LiveKit rooms of running passes;
2. their records, answers, journal, presence, attendance, connection quality
   and pairing history go, and so does every alert and audit entry that
   mentions their id or name;
3. in stored passes they become an opaque pseudonym under a neutral name
   (every occurrence of their id in the pass, so the pass stays consistent);
4. nothing logged about the erasure names them (logs carry ids, never names,
   and the erasure's own audit entry carries a keyed digest, not the id).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from exercises.effects import Effect
from exercises.script import Step, StepKind
from exercises.state import Member, PassState
from orchestrator.codec import from_plain, to_plain
from orchestrator.errors import NotFound, ServiceError
from orchestrator.ports import Sfu, Store
from orchestrator.readmodels import JournalEntry, PassRecord, PersonExport, placement
from orchestrator.tickets import Kind

if TYPE_CHECKING:
    from orchestrator.access import Access

log = logging.getLogger(__name__)

ERASED_NAME = "–"
JOURNAL_KINDS = frozenset({StepKind.CHECK_IN, StepKind.COMMITMENT, StepKind.FOLLOW_UP})


def _renamed(value: Any, old: str, new: str) -> Any:
    """``value`` (plain data) with every string equal to ``old`` replaced by ``new``."""
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, list):
        return [_renamed(v, old, new) for v in value]
    if isinstance(value, dict):
        return {_renamed(k, old, new): _renamed(v, old, new) for k, v in value.items()}
    return value


def pseudonymised(state: PassState, person_id: str, pseudonym: str) -> PassState:
    """The pass with ``person_id`` replaced everywhere by ``pseudonym``, under a neutral name."""
    plain = _renamed(to_plain(state), person_id, pseudonym)
    plain["roster"][pseudonym] = to_plain(Member(pseudonym, ERASED_NAME))
    plain["version"] = state.version + 1
    return from_plain(PassState, plain)  # type: ignore[no-any-return]


class People:
    def __init__(self, store: Store, *, access: Access | None = None, sfu: Sfu | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.access = access
        self.sfu = sfu
        self.clock = clock

    # -- the private journal ----------------------------------------------------

    async def record(self, state: PassState, step: Step, person_id: str,
                     value: dict[str, Any]) -> None:
        """Check-ins, commitments and follow-ups go into the person's own journal."""
        if step.kind not in JOURNAL_KINDS:
            return
        await self.store.journal_put(person_id, f"{state.id}:{step.id}", JournalEntry(
            step.kind.value, state.id, state.program, state.script.title, step.id, value,
            self.clock()))

    async def journal(self, person_id: str) -> list[JournalEntry]:
        """Everything in one person's journal, oldest first."""
        return await self.store.journal(person_id)

    async def last_commitment(self, state: PassState, person_id: str) -> JournalEntry | None:
        """The person's latest commitment from an earlier pass of the same program."""
        earlier = [e for e in await self.store.journal(person_id)
                   if e.kind == StepKind.COMMITMENT.value and e.pass_id != state.id
                   and e.program == state.program]
        return earlier[-1] if earlier else None

    # -- export and erasure -----------------------------------------------------

    async def export(self, person_id: str) -> PersonExport:
        """Everything onlive holds about one person."""
        try:
            member: Member | None = await self.store.person(person_id)
        except NotFound:
            member = None
        passes = []
        quality = {}
        for pass_id in await self.store.pass_ids():
            state = await self.store.load(pass_id)
            if person_id in state.roster:
                passes.append(PassRecord(pass_id, state.program, state.script.title,
                                         state.roster[person_id]))
            level = (await self.store.qualities(pass_id)).get(person_id)
            if level is not None:
                quality[pass_id] = level
        histories = await self.store.histories_with(person_id)
        return PersonExport(member, tuple(passes), await self.store.answers_of_person(person_id),
                            tuple(await self.store.journal(person_id)),
                            {program: tuple(meetings) for program, meetings in histories.items()},
                            quality)

    async def erase(self, person_id: str) -> dict[str, int]:
        """Erase one person, finally (see the module's list, in that order).

        Returns how many records went and how many pass rosters were scrubbed.
        """
        if self.access is not None:
            await self.access.revoke_holder(Kind.PARTICIPANT, person_id)
        names = await self._names_of(person_id)
        await self._remove_from_rooms(person_id)
        removed = await self.store.erase_person_records(person_id)
        pseudonym = f"erased-{secrets.token_hex(6)}"
        rewritten = 0
        for pass_id in await self.store.pass_ids():
            def scrub(state: PassState) -> tuple[PassState, list[Effect]]:
                if person_id not in state.roster:
                    return state, []
                return pseudonymised(state, person_id, pseudonym), []

            applied = await self.store.update(pass_id, scrub)
            rewritten += int(applied.changed)
        removed += await self.store.forget_mentions([person_id, *names])
        holder = self.access.holder(Kind.PARTICIPANT, person_id) if self.access else ""
        await self.store.audit("person_erased", holder=holder, records=str(removed),
                               passes=str(rewritten))
        log.info("person erased", extra={"holder": holder})
        return {"records": removed, "passes": rewritten}

    async def _names_of(self, person_id: str) -> list[str]:
        """Every name the person was known by (their record, the rosters they are on)."""
        names = set()
        try:
            names.add((await self.store.person(person_id)).name)
        except NotFound:
            pass
        for pass_id in await self.store.pass_ids():
            member = (await self.store.load(pass_id)).roster.get(person_id)
            if member is not None:
                names.add(member.name)
        return sorted(n for n in names if n and n != ERASED_NAME)

    async def _remove_from_rooms(self, person_id: str) -> None:
        """Take the person out of every LiveKit room of a running pass they may be in."""
        if self.sfu is None:
            return
        for pass_id in await self.store.live_passes():
            try:
                state = await self.store.load(pass_id)
            except NotFound:
                continue
            rooms = {(await self.store.presence(pass_id)).get(person_id)}
            if person_id in state.roster:
                rooms |= {state.main_room, placement(state, person_id).room}
            for room in sorted(r for r in rooms if r):
                try:
                    await self.sfu.remove_participant(room, person_id)
                except ServiceError as error:
                    log.error("could not remove an erased person from a room: %s", error,
                              extra={"pass_id": pass_id, "room": room})
