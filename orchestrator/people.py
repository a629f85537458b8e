"""People's own data: the private journal, and a person's export and erasure (GDPR).

A journal holds a person's check-ins, commitments and follow-ups across
passes; only they ever see it. ``export`` gathers everything onlive holds
about one person; ``erase`` removes it, keeping only an opaque id under a
neutral name in stored rosters so those passes stay consistent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from exercises.effects import Effect
from exercises.script import Step, StepKind
from exercises.state import Member, PassState
from orchestrator.errors import NotFound
from orchestrator.ports import Store
from orchestrator.readmodels import JournalEntry, PassRecord, PersonExport

log = logging.getLogger(__name__)

ERASED_NAME = "–"
JOURNAL_KINDS = frozenset({StepKind.CHECK_IN, StepKind.COMMITMENT, StepKind.FOLLOW_UP})


class People:
    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time) -> None:
        self.store = store
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
        for pass_id in await self.store.pass_ids():
            state = await self.store.load(pass_id)
            if person_id in state.roster:
                passes.append(PassRecord(pass_id, state.program, state.script.title,
                                         state.roster[person_id]))
        histories = await self.store.histories_with(person_id)
        return PersonExport(member, tuple(passes), await self.store.answers_of_person(person_id),
                            tuple(await self.store.journal(person_id)),
                            {program: tuple(meetings) for program, meetings in histories.items()})

    async def erase(self, person_id: str) -> dict[str, int]:
        """Erase one person: records, answers, journal, pairing history, roster entries.

        Returns how many records went and how many pass rosters were scrubbed.
        """
        removed = await self.store.erase_person_records(person_id)
        rewritten = 0
        for pass_id in await self.store.pass_ids():
            def scrub(state: PassState) -> tuple[PassState, list[Effect]]:
                if person_id not in state.roster:
                    return state, []
                roster = dict(state.roster)
                roster[person_id] = Member(person_id, ERASED_NAME)
                return replace(state, roster=roster, version=state.version + 1), []

            applied = await self.store.update(pass_id, scrub)
            rewritten += int(applied.changed)
        await self.store.audit("person_erased", person_id=person_id, records=str(removed),
                               passes=str(rewritten))
        log.info("person erased", extra={"participant_id": person_id})
        return {"records": removed, "passes": rewritten}
