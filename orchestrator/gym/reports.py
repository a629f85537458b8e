"""Read models of the admin's and leadership's pages: staff credentials, the program
dashboard's facts and the leadership answers behind the insights.

Frozen values with no I/O, returned by ``orchestrator.gym.ports.ReportStore``
and built from rows by the PostgreSQL adapter (``postgres_reports.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from exercises.gym.insights import Cell, Slice
from exercises.text import Text
from orchestrator.gym.records import Organisation, ProgramRecord, SessionRecord

__all__ = ["BreakdownFacts", "ClassDone", "DashboardFacts", "GroupFacts", "InsightAnswers",
           "MissingPerson", "PlaceCounts", "PulseCell", "PulsePoint", "SessionFacts",
           "StaffCredential", "TopFacts"]


@dataclass(frozen=True, slots=True)
class StaffCredential:
    """One admin or leadership link of an organisation."""

    id: int
    org_id: str
    role: str  # "admin" or "leadership"
    label: str
    issued_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """People of the program's audience in one cell (department, site, level)."""

    cell: Cell
    audience: int
    enrolled: int  # chose a session (any class)
    attended: int  # came to at least one session


@dataclass(frozen=True, slots=True)
class ClassDone:
    program_class_id: int
    done: int  # distinct people of the audience who attended a session of it


@dataclass(frozen=True, slots=True)
class TopFacts:
    """Top management this month: how many there are and how many trained."""

    month: date
    top: int
    trained: int


@dataclass(frozen=True, slots=True)
class PulsePoint:
    """A repeated question's answers in one class of the program (averaged)."""

    program_class_id: int
    question: str  # "energy" (check-in) or a scale step's id
    people: int
    answers: int
    mean: float


@dataclass(frozen=True, slots=True)
class SessionFacts:
    session: SessionRecord
    attended: int
    missing: int  # enrolled or invited, never came (known once it ended)


@dataclass(frozen=True, slots=True)
class DashboardFacts:
    org: Organisation
    program: ProgramRecord
    titles: Mapping[str, Text]
    sessions: tuple[SessionFacts, ...]
    groups: tuple[GroupFacts, ...]
    done: tuple[ClassDone, ...]
    top: TopFacts
    pulse: tuple[PulsePoint, ...]
    mail_failed: int


@dataclass(frozen=True, slots=True)
class MissingPerson:
    employee_id: str
    name: str
    email: str
    department: str
    site: str
    level: str
    enrolled: bool  # holds a place in a session still to come


@dataclass(frozen=True, slots=True)
class InsightAnswers:
    """A program's leadership questions: who answered (by cell) and, for one slice,
    what they answered (no names, times or rooms)."""

    program: ProgramRecord
    questions: tuple[tuple[str, str, str], ...]  # (class id, step id, step kind)
    cells: Mapping[tuple[str, str], Mapping[Cell, int]]  # (class, step) -> people per cell
    # In the slice: answers counted by value (scales, choices, energy, follow-ups), the
    # newest free texts, and the most frequent words that may be themes, counted over
    # every answer.
    counts: Mapping[tuple[str, str], Mapping[str, int]]
    texts: Mapping[tuple[str, str], tuple[str, ...]]
    words: Mapping[tuple[str, str], Mapping[str, int]]
    slice: Slice
    versions: Mapping[str, int]  # class id -> the latest version asked


@dataclass(frozen=True, slots=True)
class PlaceCounts:
    """People of one cell (department, site, level) and one class or session: who hold a
    place, wait for one, came, and (a session's) were expected and never came."""

    cell: Cell
    audience: int  # of a class: the program's audience in the cell; of a session: 0
    enrolled: int
    waiting: int
    attended: int
    missing: int


@dataclass(frozen=True, slots=True)
class PulseCell:
    """A class's repeated question ("energy", or a scale step's id) in one cell."""

    question: str
    cell: Cell
    people: int
    valued: int
    total: float


@dataclass(frozen=True, slots=True)
class BreakdownFacts:
    """One class of a program by department, site and level: its audience, each of its
    sessions (by pass id, in start order) and its pulse answers, as counted."""

    program: ProgramRecord
    program_class_id: int
    class_version: int  # the newest its sessions run (0: none scheduled)
    audience: tuple[PlaceCounts, ...]
    sessions: tuple[tuple[str, tuple[PlaceCounts, ...]], ...]
    pulse: tuple[PulseCell, ...]
