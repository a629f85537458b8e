"""The program dashboard (admin): enrolment and attendance, who has not done a mandatory
class, session fill rates, top management's participation and the pulse trend.

``Dashboards.build`` reads the stored facts (``ReportStore.dashboard_facts``)
and ``dashboard`` decides what the page shows, as a pure function:

- top management: active people of level ``top`` in the organisation, and
  how many of them joined any session this calendar month (UTC); a warning
  when the share is below the organisation's ``top_warning_percent``;
- per class (in the program's order) and session: places, waiting list,
  attended, missing (enrolled or invited and never came), fill rate;
- the audience by department, site and level: how many chose a session and
  how many came to at least one;
- per mandatory class, how many of the audience have not done it, with a
  one-click reminder (``remind``: the "choose your session" mail, once a day
  per person and class);
- the pulse: each repeated check-in or scale question as its average per
  class over the program, a point shown only when at least k people (the
  program's anonymity threshold) answered it; a scale is named as its class
  words it (``orchestrator.gym.questions``), never by its step's id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone

from exercises.gym.insights import Cell
from exercises.gym.mail import MailKind, MailOrder
from exercises.text import Text
from orchestrator.errors import NotFound
from orchestrator.gym.breakdown import ClassBreakdown, Decisions, class_breakdown
from orchestrator.gym.classes import ClassLibrary
from orchestrator.gym.ports import Records
from orchestrator.gym.questions import QuestionNames
from orchestrator.gym.reports import DashboardFacts, MissingPerson, PulseCell, SessionFacts

log = logging.getLogger(__name__)

MAX_REMINDED = 100_000

__all__ = ["ClassLine", "Dashboard", "Dashboards", "GroupLine", "PulseLine", "TopLine",
           "dashboard"]


@dataclass(frozen=True, slots=True)
class TopLine:
    month: date
    top: int
    trained: int
    threshold_percent: int

    @property
    def percent(self) -> int:
        return round(100 * self.trained / self.top) if self.top else 0

    @property
    def warning(self) -> bool:
        return self.top > 0 and self.percent < self.threshold_percent


@dataclass(frozen=True, slots=True)
class ClassLine:
    program_class_id: int
    position: int
    class_id: str
    title: Text
    due_on: date | None
    mandatory: bool
    done: int
    not_done: int
    sessions: tuple[SessionFacts, ...]


@dataclass(frozen=True, slots=True)
class GroupLine:
    value: str
    audience: int
    enrolled: int
    attended: int


@dataclass(frozen=True, slots=True)
class PulseLine:
    question: str  # "energy" or a scale step's id
    points: tuple[tuple[int, float, int], ...]  # (class position, mean, people), k-safe
    title: Text | None = None  # a scale's, as its class words it (None: energy, or gone)


@dataclass(frozen=True, slots=True)
class Dashboard:
    program_id: str
    program_name: str
    anonymity_k: int
    audience: int
    top: TopLine
    classes: tuple[ClassLine, ...]
    groups: Mapping[str, tuple[GroupLine, ...]]  # "department" | "site" | "level"
    pulse: tuple[PulseLine, ...]
    mail_failed: int


def dashboard(facts: DashboardFacts, titles: Mapping[str, Text] = {}) -> Dashboard:
    """What the dashboard shows of the stored facts (see the module); ``titles`` words
    the pulse's scale questions."""
    program = facts.program
    audience = sum(g.audience for g in facts.groups)
    done = {d.program_class_id: d.done for d in facts.done}
    classes = tuple(ClassLine(
        c.id, c.position, c.class_id, facts.titles.get(c.class_id, Text(c.class_id, c.class_id)),
        c.due_on, c.mandatory, done.get(c.id, 0), max(0, audience - done.get(c.id, 0)),
        tuple(s for s in facts.sessions if s.session.program_class_id == c.id))
        for c in program.classes)
    groups: dict[str, tuple[GroupLine, ...]] = {}
    for dim, name in enumerate(("department", "site", "level")):
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for g in facts.groups:
            line = sums[g.cell[dim]]
            line[0] += g.audience
            line[1] += g.enrolled
            line[2] += g.attended
        groups[name] = tuple(GroupLine(v, *n) for v, n in sorted(sums.items()))
    positions = {c.id: c.position for c in program.classes}
    series: dict[str, list[tuple[int, float, int]]] = defaultdict(list)
    for p in facts.pulse:
        if p.people >= program.anonymity_k and p.program_class_id in positions:
            series[p.question].append((positions[p.program_class_id], round(p.mean, 2),
                                       p.people))
    pulse = tuple(PulseLine(q, tuple(sorted(points)), titles.get(q))
                  for q, points in sorted(series.items()) if len(points) >= 2)
    top = TopLine(facts.top.month, facts.top.top, facts.top.trained,
                  facts.org.top_warning_percent)
    return Dashboard(program.id, program.name, program.anonymity_k, audience, top, classes,
                     groups, pulse, facts.mail_failed)


class Dashboards:
    def __init__(self, records: Records, *, names: QuestionNames | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.records = records
        self.names = names or QuestionNames(ClassLibrary(records))
        self.decisions = Decisions()
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    async def build(self, org_id: str, program_id: str) -> Dashboard:
        facts = await self.records.dashboard_facts(org_id, program_id, self._now())
        return dashboard(facts, await self._pulse_titles(org_id, facts))

    async def _pulse_titles(self, org_id: str, facts: DashboardFacts) -> dict[str, Text]:
        """Each scale question of the pulse as the first class (in the program's order)
        that asked it words it, in the newest version its sessions ran."""
        asked: dict[str, set[int]] = defaultdict(set)
        for p in facts.pulse:
            if p.question != "energy":
                asked[p.question].add(p.program_class_id)
        versions: dict[int, int] = {}
        for s in facts.sessions:
            pc = s.session.program_class_id
            versions[pc] = max(versions.get(pc, 0), s.session.class_version)
        titles: dict[str, Text] = {}
        for question, classes in asked.items():
            for c in facts.program.classes:
                if c.id not in classes or c.id not in versions:
                    continue
                _, step = await self.names.step(org_id, c.class_id, question, versions[c.id],
                                                c.parameters)
                if step is not None:
                    titles[question] = step.title
                    break
        return titles

    async def breakdown(self, org_id: str, program_id: str,
                        program_class_id: int) -> ClassBreakdown:
        """One class by department, site and level (``orchestrator.gym.breakdown``)."""
        async def pulse() -> tuple[PulseCell, ...]:
            cells = await self.records.class_pulse(org_id, program_id, program_class_id)
            # Decided while the places are still being counted (then remembered).
            program = await self.records.program(org_id, program_id)
            people: dict[str, dict[Cell, int]] = defaultdict(lambda: defaultdict(int))
            for c in cells:
                people[c.question][c.cell] += c.people
            for counts in people.values():
                self.decisions(counts, program.anonymity_k)
            return cells

        places, cells = await asyncio.gather(
            self.records.class_breakdown(org_id, program_id, program_class_id), pulse())
        facts = replace(places, pulse=cells)
        pc = next(c for c in facts.program.classes if c.id == program_class_id)
        titles: dict[str, Text] = {}
        for question in {c.question for c in facts.pulse} - {"energy"}:
            _, step = await self.names.step(org_id, pc.class_id, question,
                                            facts.class_version, pc.parameters)
            if step is not None:
                titles[question] = step.title
        return class_breakdown(facts, titles, self.decisions)

    async def missing(self, org_id: str, program_id: str,
                      program_class_id: int) -> list[MissingPerson]:
        return await self.records.missing_people(org_id, program_id, program_class_id)

    async def remind(self, org_id: str, program_id: str, program_class_id: int) -> int:
        """Mail everyone of the audience who has not done the class to choose a session
        (once a day per person and class); returns how many are mailed."""
        program = await self.records.program(org_id, program_id)
        if program.state != "active":
            raise NotFound(f"program {program_id!r} has ended", code="program_ended")
        people = await self.records.missing_people(org_id, program_id, program_class_id,
                                                   limit=MAX_REMINDED)
        now = self._now()
        await self.records.queue_mail(org_id, program_id, [MailOrder(
            MailKind.ENROLMENT, p.employee_id,
            f"reminder:{program_id}:{program_class_id}:{p.employee_id}:{now:%Y%m%d}", now)
            for p in people])
        log.info("reminder queued", extra={"org_id": org_id, "program_id": program_id,
                                           "count": len(people)})
        return len(people)
