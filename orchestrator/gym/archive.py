"""Archiving an ended pass: what outlives it moves from the live store to the system of record.

When a pass of an organisation's session ends, its answers (with each step's
kind and visibility, for leadership insights), the journal entries they make
(check-ins, private reflections, commitments, follow-ups), everyone's
attendance (from the presence logs, closed at the end) and its pairings go
to PostgreSQL in one transaction, and the session becomes ended; enrolled
people who never came to a mandatory class are mailed to choose another
session. Once that is stored, every live key of the pass (its snapshot,
answers, presence, attendance, expected people, audit stream, …) gets the
retention time (``ONLIVE_PASS_RETENTION``, default a week), so Redis keeps
nothing of a finished pass for ever.

Idempotent: the presence logs close once (later calls see the same end), and
rows stored by an earlier attempt are kept once. A pass that is not a
session of an organisation (an ad-hoc or demo pass) has nothing to keep.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from exercises.gym.attendance import summarise
from exercises.gym.ids import split_live_id
from exercises.script import StepKind, Visibility
from exercises.state import PassState
from orchestrator.errors import NotFound
from orchestrator.gym.flowrecords import ArchivedAnswer, AttendanceRow, PairingRow, PassArchive
from orchestrator.gym.ports import ArchiveStore
from orchestrator.ports import Store

log = logging.getLogger(__name__)

JOURNAL_KINDS = frozenset({StepKind.CHECK_IN, StepKind.COMMITMENT, StepKind.FOLLOW_UP})


def _local(org_id: str, person_id: str) -> str | None:
    owner = split_live_id(person_id)
    return owner[1] if owner is not None and owner[0] == org_id else None


class PassArchiver:
    """``orchestrator.ports.Archive`` for the organisations' sessions."""

    def __init__(self, records: ArchiveStore, store: Store, *,
                 clock: Callable[[], float] = time.time,
                 retention_s: int = 7 * 24 * 3600) -> None:
        self.records = records
        self.store = store
        self.clock = clock
        self.retention_s = retention_s  # 0: the live keys stay

    async def collect(self, state: PassState) -> PassArchive | None:
        """What the ended pass leaves (None for a pass outside any organisation)."""
        owner = split_live_id(state.program)
        if owner is None:
            return None
        org_id = owner[0]
        ended_at, logs = await self.store.close_presence(state.id, self.clock())
        answers: list[ArchivedAnswer] = []
        journal: list[ArchivedAnswer] = []
        for step in state.script.steps:
            if not step.asks_answer:
                continue
            for person, record in (await self.store.answers(state.id, step.id)).items():
                employee = _local(org_id, person)
                if employee is None:
                    continue
                answer = ArchivedAnswer(employee, step.id, step.kind.value,
                                        step.visibility.value, record["value"],
                                        float(record["at"]))
                answers.append(answer)
                if step.kind in JOURNAL_KINDS or (step.kind is StepKind.REFLECTION and
                                                  step.visibility is Visibility.PRIVATE):
                    journal.append(answer)
        attendance = []
        for person, presence in logs.items():
            employee = _local(org_id, person)
            if employee is not None:
                s = summarise(presence, ended_at)
                attendance.append(AttendanceRow(employee, s.first_joined_at, s.minutes_present,
                                                s.left_early))
        pairings = []
        for meeting in await self.store.history(state.program):
            a, b = _local(org_id, meeting.a), _local(org_id, meeting.b)
            if meeting.pass_id == state.id and a is not None and b is not None and a != b:
                pairings.append(PairingRow(min(a, b), max(a, b), meeting.at))
        return PassArchive(org_id, state.id, ended_at, tuple(answers), tuple(journal),
                           tuple(attendance), tuple(pairings))

    async def archive_pass(self, state: PassState) -> None:
        archive = await self.collect(state)
        if archive is None:
            await self.expire(state.id)  # nothing of it is kept: it only expires
            return
        try:
            counts = await self.records.archive_pass(archive)
        except NotFound:
            log.info("ended pass is no session of %s; nothing to archive", archive.org_id,
                     extra={"pass_id": state.id})
            await self.expire(state.id)
            return
        log.info("pass archived", extra={"pass_id": state.id, "org_id": archive.org_id,
                                         **counts})
        await self.expire(state.id)

    async def expire(self, pass_id: str) -> int:
        """The archived pass's live keys expire after the retention time; how many."""
        if self.retention_s <= 0:
            return 0
        return await self.store.expire_pass(pass_id, self.retention_s)
