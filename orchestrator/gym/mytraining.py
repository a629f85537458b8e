"""Min träning: one person's page in one program, reached from their personal link.

It shows the next class with its sessions to choose from (places, the
waiting list, switching), the classes done and to do with their due dates,
the journal across passes, the person's own trend on repeated check-in
scales and the colleagues they have trained with. The join button works from
ten minutes before a chosen session starts (``join`` invites the person to
that pass and returns their join ticket); a calendar file and an export of
the person's own data are a request away.

Every call takes the ``LinkHolder`` that ``PersonalLinks.resolve`` gave.
Errors: ``EnrolmentRefused`` (``not_enrolled``, ``join_not_open``),
``NotFound`` (``unknown_session``, ``session_not_open``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from exercises.gym.enrolment import can_join, join_opens_at
from exercises.gym.errors import EnrolmentRefused
from exercises.gym.program import EnrolmentStatus, SessionState
from exercises.gym.progress import ClassStatus, TrendPoint, class_status, next_class, trends
from exercises.gym.roster import Language
from exercises.text import Text
from orchestrator.errors import NotFound
from orchestrator.gym.calendar import session_ics
from orchestrator.gym.classes import ClassLibrary
from orchestrator.gym.flowrecords import (
    Colleague,
    JournalLine,
    LinkHolder,
    MyAttendance,
    MyEnrolment,
    SessionSlot,
    TrainingFacts,
)
from orchestrator.gym.persondata import FullExport, PersonDataService
from orchestrator.gym.ports import Records
from orchestrator.gym.questions import QuestionNames
from orchestrator.gym.roster import RosterService


@dataclass(frozen=True, slots=True)
class SessionChoice:
    slot: SessionSlot
    mine: EnrolmentStatus | None
    position: int | None  # on the waiting list
    full: bool
    join_opens_at: datetime
    can_join: bool
    can_choose: bool  # not started, not cancelled or ended


@dataclass(frozen=True, slots=True)
class ClassLine:
    program_class_id: int
    position: int
    class_id: str
    title: Text
    due_on: date | None
    mandatory: bool
    status: ClassStatus
    session: SessionSlot | None  # the session attended, booked or waited for
    minutes_present: int | None = None


@dataclass(frozen=True, slots=True)
class MyTrainingPage:
    employee_id: str
    first_name: str
    name: str
    language: Language
    program_id: str
    program_name: str
    classes: tuple[ClassLine, ...]
    next_class: ClassLine | None
    sessions: tuple[SessionChoice, ...]  # of the next class
    journal: tuple[JournalLine, ...]
    trends: Mapping[str, list[TrendPoint]]
    colleagues: tuple[Colleague, ...]
    server_now: float
    # A scale question's title (from the class version its newest answer was given to);
    # "energy" and a question no version has any more have none.
    trend_titles: Mapping[str, Text] = field(default_factory=dict)


def build_page(facts: TrainingFacts, server_now: float,
               trend_titles: Mapping[str, Text] = {}) -> MyTrainingPage:
    """The page from what is stored about the person (pure: statuses, the next class,
    the sessions to choose from and whether each can be joined now, trends)."""
    now = datetime.fromtimestamp(server_now, timezone.utc)
    today = now.date()
    places: dict[int, MyEnrolment] = {}
    slots = {s.pass_id: s for s in facts.sessions}
    for e in facts.enrolments:
        # A live place wins over an older one of the same class.
        if e.program_class_id not in places or e.status is EnrolmentStatus.ENROLLED:
            places[e.program_class_id] = e
    attended: dict[int, MyAttendance] = {a.program_class_id: a for a in facts.attendance
                                         if a.first_joined_at is not None}
    lines = []
    for pc in facts.program.classes:
        place = places.get(pc.id)
        came = attended.get(pc.id)
        session = slots.get(came.pass_id) if came else \
            slots.get(place.pass_id) if place else None
        status = class_status(attended=came is not None,
                              enrolment=place.status if place else None,
                              session_state=session.state if session else None,
                              due_on=pc.due_on, today=today)
        lines.append(ClassLine(pc.id, pc.position, pc.class_id,
                               facts.titles.get(pc.class_id, Text(pc.class_id, pc.class_id)),
                               pc.due_on, pc.mandatory, status, session,
                               came.minutes_present if came else None))
    upcoming = next_class([(line.program_class_id, line.status) for line in lines])
    current = next((line for line in lines if line.program_class_id == upcoming), None)
    choices: list[SessionChoice] = []
    if current is not None:
        place = places.get(current.program_class_id)
        for slot in facts.sessions:
            if slot.program_class_id != current.program_class_id:
                continue
            mine = place.status if place and place.pass_id == slot.pass_id else None
            choices.append(SessionChoice(
                slot, mine, place.position if mine is EnrolmentStatus.WAITING and place
                else None, slot.enrolled >= slot.capacity, join_opens_at(slot.starts_at),
                mine is EnrolmentStatus.ENROLLED and can_join(slot.starts_at, slot.duration_s,
                                                              slot.state, now),
                slot.state in (SessionState.SCHEDULED, SessionState.OPEN)
                and now < slot.starts_at))
    person = facts.person
    return MyTrainingPage(person.employee_id, person.first_name, person.name,
                          person.language, facts.program.id, facts.program.name,
                          tuple(lines), current, tuple(choices), facts.journal,
                          trends(facts.trend_points), facts.colleagues, server_now,
                          trend_titles)


class MyTraining:
    def __init__(self, records: Records, roster: RosterService, person_data: PersonDataService,
                 base_url: str, *, names: QuestionNames | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.records = records
        self.names = names or QuestionNames(ClassLibrary(records))
        self.roster = roster
        self.person_data = person_data
        self.base_url = base_url
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    async def page(self, holder: LinkHolder) -> MyTrainingPage:
        facts = await self.records.training_facts(holder.org_id, holder.program_id,
                                                  holder.employee_id)
        return build_page(facts, self.clock(), await self._trend_titles(holder.org_id, facts))

    async def _trend_titles(self, org_id: str, facts: TrainingFacts) -> dict[str, Text]:
        """Each repeated scale question as the class version of its newest answer words it."""
        slots = {s.pass_id: s for s in facts.sessions}
        params = {c.id: c.parameters for c in facts.program.classes}
        titles: dict[str, Text] = {}
        for question, points in trends(facts.trend_points).items():
            slot = slots.get(points[-1].pass_id)
            if question == "energy" or slot is None:
                continue
            _, step = await self.names.step(org_id, slot.class_id, question, slot.class_version,
                                            params.get(slot.program_class_id, {}))
            if step is not None:
                titles[question] = step.title
        return titles

    async def _place(self, holder: LinkHolder, pass_id: str) -> tuple[MyEnrolment, datetime]:
        session = await self.records.session(holder.org_id, pass_id)
        if session.program_id != holder.program_id:
            raise NotFound(f"no session {pass_id!r} in your program", code="unknown_session")
        place = await self.records.enrolment_of(holder.org_id, pass_id, holder.employee_id)
        if place is None or place.status is EnrolmentStatus.CANCELLED:
            raise EnrolmentRefused("you have no place in this session; choose it first",
                                   code="not_enrolled")
        return place, session.starts_at

    async def join(self, holder: LinkHolder, pass_id: str) -> str:
        """A join ticket for the person's session, from ten minutes before it starts."""
        place, _ = await self._place(holder, pass_id)
        session = await self.records.session(holder.org_id, pass_id)
        if place.status is not EnrolmentStatus.ENROLLED:
            raise EnrolmentRefused("you are on the waiting list for this session",
                                   code="not_enrolled")
        if not can_join(session.starts_at, session.duration_s, session.state, self._now()):
            raise EnrolmentRefused("the session opens ten minutes before it starts",
                                   code="join_not_open")
        return await self.roster.invite(holder.org_id, pass_id, holder.employee_id)

    async def calendar(self, holder: LinkHolder, pass_id: str) -> bytes:
        """The session's .ics, for a session the person has a place (or waiting spot) in."""
        await self._place(holder, pass_id)
        session = await self.records.session(holder.org_id, pass_id)
        program = await self.records.program(holder.org_id, holder.program_id)
        person = await self.records.person(holder.org_id, holder.employee_id)
        title = (await self.records.class_version(holder.org_id, session.class_id,
                                                  session.class_version)).title
        return session_ics(pass_id=pass_id, title=title, starts_at=session.starts_at,
                           duration_s=session.duration_s, facilitator=session.facilitator,
                           program=program.name, language=person.language,
                           url=f"{self.base_url}/m", stamp=self._now(),
                           cancelled=session.state is SessionState.CANCELLED)

    async def export(self, holder: LinkHolder) -> FullExport:
        """Everything held about the person (both stores), as ``onlive person export``."""
        return await self.person_data.export(holder.org_id, holder.employee_id)
