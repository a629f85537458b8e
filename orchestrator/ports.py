"""The application's ports: what it needs from the world, as protocols.

The pass service and its neighbours depend only on these. Adapters implement
them: ``orchestrator.adapters.redis_store.RedisStore`` (live state in Redis),
``orchestrator.adapters.livekit.LiveKitSfu`` (rooms and tokens) and
``signalling.notifier.SocketNotifier`` (Socket.IO). Fast service tests use
small fakes at these seams; integration tests use the real adapters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from breakout import Meeting
from exercises.effects import Effect
from exercises.gym.attendance import PresenceLog
from exercises.state import Member, PassState
from orchestrator.readmodels import (
    Alert,
    AlertCode,
    Assignment,
    CueNotice,
    FacilitatorView,
    FollowUpNotice,
    HelpRequest,
    JournalEntry,
    PassView,
    PlenaryResults,
    ServiceNotice,
)


@dataclass(frozen=True, slots=True)
class Applied:
    """The outcome of one reduced event, as stored."""

    before: PassState
    after: PassState
    effects: list[Effect]

    @property
    def changed(self) -> bool:
        return self.after is not self.before


@dataclass(frozen=True, slots=True)
class Admission:
    """What letting a participant in reads (``Store.admission``), all at once."""

    revoked: bool  # one of the credential's revocation keys is revoked
    state: PassState | None  # None: no such pass (or, when revoked, not read)
    member: Member | None  # None: no such person


@dataclass(frozen=True, slots=True)
class RoomInfo:
    name: str
    participants: int
    max_participants: int
    active_recording: bool


@dataclass(frozen=True, slots=True)
class RoomEvent:
    """One verified LiveKit webhook, in the application's terms.

    ``recording`` is set when the participant is of a recording kind (egress,
    agent) or holds a recorder or agent permission; ``kind_name`` names that
    participant kind for the alarm's text.
    """

    event: str  # LiveKit's event name: participant_joined, egress_started, …
    room: str = ""
    identity: str = ""
    recording: bool = False
    kind_name: str = ""
    active_recording: bool = False
    egress_id: str = ""
    event_id: str = ""  # LiveKit's unique id of the webhook (a replay repeats it)
    created_at: float = 0.0  # when LiveKit sent it, epoch seconds


Step = Callable[[PassState], tuple[PassState, list[Effect]]]


class Store(Protocol):
    """Live state of running passes (Redis in production)."""

    # pass snapshots, under optimistic concurrency
    async def create_pass(self, state: PassState) -> None: ...
    async def load(self, pass_id: str) -> PassState: ...
    async def update(self, pass_id: str, step: Step, *, audit: dict[str, Any] | None = None,
                     attending: tuple[str, float] | None = None) -> Applied:
        """Apply ``step`` to the stored state and store the result (optimistically:
        retried on a lost race); ``audit`` is kept with it; ``attending`` (person,
        at) opens that person's attendance stay in the same write (``mark_joined``).
        When the pass's next deadline (``exercises.reducer.next_deadline``) moves,
        the deadline index is set in the same write."""
        ...
    async def live_passes(self) -> list[str]: ...
    async def retire_pass(self, pass_id: str) -> None: ...
    async def expire_pass(self, pass_id: str, seconds: int) -> int:
        """Every live key of an ended (and archived) pass expires; how many keys."""
        ...
    async def pass_ids(self) -> list[str]: ...
    async def ping(self) -> None: ...

    # timers and leases
    async def set_deadline(self, pass_id: str, at: float | None) -> None: ...
    async def settle_deadline(self, pass_id: str) -> None:
        """The deadline index set to what the stored pass has due next, as one step."""
        ...
    async def due(self, now: float) -> list[str]: ...
    async def next_deadline(self) -> float | None: ...
    async def deadline_of(self, pass_id: str) -> float | None: ...
    async def acquire_lease(self, pass_id: str, worker: str, ttl_ms: int) -> bool: ...
    async def release_lease(self, pass_id: str, worker: str) -> None: ...

    # answers: one record per person and step, ``{"cid", "value", "at"}``
    async def store_answer(self, pass_id: str, step_id: str, person_id: str, client_id: str,
                           value: dict[str, Any], at: float) -> bool: ...
    async def answers(self, pass_id: str, step_id: str) -> dict[str, dict[str, Any]]: ...
    async def answer_of(self, pass_id: str, step_id: str,
                        person_id: str) -> dict[str, Any] | None: ...

    # presence and connection quality (LiveKit identity -> room)
    async def set_presence(self, pass_id: str, identity: str, room: str | None) -> None: ...
    async def leave_presence(self, pass_id: str, identity: str, room: str) -> bool: ...
    async def presence(self, pass_id: str) -> dict[str, str]: ...
    async def set_quality(self, pass_id: str, person_id: str, level: str) -> None: ...
    async def qualities(self, pass_id: str) -> dict[str, str]: ...

    # attendance: each person's presence log beside presence (O(1) per join or leave),
    # and who is expected (invited, or enrolled in the session)
    async def mark_joined(self, pass_id: str, person_id: str, at: float) -> None: ...
    async def mark_left(self, pass_id: str, person_id: str, at: float) -> None: ...
    async def close_presence(self, pass_id: str,
                             at: float) -> tuple[float, dict[str, PresenceLog]]:
        """The pass ended: later marks are ignored. Returns when it ended (the first
        call's ``at``, for every later call too) and everyone's log."""
        ...

    async def expect(self, pass_id: str, members: list[Member]) -> None: ...
    async def unexpect(self, pass_id: str, person_id: str) -> None: ...
    async def expected(self, pass_id: str) -> dict[str, Member]: ...

    # people, their journal and the pairing history
    async def save_person(self, member: Member) -> None: ...
    async def person(self, person_id: str) -> Member: ...
    async def journal_put(self, person_id: str, key: str, entry: JournalEntry) -> None: ...
    async def journal(self, person_id: str) -> list[JournalEntry]: ...
    async def append_history(self, program: str, meetings: list[Meeting]) -> None: ...
    async def history(self, program: str) -> list[Meeting]: ...

    # one person's data (GDPR)
    async def answers_of_person(self, person_id: str) -> dict[str, Any]: ...
    async def histories_with(self, person_id: str) -> dict[str, list[Meeting]]: ...
    async def erase_person_records(self, person_id: str) -> int: ...
    async def forget_mentions(self, needles: list[str]) -> int:
        """Delete every alert and audit entry that mentions one of ``needles``."""
        ...

    # revocation: a key (``cred:ID``, ``holder:DIGEST``) is refused until ``until``
    async def revoke(self, key: str, until: float) -> None: ...
    async def revoked(self, keys: list[str]) -> bool: ...

    async def admission(self, pass_id: str, person_id: str,
                        revocation_keys: list[str]) -> Admission:
        """Whether one of ``revocation_keys`` is revoked, the pass and the person, read
        together: one round trip for a participant's connection."""
        ...

    # short-lived secrets (sign-on flows and sessions); ``take_secret`` reads and deletes
    async def put_secret(self, key: str, value: dict[str, str], ttl_s: float) -> None: ...
    async def get_secret(self, key: str) -> dict[str, str] | None: ...
    async def take_secret(self, key: str) -> dict[str, str] | None: ...
    async def secrets_under(self, prefix: str) -> dict[str, dict[str, str]]:
        """Every unexpired secret whose key starts with ``prefix`` (``kind:``), by key."""
        ...

    # help requests of a pass (kept until the pass's keys go)
    async def put_help(self, request: HelpRequest) -> None: ...
    async def helps(self, pass_id: str) -> list[HelpRequest]: ...

    # alerts and audit
    async def alert(self, code: AlertCode, message: str, **detail: str) -> Alert: ...
    async def recent_alerts(self, count: int = 50) -> list[Alert]: ...
    async def audit(self, action: str, **detail: str) -> None: ...
    async def once(self, key: str, ttl_ms: int) -> bool:
        """True for the first caller of ``key`` within ``ttl_ms`` across all workers
        (one alert per outage, however many workers notice it)."""
        ...

    # replay protection: True the first time ``key`` is seen within ``ttl`` seconds
    async def first_sighting(self, key: str, ttl: int) -> bool: ...


class Archive(Protocol):
    """Where a finished pass goes before its live keys expire (PostgreSQL).

    ``archive_pass`` must be idempotent: a retry, or a second worker, never
    stores anything twice.
    """

    async def archive_pass(self, state: PassState) -> None: ...


class Sfu(Protocol):
    """The media server (LiveKit): rooms, participants and join tokens."""

    ws_url: str

    def mint(self, *, identity: str, name: str, room: str, ttl: int, publish: bool = True,
             hidden: bool = False) -> str: ...
    async def create_room(self, name: str, max_participants: int) -> None: ...
    async def delete_room(self, name: str) -> None: ...
    async def remove_participant(self, room: str, identity: str) -> None: ...
    async def rooms(self, names: list[str] | None = None) -> list[RoomInfo]: ...
    async def ping(self) -> None: ...
    def parse_webhook(self, body: str, authorization: str) -> RoomEvent | None:
        """The verified event; ``AuthError`` when the signature does not hold; None,
        unverified, for a kind of event onlive never acts on, whatever it says."""
        ...


class Notifier(Protocol):
    """Where the application's read models go (Socket.IO in production)."""

    def batch(self) -> AbstractContextManager[None]:
        """Within it, what is sent to the same client may be held and sent together
        when it ends (a command's cue, then its new state), in the same order."""
        ...

    async def state(self, view: PassView) -> None: ...
    async def facilitator(self, view: FacilitatorView) -> None: ...
    async def assignment(self, assignment: Assignment) -> None: ...
    async def assignments(self, assignments: Sequence[Assignment]) -> None:
        """Many people's assignments at once (a breakout round): one round trip for all."""
        ...
    async def cue(self, cue: CueNotice) -> None: ...
    async def alert(self, alert: Alert) -> None: ...
    async def help(self, request: HelpRequest) -> None: ...
    async def results(self, shared: PlenaryResults) -> None: ...
    async def follow_up(self, notice: FollowUpNotice) -> None: ...
    async def service(self, notice: ServiceNotice) -> None:
        """Tell every participant, facilitator and ops page of this worker."""
        ...

    async def drop(self, holders: list[str]) -> None:
        """Disconnect at once, on every worker, each socket holding one of ``holders``
        (``orchestrator.access.Access.holders``)."""
        ...
