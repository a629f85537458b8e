"""The state of one pass, as an immutable value.

Lifecycle: ``LOBBY`` -> ``RUNNING`` (through the steps) -> ``ENDED``.
Inside a breakout step the rooms go ``closed`` -> ``open`` -> ``recalling``
-> ``closed``; that sub-state is derived from ``breakout`` and is never
stored twice. Every deadline is an absolute time (epoch seconds); while the
pass is paused, ``paused_at`` freezes all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from breakout import Person
from exercises.errors import InvalidMember
from exercises.script import ClassScript, Step


class Phase(StrEnum):
    LOBBY = "lobby"
    RUNNING = "running"
    ENDED = "ended"


class RoomsState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    RECALLING = "recalling"


@dataclass(frozen=True, slots=True)
class Member:
    """A participant, with only what grouping and the roster need."""

    id: str
    name: str
    department: str = ""
    site: str = ""
    manager_id: str | None = None
    level: int = 0

    def __post_init__(self) -> None:
        # Refused here, where data enters, rather than in the pairing engine
        # when a breakout opens or a timer regroups someone.
        if self.manager_id is not None and self.manager_id == self.id:
            raise InvalidMember(f"participant {self.id!r}: manager_id names the participant "
                                "themself; leave manager_id empty or give their manager's id")

    def as_person(self) -> Person:
        """What the pairing engine needs to know of this member."""
        return Person(self.id, self.department, self.site, self.manager_id, self.level)


@dataclass(frozen=True, slots=True)
class Group:
    room: str
    members: tuple[str, ...]
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Breakout:
    """One round of breakout rooms."""

    round_no: int
    step_id: str
    groups: tuple[Group, ...]
    opened_at: float
    deadline: float
    turn: int = 0
    turn_deadline: float | None = None
    turn_warned: bool = False
    recall_deadline: float | None = None
    # Who dropped out of an open room, and when they are regrouped unless back.
    leaving: Mapping[str, float] = field(default_factory=dict)

    def group_of(self, person_id: str) -> tuple[int, Group] | None:
        for i, group in enumerate(self.groups):
            if person_id in group.members:
                return i, group
        return None

    @property
    def rooms(self) -> tuple[str, ...]:
        return tuple(g.room for g in self.groups)


@dataclass(frozen=True, slots=True)
class Message:
    """A facilitator's message; ``rooms`` empty: every room of the pass, those
    of the round open now and any it opens later (moves, late joiners)."""

    text: str
    at: float
    rooms: tuple[str, ...]


class _MadeFrom:
    """A value made from another by one known change (a join, a leave), which it can
    name against that one only: the store then writes that change without
    comparing a thousand entries. It knows the value it was made from by that
    value's token, not a reference (a chain would keep every earlier one alive);
    like the state holding it, it is never changed after it is made."""

    __slots__ = ()
    _token: object
    _base: object | None

    def _made_from(self, base: object) -> bool:
        return self._base is not None and self._base is getattr(base, "_token", None)


class PassRoster(_MadeFrom, dict[str, Member]):
    """A pass's roster, made from another by setting one member (``with_member``)."""

    __slots__ = ("_token", "_base", "_set")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token = object()
        self._base = None
        self._set: str | None = None

    @classmethod
    def with_member(cls, roster: Mapping[str, Member], member: Member) -> PassRoster:
        """``roster`` with ``member`` added or replaced."""
        new = cls(roster)
        new[member.id] = member
        new._base = getattr(roster, "_token", None)
        new._set = member.id
        return new

    def set_since(self, base: Mapping[str, Member]) -> tuple[str, ...] | None:
        """The people set since ``base`` when this roster was made from it by
        ``with_member``; None when that is not known (then compare them)."""
        return (self._set,) if self._set is not None and self._made_from(base) else None

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self),))  # a copy is a plain roster: what it was made from is not


class PassPresent(_MadeFrom, frozenset[str]):
    """Who is present, made from who was by one arrival or departure (``moved``)."""

    __slots__ = ("_token", "_base", "_came", "_went")

    _came: tuple[str, ...]
    _went: tuple[str, ...]

    def __new__(cls, people: Iterable[str] = ()) -> PassPresent:
        new = super().__new__(cls, people)
        new._token = object()
        new._base = None
        new._came = new._went = ()
        return new

    @classmethod
    def moved(cls, present: frozenset[str], person: str, *, here: bool) -> PassPresent:
        """``present`` with ``person`` arrived (``here``) or gone."""
        new = cls(present | {person} if here else present - {person})
        new._base = getattr(present, "_token", None)
        changed = () if (person in present) == here else (person,)
        new._came, new._went = (changed, ()) if here else ((), changed)
        return new

    def moved_since(self, base: frozenset[str]) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """Who came and who went since ``base`` when this was made from it by
        ``moved``; None when that is not known (then compare them)."""
        return (self._came, self._went) if self._made_from(base) else None

    def __reduce__(self) -> tuple[Any, ...]:
        return (frozenset, (frozenset(self),))


@dataclass(frozen=True, slots=True)
class PassState:
    id: str
    program: str
    script: ClassScript
    main_room: str
    version: int = 0
    phase: Phase = Phase.LOBBY
    step_index: int = -1
    deadline: float | None = None  # the current step's timer
    time_up: bool = False
    paused_at: float | None = None
    roster: Mapping[str, Member] = field(default_factory=dict)
    present: frozenset[str] = frozenset()
    breakout: Breakout | None = None
    rounds: int = 0
    message: Message | None = None
    # The breakout step whose rooms were open and are closed again: pages say
    # "back from the rooms", not "waiting for the rooms to open".
    recalled_step: str | None = None

    @property
    def step(self) -> Step | None:
        if self.phase is not Phase.RUNNING:
            return None
        return self.script.steps[self.step_index]

    @property
    def rooms_state(self) -> RoomsState:
        if self.breakout is None:
            return RoomsState.CLOSED
        if self.breakout.recall_deadline is not None:
            return RoomsState.RECALLING
        return RoomsState.OPEN

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def describe(self) -> str:
        """The current state in words, for error messages."""
        if self.phase is not Phase.RUNNING:
            return self.phase.value
        step = self.script.steps[self.step_index]
        parts = [f"running step {self.step_index + 1}/{len(self.script.steps)} "
                 f"'{step.id}' ({step.kind.value})"]
        if self.breakout is not None:
            parts.append(f"breakout rooms {self.rooms_state.value}")
        if self.paused:
            parts.append("paused")
        return ", ".join(parts)

    def deadlines(self) -> tuple[float, ...]:
        """Every pending deadline (frozen while paused)."""
        found = [d for d in (self.deadline,) if d is not None and not self.time_up]
        if self.breakout is not None:
            b = self.breakout
            if b.recall_deadline is not None:
                found.append(b.recall_deadline)
            else:
                found.append(b.deadline)
                if b.turn_deadline is not None:
                    found.append(b.turn_deadline)
                found.extend(b.leaving.values())
        return tuple(found)
