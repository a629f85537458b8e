"""Typed read models: what each role may see, as values.

The application decides what goes into each model (a placement, a token, the
results a visibility rule allows); only ``signalling.views`` turns them into
wire payloads. Every model here is a frozen value; ``placement`` is the one
pure projection that needs no store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from breakout import Meeting
from breakout.rooms import breakout_parts
from exercises.state import Member, PassState, Phase
from exercises.text import Text


class PlacementKind(StrEnum):
    MAIN = "main"
    BREAKOUT = "breakout"
    NONE = "none"  # the pass has ended


@dataclass(frozen=True, slots=True)
class MemberRef:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a participant belongs now: room, group and exercise position."""

    kind: PlacementKind
    room: str | None
    members: tuple[MemberRef, ...] = ()
    group: int | None = None  # 0-based; views show it 1-based
    position: int | None = None
    reasons: tuple[str, ...] = ()


def display_name(state: PassState, person_id: str) -> str:
    member = state.roster.get(person_id)
    return member.name if member is not None else person_id


def group_number(room: str | None) -> int | None:
    """The number the breakout board shows for ``room`` (None: not a breakout room).

    It is part of the room's name and stays when the group's room is
    re-created, so a request or alert keeps naming the same group.
    """
    parts = breakout_parts(room) if room else None
    return parts[1] if parts else None


def placement(state: PassState, person_id: str) -> Placement:
    """Where ``person_id`` belongs in ``state`` (pure)."""
    if state.phase is Phase.ENDED:
        return Placement(PlacementKind.NONE, None)
    b = state.breakout
    found = b.group_of(person_id) if b is not None else None
    if found is None:
        return Placement(PlacementKind.MAIN, state.main_room)
    index, group = found
    members = tuple(MemberRef(m, display_name(state, m)) for m in group.members)
    return Placement(PlacementKind.BREAKOUT, group.room, members, index,
                     group.members.index(person_id), tuple(group.reasons))


@dataclass(frozen=True, slots=True)
class Assignment:
    """A participant's placement with a fresh token for exactly that room."""

    pass_id: str
    person_id: str
    placement: Placement
    version: int
    url: str
    token: str | None = None
    expires_at: float | None = None


@dataclass(frozen=True, slots=True)
class RoomAccess:
    """A facilitator's token for one room of their pass."""

    room: str
    token: str
    url: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class PassView:
    """The shared view of a pass: the same for every participant."""

    state: PassState
    server_now: float


def same_shared_view(a: PassState, b: PassState) -> bool:
    """Whether ``a`` and ``b`` show participants the same ``PassView``: they differ at
    most in their version, roster and who is present, none of which it shows (its
    test holds ``signalling.views`` to that)."""
    return replace(a, version=b.version, roster=b.roster, present=b.present) == b


@dataclass(frozen=True, slots=True)
class FacilitatorView:
    """The shared view plus roster, presence, the breakout board and live results."""

    state: PassState
    server_now: float
    presence: Mapping[str, str] = field(default_factory=dict)
    qualities: Mapping[str, str] = field(default_factory=dict)
    results: Mapping[str, Any] | None = None
    # Invited or enrolled people, joined or not: who is still missing shows.
    expected: Mapping[str, Member] = field(default_factory=dict)
    # Help requests of the pass, open and done, oldest first (they survive a reload).
    helps: tuple[HelpRequest, ...] = ()
    # Recent alerts about this pass or the services (only in a snapshot; live
    # ones come as they happen). None: not included.
    alerts: tuple[Alert, ...] | None = None
    # Once the pass has ended: each answered step's results, as a summary.
    summary: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One line of a person's private journal (a check-in, commitment or follow-up)."""

    kind: str
    pass_id: str
    program: str
    class_title: Text
    step_id: str
    value: Mapping[str, Any]
    at: float


@dataclass(frozen=True, slots=True)
class MyAnswer:
    client_id: str
    value: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ParticipantSnapshot:
    """Everything one participant needs on (re)connect.

    ``follow_up`` is only meaningful when ``in_follow_up`` (the current step
    is a follow-up): then it is the person's last commitment, or None.
    """

    view: PassView
    assignment: Assignment
    me: MemberRef
    answer: MyAnswer | None = None
    in_follow_up: bool = False
    follow_up: JournalEntry | None = None
    # The current step's answers, when they are plenary (everyone sees them).
    results: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class PlenaryResults:
    """The answers of a plenary step so far, without names, for everyone in the pass."""

    pass_id: str
    results: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CueNotice:
    """A cue shown in rooms (none listed: every room): time up, turn warning,
    switch roles, recall, time extended, the facilitator dropping in."""

    pass_id: str
    kind: str
    text: Text
    rooms: tuple[str, ...]
    turn: int | None
    version: int
    server_now: float
    params: Mapping[str, int] = field(default_factory=dict)


class AlertCode(StrEnum):
    """What an alert is about. Pages show each in their own words (``alert.CODE`` in
    Swedish and English), filled from the alert's ``detail``; never its ``message``,
    which is for logs and the ops stream."""

    PARTICIPANT_ALONE = "participant_alone"  # person_id, room
    PARTICIPANT_STUCK = "participant_stuck"  # person_id
    ROOM_NOT_ASSIGNED = "room_not_assigned"  # person_id, room
    RECORDING_ATTEMPT = "recording_attempt"  # room, reason (a roomevents.RecordingSign)
    LIVEKIT_UNREACHABLE = "livekit_unreachable"
    LIVEKIT_RECOVERED = "livekit_recovered"  # seconds
    ROOMS_RESTORED = "rooms_restored"  # rooms
    REDIS_UNREACHABLE = "redis_unreachable"
    REDIS_RECOVERED = "redis_recovered"  # seconds


@dataclass(frozen=True, slots=True)
class Alert:
    """An entry of the alert stream; ``detail`` holds e.g. ``pass_id`` and ``room``."""

    id: str
    code: str
    message: str
    at: str
    detail: Mapping[str, str] = field(default_factory=dict)

    @property
    def pass_id(self) -> str | None:
        return self.detail.get("pass_id") or None


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """A participant's call for help, kept per pass until a facilitator marks it done.

    ``group`` is the number the breakout board shows (None: the main room),
    so the request still names "Grupp 2" after the group's room is re-created.
    """

    pass_id: str
    person_id: str
    name: str
    room: str | None
    text: str
    at: float
    id: str = ""
    group: int | None = None
    done: bool = False


@dataclass(frozen=True, slots=True)
class FollowUpNotice:
    """A participant's own last commitment, sent privately when a follow-up begins."""

    pass_id: str
    person_id: str
    step_id: str
    commitment: JournalEntry | None


class ServiceCode(StrEnum):
    """What a ``ServiceNotice`` says. Pages show each in their own words
    (``service.CODE`` in Swedish and English), saying what happens next."""

    RESTARTING = "restarting"  # this server is going away: the page reconnects elsewhere
    STORE_DOWN = "store_down"  # answers cannot be saved now: the page keeps trying
    STORE_UP = "store_up"  # they can again
    MEDIA_DOWN = "media_down"  # video and sound are away: the page reconnects to them
    MEDIA_UP = "media_up"  # they are back


@dataclass(frozen=True, slots=True)
class ServiceNotice:
    """What the people on this worker should know about the service itself, as a code
    the pages translate (``ServiceCode``)."""

    code: ServiceCode
    at: float
    retry_after: float | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """One dependency's health: whether it answered, and how fast."""

    ok: bool
    latency_ms: float | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RoomLoad:
    name: str
    participants: int | None  # None when LiveKit did not say


@dataclass(frozen=True, slots=True)
class PassSummary:
    pass_id: str
    phase: Phase
    step_index: int
    title: Text
    present: int
    rooms: tuple[RoomLoad, ...]


@dataclass(frozen=True, slots=True)
class OpsOverview:
    """What ops sees: every running pass with its rooms, health and alerts."""

    passes: tuple[PassSummary, ...]
    health: Mapping[str, Check]
    alerts: tuple[Alert, ...]
    server_now: float


@dataclass(frozen=True, slots=True)
class PassRecord:
    """One pass a person is on the roster of, for an export."""

    pass_id: str
    program: str
    class_title: Text
    roster_entry: Member  # as stored in that pass


@dataclass(frozen=True, slots=True)
class PersonExport:
    """Everything onlive holds about one person."""

    person: Member | None
    passes: tuple[PassRecord, ...]
    answers: Mapping[str, Any]  # "pass/step" -> the stored answer record
    journal: tuple[JournalEntry, ...]
    pairing_history: Mapping[str, tuple[Meeting, ...]]  # program -> meetings
    # pass -> their LiveKit connection quality as last reported there
    quality: Mapping[str, str] = field(default_factory=dict)
