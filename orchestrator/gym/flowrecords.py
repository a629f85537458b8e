"""Read models of enrolment, personal links, the mail outbox, archives and Min träning.

Frozen values with no I/O, returned by the gym's flow ports
(``orchestrator.gym.ports``) and built from rows by the PostgreSQL adapter.
The admin's pages read the same values (enrolment, attendance, the outbox).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exercises.gym.mail import MailKind, MailStatus
from exercises.gym.program import EnrolmentStatus, SessionState
from exercises.gym.progress import TrendPoint
from exercises.text import Text
from orchestrator.gym.records import PersonRecord, ProgramRecord

__all__ = ["ArchivedAnswer", "AttendanceRow", "Colleague", "JournalLine", "LinkHolder",
           "MyAttendance", "MyEnrolment", "OutboxMail", "PassArchive", "PairingRow",
           "SessionSlot", "TrainingFacts"]


@dataclass(frozen=True, slots=True)
class LinkHolder:
    """Whose personal link a token is, and whether it still works."""

    link_id: int
    org_id: str
    program_id: str
    employee_id: str
    revoked: bool


@dataclass(frozen=True, slots=True)
class OutboxMail:
    """One row of the mail outbox (no text: mail is rendered when sent)."""

    id: int
    org_id: str
    employee_id: str
    kind: MailKind
    program_id: str | None
    pass_id: str | None
    dedupe_key: str
    status: MailStatus
    attempts: int
    last_error: str | None
    send_after: datetime
    next_attempt_at: datetime
    created_at: datetime
    sent_at: datetime | None
    person_name: str = ""  # first and last name, for the admin's list


@dataclass(frozen=True, slots=True)
class SessionSlot:
    """A session of a program as a person choosing one sees it."""

    pass_id: str
    program_class_id: int
    class_id: str
    starts_at: datetime  # aware, in ``time_zone``
    time_zone: str
    duration_s: int
    capacity: int
    facilitator: str
    state: SessionState
    enrolled: int
    waiting: int
    class_version: int = 1  # the version it was scheduled with


@dataclass(frozen=True, slots=True)
class MyEnrolment:
    pass_id: str
    program_class_id: int
    status: EnrolmentStatus
    position: int | None  # on the waiting list, 1-based


@dataclass(frozen=True, slots=True)
class MyAttendance:
    pass_id: str
    program_class_id: int
    first_joined_at: datetime | None
    minutes_present: int
    left_early: bool


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One entry of a person's journal across passes."""

    pass_id: str
    class_title: Text
    step_id: str
    kind: str  # check-in, reflection, commitment, follow-up
    value: Mapping[str, Any]
    written_at: datetime


@dataclass(frozen=True, slots=True)
class Colleague:
    employee_id: str
    name: str
    department: str
    site: str
    times: int
    last_met: datetime


@dataclass(frozen=True, slots=True)
class TrainingFacts:
    """Everything Min träning shows about one person in one program, as stored."""

    person: PersonRecord
    program: ProgramRecord
    titles: Mapping[str, Text]  # class id -> title (of its latest version)
    sessions: tuple[SessionSlot, ...]
    enrolments: tuple[MyEnrolment, ...]
    attendance: tuple[MyAttendance, ...]
    journal: tuple[JournalLine, ...]
    trend_points: tuple[TrendPoint, ...]
    colleagues: tuple[Colleague, ...]


# -- archiving an ended pass ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArchivedAnswer:
    employee_id: str
    step_id: str
    step_kind: str
    visibility: str
    value: Mapping[str, Any]
    answered_at: float


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    employee_id: str
    first_joined_at: float | None
    minutes_present: int
    left_early: bool


@dataclass(frozen=True, slots=True)
class PairingRow:
    a: str
    b: str
    met_at: float


@dataclass(frozen=True, slots=True)
class PassArchive:
    """What an ended pass leaves in the system of record (employee ids, not live ids)."""

    org_id: str
    pass_id: str
    ended_at: float
    answers: tuple[ArchivedAnswer, ...]
    journal: tuple[ArchivedAnswer, ...]
    attendance: tuple[AttendanceRow, ...]
    pairings: tuple[PairingRow, ...]
