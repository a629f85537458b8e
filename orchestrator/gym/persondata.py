"""One person's data across both stores (GDPR): export and erasure by employee id.

The live store holds the person under their qualified id (``org/employee_id``)
and, for passes from before the roster, possibly under the bare id; both are
covered, and so is every row of the system of record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from exercises.gym.ids import live_id
from orchestrator.gym.ports import PersonRecords
from orchestrator.gym.records import PersonData
from orchestrator.people import People
from orchestrator.readmodels import PersonExport

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FullExport:
    live: PersonExport
    records: PersonData


def merge_exports(first: PersonExport, second: PersonExport) -> PersonExport:
    """Two exports of the same person held under two ids, as one."""
    histories = {k: tuple(v) for k, v in first.pairing_history.items()}
    for program, meetings in second.pairing_history.items():
        histories[program] = histories.get(program, ()) + tuple(meetings)
    return PersonExport(first.person or second.person, first.passes + second.passes,
                        {**second.answers, **first.answers},
                        tuple(sorted(first.journal + second.journal, key=lambda e: e.at)),
                        histories, {**second.quality, **first.quality})


class PersonDataService:
    def __init__(self, people: People, records: PersonRecords) -> None:
        self.people = people
        self.records = records

    async def export(self, org_id: str, employee_id: str) -> FullExport:
        live = await self.people.export(live_id(org_id, employee_id))
        legacy = await self.people.export(employee_id)
        return FullExport(merge_exports(live, legacy),
                          await self.records.export_person(org_id, employee_id))

    async def erase(self, org_id: str, employee_id: str) -> dict[str, int]:
        """Erase the person everywhere; counts of live records, scrubbed pass rosters and
        rows of the system of record."""
        done = await self.people.erase(live_id(org_id, employee_id))
        legacy = await self.people.erase(employee_id)
        rows = await self.records.erase_person(org_id, employee_id)
        # No id: after an erasure, no log line names the person.
        log.info("person erased everywhere", extra={"org_id": org_id})
        return {"records": done["records"] + legacy["records"],
                "passes": done["passes"] + legacy["passes"], "rows": rows}
