"""Programs, their classes and scheduled sessions, as checked values.

A *program* (e.g. "Ledarskap 2027") has an audience from the roster (everyone,
or people in some departments, sites and levels), a cadence, a sequence of
classes each with a due date and a mandatory flag, and optionally its own
anonymity threshold (never below the organisation's). Each class is offered
as several dated *sessions*; each session runs as one onlive pass whose id
is reserved when it is scheduled.

Session lifecycle (``SessionState``; ``transition`` refuses anything else,
naming the current state)::

    scheduled ──open──▶ open ──end──▶ ended
        │                 │
        └────cancel───────┴──▶ cancelled

Errors: ``InvalidProgram`` and ``InvalidSession`` (``exercises.gym.errors``),
each naming the field that was wrong.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from exercises.gym.errors import InvalidProgram, InvalidSession
from exercises.gym.ids import check_class_id, check_slug
from exercises.gym.roster import Level

__all__ = ["Audience", "Cadence", "EnrolmentStatus", "ProgramClassSpec", "ProgramSpec",
           "SessionSpec", "SessionState", "check_arrangement", "moved", "parse_date",
           "parse_start", "transition"]

MAX_NAME = 120
MAX_CAPACITY = 1000
MIN_CAPACITY = 2  # pair exercises need two


class Cadence(StrEnum):
    """How often the program offers its next class."""

    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


class SessionState(StrEnum):
    SCHEDULED = "scheduled"  # its pass id is reserved; nothing is live yet
    OPEN = "open"  # the live pass exists (its facilitator opened it)
    ENDED = "ended"  # the pass ended; attendance and answers are archived
    CANCELLED = "cancelled"


_MOVES = {
    SessionState.SCHEDULED: frozenset({SessionState.OPEN, SessionState.CANCELLED}),
    SessionState.OPEN: frozenset({SessionState.ENDED, SessionState.CANCELLED}),
    SessionState.ENDED: frozenset[SessionState](),
    SessionState.CANCELLED: frozenset[SessionState](),
}


def transition(current: SessionState, to: SessionState) -> SessionState:
    """``to`` when a session may go there from ``current``; ``InvalidSession`` otherwise."""
    if to not in _MOVES[current]:
        raise InvalidSession(f"a session cannot go from {current.value} to {to.value}",
                             code="illegal_session_state")
    return to


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"
    WAITING = "waiting"  # with a position on the session's waiting list
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a program is for: everyone when no department, site or level is named.

    A person is in the audience when they match every named dimension (any
    of its values).
    """

    departments: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    levels: tuple[Level, ...] = ()

    @property
    def everyone(self) -> bool:
        return not (self.departments or self.sites or self.levels)

    def includes(self, department: str, site: str, level: Level) -> bool:
        return ((not self.departments or department in self.departments)
                and (not self.sites or site in self.sites)
                and (not self.levels or level in self.levels))

    @classmethod
    def of(cls, departments: Iterable[str] = (), sites: Iterable[str] = (),
           levels: Iterable[str] = ()) -> Audience:
        parsed = []
        for raw in levels:
            try:
                parsed.append(Level(raw.strip().lower()))
            except ValueError:
                raise InvalidProgram(f"audience: unknown level {raw!r}; use employee, manager "
                                     "or top", code="invalid_audience") from None
        return cls(_clean(departments), _clean(sites), tuple(dict.fromkeys(parsed)))

    def describe(self) -> str:
        if self.everyone:
            return "everyone"
        parts = [f"{name}: {', '.join(values)}" for name, values in (
            ("departments", self.departments), ("sites", self.sites),
            ("levels", tuple(v.value for v in self.levels))) if values]
        return "; ".join(parts)


def _clean(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))


@dataclass(frozen=True, slots=True)
class ProgramSpec:
    """A program as an admin creates it; checked when built."""

    id: str
    name: str
    audience: Audience = Audience()
    cadence: Cadence = Cadence.MONTHLY
    mandatory: bool = False
    anonymity_k: int | None = None  # None: the organisation's
    starts_on: date | None = None
    ends_on: date | None = None

    def __post_init__(self) -> None:
        if (wrong := check_slug(self.id, "program")) is not None:
            raise InvalidProgram(f"id: {wrong}")
        if not self.name.strip() or len(self.name) > MAX_NAME:
            raise InvalidProgram(f"name: 1-{MAX_NAME} characters, not {len(self.name)}")
        if self.anonymity_k is not None and not 2 <= self.anonymity_k <= 100:
            raise InvalidProgram(f"anonymity threshold: 2-100, not {self.anonymity_k}")
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise InvalidProgram(f"ends on {self.ends_on}, before it starts on {self.starts_on}")


@dataclass(frozen=True, slots=True)
class ProgramClassSpec:
    """One class in a program's sequence."""

    class_id: str
    due_on: date | None = None
    mandatory: bool = False

    def __post_init__(self) -> None:
        if (wrong := check_class_id(self.class_id)) is not None:
            raise InvalidProgram(f"class: {wrong}")


def check_arrangement(current: Sequence[int], order: Sequence[int | None],
                      removed: Iterable[int]) -> None:
    """Refuses a new sequence of a program's classes that does not account for each of
    its ``current`` classes exactly once: kept in ``order`` (``None`` is a new class) or
    ``removed``. A class added or removed by someone else meanwhile is caught here
    (``classes_changed``), so a stale page never drops or doubles one."""
    kept = [i for i in order if i is not None]
    gone = list(removed)
    named = kept + gone
    if len(set(named)) != len(named) or set(named) != set(current):
        raise InvalidProgram("classes: the program's classes changed meanwhile; load them "
                             "again", code="classes_changed")


def moved(order: Sequence[int], index: int, to: int) -> list[int]:
    """``order`` with the item at 0-based ``index`` moved to 1-based position ``to``."""
    if not 1 <= to <= len(order):
        raise InvalidProgram(f"to: a position from 1 to {len(order)}, not {to}",
                             code="bad_position")
    rest = [v for i, v in enumerate(order) if i != index]
    return rest[:to - 1] + [order[index]] + rest[to - 1:]


@dataclass(frozen=True, slots=True)
class SessionSpec:
    """A dated offering of one class: start (aware, in ``time_zone``), capacity, facilitator."""

    starts_at: datetime
    time_zone: str
    capacity: int
    facilitator: str

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None:
            raise InvalidSession("start: a start time needs its time zone")
        _zone(self.time_zone)
        if not MIN_CAPACITY <= self.capacity <= MAX_CAPACITY:
            raise InvalidSession(f"capacity: {MIN_CAPACITY}-{MAX_CAPACITY} people, "
                                 f"not {self.capacity}")
        if not self.facilitator.strip() or len(self.facilitator) > MAX_NAME:
            raise InvalidSession(f"facilitator: 1-{MAX_NAME} characters (a name or an e-mail)")


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidSession(f"time zone: {name!r} is not a time zone name such as "
                             "Europe/Stockholm") from None


def parse_start(text: str, time_zone: str) -> datetime:
    """A session's start from ISO 8601 text, read in ``time_zone`` unless it has an offset.

    Refuses a local time that does not exist (clocks went forward) or is
    ambiguous (clocks went back) in that zone, and an offset that is not the
    zone's at that moment.
    """
    zone = _zone(time_zone)
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidSession(f"start: {text!r} is not a date and time such as "
                             "2027-01-14T09:00") from None
    if parsed.tzinfo is not None:
        local = parsed.astimezone(zone)
        if local.utcoffset() != parsed.utcoffset():
            raise InvalidSession(f"start: {text} has offset {_offset(parsed)}, but "
                                 f"{time_zone} is at {_offset(local)} then")
        return local
    earlier, later = parsed.replace(tzinfo=zone, fold=0), parsed.replace(tzinfo=zone, fold=1)
    # A time in the spring gap comes back as another wall time; one in the autumn
    # overlap comes back as itself with either offset.
    if earlier.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) != parsed:
        raise InvalidSession(f"start: {text} does not exist in {time_zone} (clocks go "
                             "forward); choose another time")
    if earlier.utcoffset() != later.utcoffset():
        raise InvalidSession(f"start: {text} happens twice in {time_zone} (clocks go back); "
                             f"give the offset, e.g. {text}{_offset(earlier)}")
    return earlier


def _offset(moment: datetime) -> str:
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidProgram(f"{what}: {text!r} is not a date such as 2027-03-31") from None
