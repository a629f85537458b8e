"""Everything that can happen to a pass, as values.

Facilitator commands, participant presence and the clock all arrive here as
events; ``exercises.reducer.reduce`` is the only place that interprets them.
"""

from __future__ import annotations

from dataclasses import dataclass

from breakout import Meeting
from exercises.script import Step
from exercises.state import Member

#: Longest text a facilitator can broadcast to the rooms.
MAX_BROADCAST_CHARS = 500
#: Longest single extension of a timer.
MAX_EXTEND_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Start:
    pass


@dataclass(frozen=True, slots=True)
class Next:
    pass


@dataclass(frozen=True, slots=True)
class Back:
    pass


@dataclass(frozen=True, slots=True)
class Pause:
    pass


@dataclass(frozen=True, slots=True)
class Resume:
    pass


@dataclass(frozen=True, slots=True)
class Extend:
    seconds: int


@dataclass(frozen=True, slots=True)
class OpenBreakouts:
    """Open the current breakout step's rooms.

    ``groups`` are the groups decided by the pairing engine (member ids and
    reason codes); the service computes them from the program's history.
    """

    groups: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class Broadcast:
    text: str


@dataclass(frozen=True, slots=True)
class Recall:
    countdown: int = 30


@dataclass(frozen=True, slots=True)
class MovePerson:
    """Move one participant to another group (or a new one when ``to_group`` is None)."""

    person_id: str
    to_group: int | None


@dataclass(frozen=True, slots=True)
class SwapPeople:
    """Swap two participants of different groups: both groups keep their size."""

    first: str
    second: str


@dataclass(frozen=True, slots=True)
class End:
    pass


@dataclass(frozen=True, slots=True)
class Placement:
    """The pairing engine's whole plan for a late joiner, as plain values.

    ``groups`` are the open groups after the change (members and reason
    codes): the open ones in their order, then any new ones. ``moves`` are
    ``(person_id, from_group, to_group)``: ``from_group`` indexes the open
    groups (None: not in a group), ``to_group`` indexes ``groups``.
    """

    groups: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
    moves: tuple[tuple[str, int | None, int], ...]


@dataclass(frozen=True, slots=True)
class Join:
    """A participant connected (or reconnected).

    A late joiner comes with the pairing engine's ``placement`` (others may
    move, a group may be formed), or with ``late_group``, the open group
    they join alone; with neither, or a plan that no longer fits the open
    groups, they wait in the main room.
    """

    member: Member
    late_group: int | None = None
    placement: Placement | None = None


@dataclass(frozen=True, slots=True)
class Leave:
    person_id: str


@dataclass(frozen=True, slots=True)
class Tick:
    """The clock: fire whatever is due at ``now``.

    ``meetings`` is the program's pairing history, given when someone's
    grace period in an open breakout ends, so their group is regrouped
    away from earlier partners like the first grouping was.
    """

    meetings: tuple[Meeting, ...] = ()


@dataclass(frozen=True, slots=True)
class EditStep:
    """Replace a step (same id) before the pass starts.

    The shell builds the new step with ``exercises.classfile.edit_step`` so an
    edit is checked exactly like a class file.
    """

    step: Step


FacilitatorCommand = (Start | Next | Back | Pause | Resume | Extend | OpenBreakouts
                      | Broadcast | Recall | MovePerson | SwapPeople | End | EditStep)
Event = FacilitatorCommand | Join | Leave | Tick
