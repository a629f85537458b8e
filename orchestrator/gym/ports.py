"""The gym's ports: what it needs from the system of record (PostgreSQL).

Each protocol is one concern; ``Records`` is all of them, as the adapter
``orchestrator.adapters.postgres.PostgresRecords`` implements them. Every
method takes the organisation first and touches nothing of another one.

Errors: ``NotFound`` for an unknown organisation, person, program, class or
session; ``Conflict`` for an id that exists already or a session that moved
on; ``RosterError`` when a roster does not fit the stored one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from email.message import EmailMessage
from typing import Protocol

from exercises.gym.enrolment import EnrolmentFacts, Plan, Seat
from exercises.gym.insights import Slice
from exercises.gym.mail import MailOrder, MailStatus
from exercises.gym.program import (
    Audience,
    Cadence,
    ProgramClassSpec,
    ProgramSpec,
    SessionSpec,
    SessionState,
)
from exercises.gym.roster import Roster, RosterPerson
from exercises.text import Text
from orchestrator.gym.classrecords import ClassEntry, VersionEntry
from orchestrator.gym.flowrecords import (
    LinkHolder,
    MyEnrolment,
    OutboxMail,
    PassArchive,
    TrainingFacts,
)
from orchestrator.gym.records import (
    ClassArrangement,
    ClassVersion,
    FacilitatedSession,
    ImportReport,
    Organisation,
    PersonData,
    PersonRecord,
    ProgramClass,
    ProgramRecord,
    SessionRecord,
)
from orchestrator.gym.reports import (
    BreakdownFacts,
    DashboardFacts,
    InsightAnswers,
    MissingPerson,
    PulseCell,
    StaffCredential,
    TopFacts,
)


class Organisations(Protocol):
    async def create_org(self, org: Organisation) -> Organisation:
        """A new organisation; ``Conflict`` if the id exists."""
        ...

    async def ensure_org(self, org_id: str, name: str | None = None) -> Organisation:
        """The organisation, created (named ``name`` or its id) if it is new."""
        ...

    async def org(self, org_id: str) -> Organisation: ...
    async def orgs(self) -> list[Organisation]: ...


class RosterStore(Protocol):
    async def import_roster(self, org_id: str, roster: Roster) -> ImportReport:
        """All or nothing, in one transaction; imports of one organisation queue up.

        A full roster adds and changes its people and deactivates the
        organisation's roster people it leaves out; a partial one only adds
        and changes. A column the file lacks (``language``) is never reset.
        """
        ...

    async def add_person(self, org_id: str, person: RosterPerson) -> PersonRecord:
        """Someone added one by one (not from a roster file); ``Conflict`` if the id exists."""
        ...

    async def person(self, org_id: str, employee_id: str) -> PersonRecord: ...
    async def people(self, org_id: str, *, active_only: bool = True) -> list[PersonRecord]: ...


class ClassStore(Protocol):
    async def save_class_version(self, org_id: str, class_id: str, yaml: str, *, title: Text,
                                 duration_s: int, created_by: str,
                                 source: str = "file") -> ClassVersion:
        """A new version, or the latest one when its text is the same; ``source`` is
        ``file``, ``library`` or ``import``."""
        ...

    async def class_version(self, org_id: str, class_id: str,
                            version: int | None = None) -> ClassVersion:
        """One version; the latest when ``version`` is None."""
        ...


class ClassEditorStore(Protocol):
    """The class page's saves and reads (``orchestrator.adapters.postgres_classes``)."""

    async def save_edited_class(self, org_id: str, class_id: str, yaml: str, *, title: Text,
                                duration_s: int, created_by: str, source: str,
                                based_on: int | None, copied_from: str | None
                                ) -> tuple[ClassVersion, bool]:
        """Save the class's next version, numbered ``based_on + 1`` (1 for a new class):
        the version and whether it is new (False: the text was the latest's already).

        ``Conflict`` with code ``class_exists`` for a new class whose id is taken,
        ``class_changed`` when someone saved another version after ``based_on``;
        ``NotFound`` for a class that is not in the library.
        """
        ...

    async def class_catalogue(self, org_id: str) -> list[ClassEntry]: ...
    async def class_history(self, org_id: str, class_id: str) -> list[VersionEntry]: ...


class FacilitatorStore(Protocol):
    async def count_link_request(self, address_hmac: str, now: datetime,
                                 since: datetime) -> int:
        """Note one "mail me my link" of an address; how many since ``since``."""
        ...

    async def facilitator_sessions(self, org_id: str, facilitator: str,
                                   ending_after: datetime) -> list[FacilitatedSession]:
        """Their scheduled and open sessions that end after ``ending_after``, by start."""
        ...

    async def session(self, org_id: str, pass_id: str) -> SessionRecord: ...


class ProgramStore(Protocol):
    async def create_program(self, org_id: str, spec: ProgramSpec) -> ProgramRecord: ...
    async def programs(self, org_id: str) -> list[ProgramRecord]: ...
    async def program(self, org_id: str, program_id: str) -> ProgramRecord: ...
    async def add_program_class(self, org_id: str, program_id: str, spec: ProgramClassSpec,
                                parameters: Mapping[str, str]) -> ProgramClass:
        """Append a class to the program's sequence (it must be in the class library)."""
        ...

    async def add_session(self, org_id: str, program_id: str, program_class_id: int, *,
                          pass_id: str, class_version: int, duration_s: int,
                          spec: SessionSpec) -> SessionRecord:
        """Schedule a session, reserving ``pass_id``; ``Conflict`` if that id is taken."""
        ...

    async def sessions(self, org_id: str, program_id: str) -> list[SessionRecord]: ...
    async def session(self, org_id: str, pass_id: str) -> SessionRecord: ...
    async def move_session(self, org_id: str, pass_id: str, current: SessionState,
                           to: SessionState) -> SessionRecord:
        """Set the state if it still is ``current``; ``Conflict`` otherwise."""
        ...


class AttendanceStore(Protocol):
    async def record_invitation(self, org_id: str, pass_id: str, employee_id: str) -> bool:
        """Note that the person is expected in the session's pass; False when the pass
        is not a scheduled session of the organisation (an ad-hoc pass)."""
        ...


class PersonRecords(Protocol):
    async def export_person(self, org_id: str, employee_id: str) -> PersonData: ...
    async def erase_person(self, org_id: str, employee_id: str) -> int:
        """Delete every row about the person; returns how many went."""
        ...


class EnrolmentStore(Protocol):
    async def enrol(self, org_id: str, pass_id: str, employee_id: str,
                    decide: Callable[[EnrolmentFacts], Plan]) -> Plan:
        """Lock the class's sessions, read the facts, apply ``decide``'s plan and queue its
        mails, in one transaction; ``decide`` may refuse (nothing changes then)."""
        ...

    async def cancel_enrolment(self, org_id: str, pass_id: str, employee_id: str,
                               decide: Callable[[Seat], Plan]) -> Plan: ...
    async def enrolment_of(self, org_id: str, pass_id: str,
                           employee_id: str) -> MyEnrolment | None: ...
    async def enrolled_people(self, org_id: str, pass_id: str) -> list[PersonRecord]: ...
    async def audience_of(self, org_id: str, program_id: str) -> list[PersonRecord]:
        """The program's audience: active people matching it."""
        ...

    async def people_with_email(self, email: str) -> list[PersonRecord]:
        """Active people with this address, in every organisation."""
        ...


class LinkStore(Protocol):
    async def issue_link(self, org_id: str, program_id: str, employee_id: str,
                         token_hash: Callable[[int], bytes]) -> int:
        """A new live link (the old one revoked); its hash is ``token_hash(link id)``."""
        ...

    async def live_link(self, org_id: str, program_id: str, employee_id: str) -> int | None: ...
    async def revoke_link(self, org_id: str, program_id: str, employee_id: str) -> bool: ...
    async def link_by_hash(self, token_hash: bytes) -> LinkHolder | None: ...


class OutboxStore(Protocol):
    async def queue_mail(self, org_id: str, program_id: str | None,
                         orders: Sequence[MailOrder]) -> None:
        """Queue mails; an order whose ``dedupe_key`` is queued already is a no-op."""
        ...

    async def claim_mail(self, limit: int, lease_s: float) -> list[OutboxMail]:
        """Due mails, each claimed by this caller alone for ``lease_s`` (attempts counted)."""
        ...

    async def mail_sent(self, mail_id: int) -> None: ...
    async def mail_failed(self, mail_id: int, error: str, retry_in_s: float | None) -> None: ...
    async def mail_obsolete(self, mail_id: int, reason: str) -> None: ...
    async def mails(self, org_id: str, statuses: Iterable[MailStatus] | None = None,
                    limit: int = 500) -> list[OutboxMail]: ...
    async def retry_mail(self, org_id: str, mail_id: int) -> bool: ...


class ArchiveStore(Protocol):
    async def archive_pass(self, archive: PassArchive) -> dict[str, int]:
        """Answers, journal, attendance and pairings of an ended pass, once (idempotent);
        queues "you missed it" for mandatory classes; the session becomes ended."""
        ...


class TrainingStore(Protocol):
    async def training_facts(self, org_id: str, program_id: str,
                             employee_id: str) -> TrainingFacts: ...


class StaffStore(Protocol):
    async def add_staff_credential(self, org_id: str, role: str,
                                   label: str) -> StaffCredential: ...
    async def staff_credential(self, credential_id: int) -> StaffCredential | None: ...
    async def staff_credentials(self, org_id: str) -> list[StaffCredential]: ...
    async def revoke_staff_credentials(self, org_id: str, role: str,
                                       credential_id: int | None = None) -> list[int]:
        """Revoke one staff link (or every one of ``role``); the ids of those revoked."""
        ...
    async def set_top_warning(self, org_id: str, percent: int) -> Organisation: ...
    async def class_titles(self, org_id: str) -> dict[str, Text]: ...


class ScheduleEdits(Protocol):
    async def update_program(self, org_id: str, program_id: str, *, name: str,
                             audience: Audience, cadence: Cadence, mandatory: bool,
                             starts_on: date | None, ends_on: date | None,
                             classes: ClassArrangement | None = None) -> ProgramRecord:
        """The program's fields and, with ``classes``, its classes, in one transaction."""
        ...
    async def arrange_program_classes(self, org_id: str, program_id: str,
                                      classes: ClassArrangement) -> ProgramRecord:
        """The program's classes in a new order, some removed, some added, due dates and
        flags changed: all or nothing. ``InvalidProgram`` (``classes_changed``) when the
        arrangement does not name each current class once; ``ClassInUse`` for a removed
        class whose sessions were held or that people hold, wait for or were invited to
        (its scheduled, empty sessions go with it)."""
        ...
    async def update_session(self, org_id: str, pass_id: str,
                             spec: SessionSpec) -> SessionRecord:
        """Only while scheduled (``Conflict`` otherwise, or when fewer places than holders)."""
        ...


class ReportStore(Protocol):
    async def dashboard_facts(self, org_id: str, program_id: str,
                              now: datetime) -> DashboardFacts: ...
    async def missing_people(self, org_id: str, program_id: str, program_class_id: int,
                             limit: int = 500) -> list[MissingPerson]:
        """The audience who have not attended a session of the class, by name."""
        ...
    async def top_facts(self, org_id: str, now: datetime) -> TopFacts: ...
    async def insight_answers(self, org_id: str, program_id: str,
                              slice_: Slice) -> InsightAnswers: ...


class BreakdownStore(Protocol):
    async def class_breakdown(self, org_id: str, program_id: str,
                              program_class_id: int) -> BreakdownFacts:
        """One class of the program by cell, its pulse left out (``NotFound`` for a class
        it does not have)."""
        ...
    async def class_pulse(self, org_id: str, program_id: str,
                          program_class_id: int) -> tuple[PulseCell, ...]:
        """The class's check-in energy and scales by cell (none for a class the program
        does not have)."""
        ...


class Records(Organisations, RosterStore, ClassStore, ProgramStore, AttendanceStore, PersonRecords,
              EnrolmentStore, LinkStore, OutboxStore, ArchiveStore, TrainingStore, StaffStore,
              ScheduleEdits, ReportStore, BreakdownStore, ClassEditorStore, FacilitatorStore,
              Protocol):
    """The whole system of record."""

    async def ping(self) -> None: ...


class Mailer(Protocol):
    """An SMTP server (``orchestrator.adapters.smtp``)."""

    async def send(self, message: EmailMessage) -> None:
        """Hand the message over; ``MailFailed`` when that did not work."""
        ...
