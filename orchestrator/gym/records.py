"""Read models of the system of record: what the gym's ports return.

Frozen values with no I/O. Pages and the CLI render them; the PostgreSQL
adapter builds them from rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from exercises.gym.errors import InvalidProgram
from exercises.gym.ids import check_org_id
from exercises.gym.program import Audience, Cadence, SessionState
from exercises.gym.roster import Language, Level
from exercises.text import Text

__all__ = ["ClassArrangement", "ClassPlan", "ClassVersion", "FacilitatedSession", "ImportReport",
           "Organisation", "PersonData", "PersonRecord", "ProgramClass", "ProgramRecord",
           "SessionRecord"]


@dataclass(frozen=True, slots=True)
class Organisation:
    """A client organisation; checked when built."""

    id: str
    name: str
    anonymity_k: int = 5
    top_warning_percent: int = 50

    def __post_init__(self) -> None:
        if (wrong := check_org_id(self.id)) is not None:
            raise InvalidProgram(f"organisation: {wrong}", code="invalid_org")
        if not self.name.strip() or len(self.name) > 120:
            raise InvalidProgram("organisation name: 1-120 characters", code="invalid_org")
        if not 2 <= self.anonymity_k <= 100:
            raise InvalidProgram(f"anonymity threshold: 2-100, not {self.anonymity_k}",
                                 code="invalid_org")
        if not 0 <= self.top_warning_percent <= 100:
            raise InvalidProgram(f"top-management warning: 0-100 %, not "
                                 f"{self.top_warning_percent}", code="invalid_org")


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One person of an organisation, by employee id."""

    org_id: str
    employee_id: str
    first_name: str
    last_name: str
    email: str
    department: str
    site: str
    manager_id: str | None
    level: Level
    language: Language
    active: bool
    source: str  # "roster" or "manual"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What one roster import did."""

    file: str
    mode: str  # "full" or "partial"
    added: int
    changed: int
    unchanged: int
    deactivated: int

    def __str__(self) -> str:
        return (f"{self.file} ({self.mode}): {self.added} added, {self.changed} changed, "
                f"{self.unchanged} unchanged, {self.deactivated} deactivated")


@dataclass(frozen=True, slots=True)
class ClassVersion:
    """One saved version of a class (today's class-file YAML)."""

    org_id: str
    class_id: str
    version: int
    yaml: str
    title: Text
    duration_s: int
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProgramClass:
    """A class in a program's sequence."""

    id: int
    position: int
    class_id: str
    due_on: date | None
    mandatory: bool
    parameters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClassPlan:
    """One class of a program's new sequence: one it has (``id``; its class stays) with
    its due date and mandatory flag, or a new one (``id`` None) from the library."""

    id: int | None
    class_id: str
    due_on: date | None
    mandatory: bool
    parameters: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ClassArrangement:
    """A program's classes in their new order, and those it no longer has."""

    rows: tuple[ClassPlan, ...]
    removed: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ProgramRecord:
    org_id: str
    id: str
    name: str
    audience: Audience
    cadence: Cadence
    mandatory: bool
    anonymity_k: int  # the program's own, or the organisation's
    starts_on: date | None
    ends_on: date | None
    state: str  # "active" or "ended"
    classes: tuple[ProgramClass, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A dated offering of one class, and the pass it runs as."""

    org_id: str
    pass_id: str
    program_id: str
    program_class_id: int
    class_id: str
    class_version: int
    starts_at: datetime  # aware, in ``time_zone``
    time_zone: str
    duration_s: int
    capacity: int
    facilitator: str
    state: SessionState
    enrolled: int = 0
    waiting: int = 0


@dataclass(frozen=True, slots=True)
class FacilitatedSession:
    """A session on its facilitator's page: with its program's name and its class's
    title in the version it was scheduled with."""

    session: SessionRecord
    program_name: str
    class_title: Text


@dataclass(frozen=True, slots=True)
class PersonData:
    """Every row the system of record holds about one person, by table."""

    org_id: str
    employee_id: str
    tables: Mapping[str, tuple[Mapping[str, Any], ...]]

    @property
    def empty(self) -> bool:
        return not any(self.tables.values())
