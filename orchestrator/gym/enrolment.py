"""Choosing, switching and cancelling a session (the rules: ``exercises.gym.enrolment``).

The system of record applies each decision under the class's session locks
together with its mails (the outbox), so a place and its confirmation are
stored together. A session that is open (its live pass exists) also keeps
its facilitator's list of expected people current: a new place adds the
person, a given-up place removes them.

Errors: ``EnrolmentRefused`` (the domain's codes; nothing changed),
``NotFound`` (``unknown_session``: not a session of this program).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone

from exercises.gym.enrolment import Plan, decide_cancel, decide_enrol
from exercises.gym.ids import live_id
from exercises.gym.program import EnrolmentStatus, SessionState
from orchestrator.errors import NotFound
from orchestrator.gym.ports import Records
from orchestrator.gym.roster import member_of
from orchestrator.ports import Store

log = logging.getLogger(__name__)


class Enrolments:
    def __init__(self, records: Records, store: Store, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.records = records
        self.store = store
        self.clock = clock

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    async def _check(self, org_id: str, program_id: str, pass_id: str) -> None:
        session = await self.records.session(org_id, pass_id)
        if session.program_id != program_id:
            raise NotFound(f"no session {pass_id!r} in program {program_id!r}",
                           code="unknown_session")

    async def choose(self, org_id: str, program_id: str, employee_id: str, pass_id: str, *,
                     give_up_place: bool = False) -> Plan:
        """Take a place or waiting spot in ``pass_id`` (switching from another session of
        the class releases that place)."""
        await self._check(org_id, program_id, pass_id)
        now = self.now()
        plan = await self.records.enrol(
            org_id, pass_id, employee_id,
            lambda facts: decide_enrol(facts, now, give_up_place=give_up_place))
        log.info("session chosen", extra={"org_id": org_id, "pass_id": pass_id,
                                          "participant_id": employee_id,
                                          "outcome": plan.outcome.value})
        await self._sync_expected(org_id, plan)
        return plan

    async def cancel(self, org_id: str, program_id: str, employee_id: str,
                     pass_id: str) -> Plan:
        await self._check(org_id, program_id, pass_id)
        now = self.now()
        plan = await self.records.cancel_enrolment(
            org_id, pass_id, employee_id, lambda seat: decide_cancel(seat, employee_id, now))
        log.info("place given up", extra={"org_id": org_id, "pass_id": pass_id,
                                          "participant_id": employee_id})
        await self._sync_expected(org_id, plan)
        return plan

    async def _sync_expected(self, org_id: str, plan: Plan) -> None:
        open_: dict[str, bool] = {}
        for change in plan.changes:
            if change.pass_id not in open_:
                session = await self.records.session(org_id, change.pass_id)
                open_[change.pass_id] = session.state is SessionState.OPEN
            if not open_[change.pass_id]:
                continue
            if change.status is EnrolmentStatus.ENROLLED:
                person = await self.records.person(org_id, change.employee_id)
                await self.store.expect(change.pass_id, [member_of(person)])
            else:
                await self.store.unexpect(change.pass_id, live_id(org_id, change.employee_id))
