"""Choosing a session: who may enrol, capacity, the waiting list, switching and cancelling.

A person holds at most one place per class of a program: enrolled in one
session, or waiting on one session's list. The rules, in order of precedence:

1. Who may enrol: an active person, in the program's audience, in a program
   that has not ended, for a session that is scheduled or open and has not
   started (``now < starts_at``), of a class they have not done yet.
2. One place per class: choosing another session of the same class releases
   the old place (a switch). A place in a session that has started is kept,
   unless that session ended without the person (a missed class: they may
   choose another session).
3. A session with a free place enrols; a full one puts the person at the end
   of its waiting list. Someone who would give up a place (enrolled in
   another session) for a waiting spot must say so (``give_up_place``).
4. A freed place goes to the first on the waiting list, in order; everyone
   behind moves up one. Places only free up before the session starts.

Every decision returns a ``Plan``: the enrolment rows to write (each a whole
resulting row), the outcome for the person, who was promoted, and the mails
to queue (rendered when sent, so a stale one is found out then). Nothing is
written when a decision raises.

Errors: ``EnrolmentRefused`` with codes ``person_inactive``,
``not_in_audience``, ``program_ended``, ``session_started``,
``session_closed`` (cancelled or ended), ``class_done``, ``session_full``
(switching would give up a place; say ``give_up_place``), ``not_enrolled``
(cancelling nothing) and ``already_enrolled`` (the same place again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from exercises.gym.errors import EnrolmentRefused
from exercises.gym.mail import MailKind, MailOrder, reminders
from exercises.gym.program import EnrolmentStatus, SessionState

__all__ = ["Change", "EnrolmentFacts", "JOIN_OPENS_BEFORE", "Outcome", "Plan", "Seat", "can_join",
           "decide_cancel", "decide_enrol", "join_opens_at", "promote_after_release",
           "waiting_order"]

#: The join button opens this long before a session starts.
JOIN_OPENS_BEFORE = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Seat:
    """One session as enrolment sees it: its places and waiting list (in order)."""

    pass_id: str
    starts_at: datetime
    state: SessionState
    capacity: int
    enrolled: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()

    @property
    def full(self) -> bool:
        return len(self.enrolled) >= self.capacity

    def started(self, now: datetime) -> bool:
        return now >= self.starts_at or self.state in (SessionState.ENDED,
                                                         SessionState.CANCELLED)

    def holds(self, employee_id: str) -> bool:
        return employee_id in self.enrolled or employee_id in self.waiting


@dataclass(frozen=True, slots=True)
class EnrolmentFacts:
    """What a decision needs, read under the sessions' locks."""

    employee_id: str
    person_active: bool
    in_audience: bool
    program_active: bool
    target: Seat
    #: The session of the same class where the person holds a place, if any.
    current: Seat | None = None
    #: The person attended a session of this class already.
    class_done: bool = False
    #: ``current`` ended and the person never joined it.
    current_missed: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    """One enrolment row as it is to be after the decision."""

    pass_id: str
    employee_id: str
    status: EnrolmentStatus
    position: int | None = None


class Outcome(StrEnum):
    ENROLLED = "enrolled"
    WAITING = "waiting"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Plan:
    outcome: Outcome
    position: int | None  # on the waiting list, 1-based
    changes: tuple[Change, ...]
    released: str | None = None  # the pass id of a place given up by switching
    promoted: tuple[Change, ...] = ()
    mails: tuple[MailOrder, ...] = field(default_factory=tuple)


def join_opens_at(starts_at: datetime) -> datetime:
    return starts_at - JOIN_OPENS_BEFORE


def can_join(starts_at: datetime, duration_s: int, state: SessionState, now: datetime) -> bool:
    """The join button works from ten minutes before the start until the session's end."""
    if state in (SessionState.ENDED, SessionState.CANCELLED):
        return False
    return join_opens_at(starts_at) <= now < starts_at + timedelta(seconds=duration_s)


def _confirmation(pass_id: str, employee_id: str, now: datetime) -> MailOrder:
    # Stamped with the moment: enrolling again after cancelling confirms again.
    return MailOrder(MailKind.CONFIRMATION, employee_id,
                     f"confirmation:{pass_id}:{employee_id}:{int(now.timestamp() * 1000)}", now,
                     pass_id)


def _withdrawn(pass_id: str, employee_id: str, now: datetime) -> MailOrder:
    """The calendar event of a place given up, withdrawn (only a place had one)."""
    return MailOrder(MailKind.CANCELLATION, employee_id,
                     f"cancellation:{pass_id}:{employee_id}:{int(now.timestamp() * 1000)}", now,
                     pass_id)


def _welcome(change: Change, seat: Seat, now: datetime) -> tuple[MailOrder, ...]:
    mails: tuple[MailOrder, ...] = (_confirmation(change.pass_id, change.employee_id, now),)
    if change.status is EnrolmentStatus.ENROLLED:
        mails += reminders(change.pass_id, change.employee_id, seat.starts_at, now)
    return mails


def promote_after_release(seat: Seat, leaving: str,
                          now: datetime) -> tuple[tuple[Change, ...], tuple[Change, ...]]:
    """``leaving`` gives up their place or spot in ``seat``: (changes, promoted).

    A freed place goes to the first on the waiting list, and everyone behind
    moves up; a session that has started promotes nobody.
    """
    changes = [Change(seat.pass_id, leaving, EnrolmentStatus.CANCELLED)]
    waiting = [w for w in seat.waiting if w != leaving]
    promoted: list[Change] = []
    freed = leaving in seat.enrolled and len(seat.enrolled) - 1 < seat.capacity
    if freed and waiting and not seat.started(now):
        first = Change(seat.pass_id, waiting.pop(0), EnrolmentStatus.ENROLLED)
        promoted.append(first)
        changes.append(first)
    old = {w: i + 1 for i, w in enumerate(seat.waiting)}
    for i, person in enumerate(waiting, start=1):
        if old[person] != i:
            changes.append(Change(seat.pass_id, person, EnrolmentStatus.WAITING, i))
    return tuple(changes), tuple(promoted)


def decide_enrol(facts: EnrolmentFacts, now: datetime, *, give_up_place: bool = False) -> Plan:
    """Take a place (or a waiting spot) in ``facts.target``; see the module's rules."""
    person, target, current = facts.employee_id, facts.target, facts.current
    if not facts.person_active:
        raise EnrolmentRefused("you are no longer in the organisation's roster",
                               code="person_inactive")
    if not facts.program_active:
        raise EnrolmentRefused("the program has ended", code="program_ended")
    if not facts.in_audience:
        raise EnrolmentRefused("this program is not for you (its audience does not include "
                               "your department, site or level)", code="not_in_audience")
    if target.state in (SessionState.CANCELLED, SessionState.ENDED):
        raise EnrolmentRefused(f"the session is {target.state.value}; choose another",
                               code="session_closed")
    if target.started(now):
        raise EnrolmentRefused("the session has started; choose a later one",
                               code="session_started")
    if facts.class_done:
        raise EnrolmentRefused("you have done this class already", code="class_done")
    if target.holds(person):
        raise EnrolmentRefused("you already have a place in this session"
                               if person in target.enrolled else
                               "you are already on this session's waiting list",
                               code="already_enrolled")
    changes: list[Change] = []
    promoted: tuple[Change, ...] = ()
    released = None
    mails: list[MailOrder] = []
    if current is not None:
        if current.pass_id == target.pass_id:  # pragma: no cover - holds() caught it
            raise EnrolmentRefused("you already hold this place", code="already_enrolled")
        if current.started(now) and not facts.current_missed:
            raise EnrolmentRefused("your session of this class has started; it can no longer "
                                   "be switched", code="session_started")
        if target.full and person in current.enrolled and not current.started(now) \
                and not give_up_place:
            raise EnrolmentRefused("that session is full: you would give up your place to "
                                   "wait; confirm to do so", code="session_full")
        released_changes, promoted = promote_after_release(current, person, now)
        changes += released_changes
        released = current.pass_id
        if person in current.enrolled and not current.started(now):
            mails.append(_withdrawn(current.pass_id, person, now))
        for change in promoted:
            mails += _welcome(change, current, now)
    if target.full:
        mine = Change(target.pass_id, person, EnrolmentStatus.WAITING, len(target.waiting) + 1)
        outcome = Outcome.WAITING
    else:
        mine = Change(target.pass_id, person, EnrolmentStatus.ENROLLED)
        outcome = Outcome.ENROLLED
    changes.append(mine)
    mails += _welcome(mine, target, now)
    return Plan(outcome, mine.position, tuple(changes), released, promoted, tuple(mails))


def decide_cancel(seat: Seat, employee_id: str, now: datetime) -> Plan:
    """Give up a place or waiting spot in ``seat`` before it starts."""
    if not seat.holds(employee_id):
        raise EnrolmentRefused("you have no place in this session", code="not_enrolled")
    if seat.started(now):
        raise EnrolmentRefused("the session has started; it can no longer be cancelled",
                               code="session_started")
    changes, promoted = promote_after_release(seat, employee_id, now)
    mails: list[MailOrder] = [_withdrawn(seat.pass_id, employee_id, now)] \
        if employee_id in seat.enrolled else []
    for change in promoted:
        mails += _welcome(change, seat, now)
    return Plan(Outcome.CANCELLED, None, changes, None, promoted, tuple(mails))


def waiting_order(rows: Sequence[tuple[str, int]]) -> tuple[str, ...]:
    """Employee ids of a waiting list from (id, position) rows, first first."""
    return tuple(employee for employee, _ in sorted(rows, key=lambda r: (r[1], r[0])))
