"""The gym around the passes: roster, class library, programs and schedule, person data,
enrolment, personal links and Min träning, mail, archiving ended passes, and the
admin's and leadership's access, dashboard and insights.

The services here work over the ports in ``orchestrator.gym.ports`` (the
system of record; PostgreSQL in production) and the live services of the
pass. ``build_gym`` wires them; ``orchestrator.services.build_services``
calls it when a system of record is configured.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from orchestrator.access import Access
from orchestrator.gym.archive import PassArchiver
from orchestrator.gym.classes import ClassLibrary
from orchestrator.gym.dashboard import Dashboards
from orchestrator.gym.enrolment import Enrolments
from orchestrator.gym.facilitating import Facilitating
from orchestrator.gym.insights import Insights
from orchestrator.gym.linkrequests import LinkRequests
from orchestrator.gym.links import PersonalLinks
from orchestrator.gym.mail import MailRenderer, Outbox
from orchestrator.gym.mytraining import MyTraining
from orchestrator.gym.persondata import PersonDataService
from orchestrator.gym.ports import Records
from orchestrator.gym.programs import Programs
from orchestrator.gym.questions import QuestionNames
from orchestrator.gym.roster import RosterService
from orchestrator.gym.staff import StaffAccess
from orchestrator.participants import Participants
from orchestrator.people import People
from orchestrator.service import PassService
from orchestrator.settings import Settings

__all__ = ["Gym", "build_gym"]


@dataclass(frozen=True, slots=True)
class Gym:
    records: Records
    roster: RosterService
    classes: ClassLibrary
    programs: Programs
    person_data: PersonDataService
    enrolments: Enrolments
    links: PersonalLinks
    my_training: MyTraining
    outbox: Outbox
    mail: MailRenderer
    archiver: PassArchiver
    staff: StaffAccess
    dashboards: Dashboards
    insights: Insights
    facilitating: Facilitating
    link_requests: LinkRequests


def build_gym(records: Records, passes: PassService, participants: Participants,
              people: People, settings: Settings, *, access: Access | None = None,
              clock: Callable[[], float] = time.time) -> Gym:
    """The gym's services; ``access`` is the worker's (with the live store, so withdrawing
    a facilitator's page also closes the panels opened from it)."""
    classes = ClassLibrary(records)
    names = QuestionNames(classes)  # the words of answered questions, shared by the pages
    roster = RosterService(records, passes.store, participants)
    person_data = PersonDataService(people, records)
    links = PersonalLinks(records, settings.secret, settings.base_url)
    programs = Programs(records, classes, passes)
    outbox = Outbox(records, clock=clock)
    return Gym(records, roster, classes, programs, person_data,
               Enrolments(records, passes.store, clock=clock), links,
               MyTraining(records, roster, person_data, settings.base_url, names=names,
                          clock=clock),
               outbox,
               MailRenderer(records, links, settings.mail_from, clock=clock),
               PassArchiver(records, passes.store, clock=clock,
                            retention_s=settings.pass_retention),
               StaffAccess(records, access or Access(settings, clock=clock), settings.base_url),
               Dashboards(records, names=names, clock=clock),
               Insights(records, classes, names=names, clock=clock),
               Facilitating(records, programs, clock=clock),
               LinkRequests(records, outbox, settings.secret, clock=clock))
