"""The gym around the passes: roster, class library, programs and schedule, person data.

The services here work over the ports in ``orchestrator.gym.ports`` (the
system of record; PostgreSQL in production) and the live services of the
pass. ``build_gym`` wires them; ``orchestrator.services.build_services``
calls it when a system of record is configured.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.gym.classes import ClassLibrary
from orchestrator.gym.persondata import PersonDataService
from orchestrator.gym.ports import Records
from orchestrator.gym.programs import Programs
from orchestrator.gym.roster import RosterService
from orchestrator.participants import Participants
from orchestrator.people import People
from orchestrator.service import PassService

__all__ = ["Gym", "build_gym"]


@dataclass(frozen=True, slots=True)
class Gym:
    records: Records
    roster: RosterService
    classes: ClassLibrary
    programs: Programs
    person_data: PersonDataService


def build_gym(records: Records, passes: PassService, participants: Participants,
              people: People) -> Gym:
    classes = ClassLibrary(records)
    return Gym(records, RosterService(records, passes.store, participants), classes,
               Programs(records, classes, passes), PersonDataService(people, records))
