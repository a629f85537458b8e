"""The roster service: check and import roster files, look people up, invite them.

A person's id is their employee id. In a pass (the live store shared by every
organisation of the installation) they appear as ``org/employee_id``, with
their manager's id qualified the same way, so manager-safe pairing keeps
working and two organisations' people never meet by accident.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from exercises.gym.ids import live_id, split_live_id
from exercises.gym.program import SessionState
from exercises.gym.roster import Roster, RosterPerson, parse_roster
from exercises.state import Member
from orchestrator.errors import AuthError, NotFound
from orchestrator.gym.ports import Records
from orchestrator.gym.records import ImportReport, PersonRecord, SessionRecord
from orchestrator.participants import Participants
from orchestrator.ports import Store

log = logging.getLogger(__name__)


def member_of(person: PersonRecord) -> Member:
    """The person as a pass knows them (ids qualified by their organisation)."""
    manager = live_id(person.org_id, person.manager_id) if person.manager_id else None
    return Member(live_id(person.org_id, person.employee_id), person.name, person.department,
                  person.site, manager, person.level.rank)


class RosterService:
    def __init__(self, records: Records, store: Store, participants: Participants) -> None:
        self.records = records
        self.store = store
        self.participants = participants

    @staticmethod
    def check(data: bytes, file: str, *, partial: bool = False) -> Roster:
        """The checked roster file (offline); ``RosterError`` lists every problem."""
        return parse_roster(data, file, partial=partial)

    async def import_file(self, org_id: str, data: bytes, file: str, *,
                          partial: bool = False) -> ImportReport:
        """Check the file, then import it all or nothing (see ``RosterStore.import_roster``)."""
        roster = parse_roster(data, file, partial=partial)
        await self.records.org(org_id)
        report = await self.records.import_roster(org_id, roster)
        log.info("roster imported", extra={"org_id": org_id, "file": file, "mode": report.mode,
                                           "added": report.added, "changed": report.changed,
                                           "deactivated": report.deactivated})
        return report

    async def add(self, org_id: str, person: RosterPerson) -> PersonRecord:
        """Add someone who is not in the roster file, explicitly (an outside guest, a consultant)."""
        await self.records.org(org_id)
        return await self.records.add_person(org_id, person)

    async def member(self, org_id: str, employee_id: str) -> Member:
        person = await self.records.person(org_id, employee_id)
        if not person.active:
            raise AuthError(f"{employee_id!r} is no longer active in the roster of {org_id!r}",
                            code="person_inactive")
        return member_of(person)

    async def invite(self, org_id: str, pass_id: str, employee_id: str) -> str:
        """A join ticket for a person of the roster; returns it.

        Department, site, manager and level always come from the roster, so a
        repeated invitation never resets them; a name the person chose for
        themself in the pass is kept. The pass must be the organisation's.
        """
        try:
            state = await self.store.load(pass_id)
        except NotFound:
            session = await self._session_or_none(org_id, pass_id)
            if session is None or session.state is not SessionState.SCHEDULED:
                raise
            raise NotFound(f"session {pass_id!r} is scheduled but not open yet; open it first "
                           f"(onlive session open {pass_id})", code="session_not_open") from None
        owner = split_live_id(state.program)
        if owner is not None and owner[0] != org_id:
            raise NotFound(f"no pass {pass_id!r} in {org_id!r}", code="unknown_pass")
        member = await self.member(org_id, employee_id)
        try:
            chosen = (await self.store.person(member.id)).name
            member = replace(member, name=chosen)
        except NotFound:
            pass
        ticket = await self.participants.invite(pass_id, member)
        await self.records.record_invitation(org_id, pass_id, employee_id)
        return ticket

    async def _session_or_none(self, org_id: str, pass_id: str) -> SessionRecord | None:
        try:
            return await self.records.session(org_id, pass_id)
        except NotFound:
            return None
