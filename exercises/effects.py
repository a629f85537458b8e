"""What the reducer asks the shell to do, as values.

The service executes them in order after the new state is stored; a failed
effect is logged with the pass id and never rolls the state back (the next
tick or reconnect repairs what it can).
"""

from __future__ import annotations

from dataclasses import dataclass

from exercises.text import Text


@dataclass(frozen=True, slots=True)
class RoomSpec:
    name: str
    max_participants: int


@dataclass(frozen=True, slots=True)
class CreateRooms:
    rooms: tuple[RoomSpec, ...]


@dataclass(frozen=True, slots=True)
class CloseRooms:
    """Remove everyone from these rooms, then delete them."""

    rooms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemoveFromRoom:
    room: str
    person_id: str


@dataclass(frozen=True, slots=True)
class SendAssignments:
    """Send these participants their personal room assignment (fresh token)."""

    person_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Cue:
    """A cue shown in rooms: time up, turn warning, switch roles, recall, time extended.

    ``rooms`` empty: every room of the pass. Pages show the catalogue text of
    ``kind`` (with ``params``); ``text`` is the same in words, for logs and
    clients without the catalogue.
    """

    kind: str
    text: Text
    rooms: tuple[str, ...]
    turn: int | None = None
    #: Figures for the page's catalogue text of this kind (``{"minutes": 1}``).
    params: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class ScheduleTimer:
    """The pass's next deadline changed (None: nothing pending)."""

    at: float | None


Effect = CreateRooms | CloseRooms | RemoveFromRoom | SendAssignments | Cue | ScheduleTimer
