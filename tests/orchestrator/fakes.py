"""Small in-memory fakes at the application's ports, for fast service tests.

They keep what the real adapters keep, in dicts, and record what was asked
of them; states round-trip through the same plain form the Redis adapter
stores, so a value that cannot be stored fails here too. Integration tests
use the real Redis, LiveKit and Socket.IO instead.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from breakout import Meeting
from exercises.gym.attendance import PresenceLog, joined, left
from exercises.reducer import next_deadline
from exercises.state import Member, PassState
from orchestrator.codec import from_plain, to_plain
from orchestrator.errors import AuthError, Conflict, NotFound
from orchestrator.ports import Admission, Applied, RoomEvent, RoomInfo, Step
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


def _copy(state: PassState) -> PassState:
    copied: PassState = from_plain(PassState, to_plain(state))
    return copied


class FakeClock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MemoryStore:
    """``ports.Store`` in memory."""

    def __init__(self) -> None:
        self.passes: dict[str, PassState] = {}
        self.live: set[str] = set()
        self.deadlines: dict[str, float] = {}
        self.leases: dict[str, str] = {}
        self.onces: set[str] = set()
        self.expiring: dict[str, int] = {}
        self.answer_records: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
        self.presence_of: dict[str, dict[str, str]] = defaultdict(dict)
        self.quality_of: dict[str, dict[str, str]] = defaultdict(dict)
        self.presence_logs: dict[str, dict[str, PresenceLog]] = defaultdict(dict)
        self.ended: dict[str, float] = {}
        self.expected_of: dict[str, dict[str, Member]] = defaultdict(dict)
        self.people: dict[str, Member] = {}
        self.journals: dict[str, dict[str, JournalEntry]] = defaultdict(dict)
        self.histories: dict[str, list[Meeting]] = defaultdict(list)
        self.alerts: list[Alert] = []
        self.help_requests: dict[str, dict[str, HelpRequest]] = defaultdict(dict)
        self.audits: list[dict[str, str]] = []
        self.seen: set[str] = set()
        self.pass_audits: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.revocations: dict[str, float] = {}
        self.secrets: dict[str, dict[str, str]] = {}
        self._ids = itertools.count(1)

    async def create_pass(self, state: PassState) -> None:
        if state.id in self.passes:
            raise Conflict(f"pass {state.id!r} exists already", code="exists")
        self.passes[state.id] = _copy(state)
        self.live.add(state.id)

    async def load(self, pass_id: str) -> PassState:
        if pass_id not in self.passes:
            raise NotFound(f"no pass {pass_id!r}", code="unknown_pass")
        return _copy(self.passes[pass_id])

    async def update(self, pass_id: str, step: Step, *, audit: dict[str, Any] | None = None,
                     attending: tuple[str, float] | None = None) -> Applied:
        before = await self.load(pass_id)
        after, effects = step(before)
        if attending is not None:
            await self.mark_joined(pass_id, *attending)
        if after is before:
            return Applied(before, before, effects)
        self.passes[pass_id] = _copy(after)
        if next_deadline(after) != next_deadline(before):  # in the same write, as Redis
            await self.set_deadline(pass_id, next_deadline(after))
        if audit is not None:
            self.pass_audits[pass_id].append({"version": after.version, **audit})
        return Applied(before, after, effects)

    async def live_passes(self) -> list[str]:
        return sorted(self.live)

    async def retire_pass(self, pass_id: str) -> None:
        self.live.discard(pass_id)

    async def expire_pass(self, pass_id: str, seconds: int) -> int:
        self.expiring[pass_id] = seconds
        self.live.discard(pass_id)
        self.deadlines.pop(pass_id, None)
        return 1 if pass_id in self.passes else 0

    async def pass_ids(self) -> list[str]:
        return sorted(self.passes)

    async def ping(self) -> None:
        return None

    async def set_deadline(self, pass_id: str, at: float | None) -> None:
        if at is None:
            self.deadlines.pop(pass_id, None)
        else:
            self.deadlines[pass_id] = at

    async def settle_deadline(self, pass_id: str) -> None:
        await self.set_deadline(pass_id, next_deadline(self.passes[pass_id])
                                if pass_id in self.passes else None)

    async def due(self, now: float) -> list[str]:
        return sorted(p for p, at in self.deadlines.items() if at <= now)

    async def next_deadline(self) -> float | None:
        return min(self.deadlines.values(), default=None)

    async def deadline_of(self, pass_id: str) -> float | None:
        return self.deadlines.get(pass_id)

    async def acquire_lease(self, pass_id: str, worker: str, ttl_ms: int) -> bool:
        holder = self.leases.setdefault(pass_id, worker)
        return holder == worker

    async def release_lease(self, pass_id: str, worker: str) -> None:
        if self.leases.get(pass_id) == worker:
            del self.leases[pass_id]

    async def once(self, key: str, ttl_ms: int) -> bool:
        if key in self.onces:
            return False
        self.onces.add(key)
        return True

    async def store_answer(self, pass_id: str, step_id: str, person_id: str, client_id: str,
                           value: dict[str, Any], at: float) -> bool:
        records = self.answer_records[(pass_id, step_id)]
        old = records.get(person_id)
        if old is not None and old["cid"] == client_id:
            return False
        records[person_id] = {"cid": client_id, "value": value, "at": at}
        return True

    async def answers(self, pass_id: str, step_id: str) -> dict[str, dict[str, Any]]:
        return dict(self.answer_records[(pass_id, step_id)])

    async def answer_of(self, pass_id: str, step_id: str,
                        person_id: str) -> dict[str, Any] | None:
        return self.answer_records[(pass_id, step_id)].get(person_id)

    async def set_presence(self, pass_id: str, identity: str, room: str | None) -> None:
        if room is None:
            self.presence_of[pass_id].pop(identity, None)
        else:
            self.presence_of[pass_id][identity] = room

    async def leave_presence(self, pass_id: str, identity: str, room: str) -> bool:
        if self.presence_of[pass_id].get(identity) == room:
            del self.presence_of[pass_id][identity]
            return True
        return False

    async def presence(self, pass_id: str) -> dict[str, str]:
        return dict(self.presence_of[pass_id])

    async def set_quality(self, pass_id: str, person_id: str, level: str) -> None:
        self.quality_of[pass_id][person_id] = level

    async def qualities(self, pass_id: str) -> dict[str, str]:
        return dict(self.quality_of[pass_id])

    async def mark_joined(self, pass_id: str, person_id: str, at: float) -> None:
        if pass_id not in self.ended:
            logs = self.presence_logs[pass_id]
            logs[person_id] = joined(logs.get(person_id, PresenceLog()), at)

    async def mark_left(self, pass_id: str, person_id: str, at: float) -> None:
        logs = self.presence_logs[pass_id]
        if pass_id not in self.ended and person_id in logs:
            logs[person_id] = left(logs[person_id], at)

    async def close_presence(self, pass_id: str,
                             at: float) -> tuple[float, dict[str, PresenceLog]]:
        ended = self.ended.setdefault(pass_id, at)
        return ended, dict(self.presence_logs[pass_id])

    async def expect(self, pass_id: str, members: list[Member]) -> None:
        self.expected_of[pass_id].update({m.id: m for m in members})

    async def unexpect(self, pass_id: str, person_id: str) -> None:
        self.expected_of[pass_id].pop(person_id, None)

    async def expected(self, pass_id: str) -> dict[str, Member]:
        return dict(self.expected_of[pass_id])

    async def save_person(self, member: Member) -> None:
        self.people[member.id] = member

    async def person(self, person_id: str) -> Member:
        if person_id not in self.people:
            raise NotFound(f"no person {person_id!r}", code="unknown_person")
        return self.people[person_id]

    async def journal_put(self, person_id: str, key: str, entry: JournalEntry) -> None:
        self.journals[person_id][key] = entry

    async def journal(self, person_id: str) -> list[JournalEntry]:
        return sorted(self.journals[person_id].values(), key=lambda e: e.at)

    async def append_history(self, program: str, meetings: list[Meeting]) -> None:
        self.histories[program].extend(meetings)

    async def history(self, program: str) -> list[Meeting]:
        return list(self.histories[program])

    async def answers_of_person(self, person_id: str) -> dict[str, Any]:
        return {f"{p}/{s}": records[person_id]
                for (p, s), records in self.answer_records.items() if person_id in records}

    async def histories_with(self, person_id: str) -> dict[str, list[Meeting]]:
        out = {program: [m for m in meetings if person_id in (m.a, m.b)]
               for program, meetings in self.histories.items()}
        return {program: meetings for program, meetings in out.items() if meetings}

    async def erase_person_records(self, person_id: str) -> int:
        removed = int(self.people.pop(person_id, None) is not None)
        removed += int(bool(self.journals.pop(person_id, None)))
        for records in self.answer_records.values():
            removed += int(records.pop(person_id, None) is not None)
        maps: list[dict[str, Any]] = [*self.presence_of.values(), *self.quality_of.values(),
                                      *self.expected_of.values(), *self.presence_logs.values()]
        for by_person in maps:
            removed += int(by_person.pop(person_id, None) is not None)
        for program, meetings in self.histories.items():
            kept = [m for m in meetings if person_id not in (m.a, m.b)]
            removed += len(meetings) - len(kept)
            self.histories[program] = kept
        return removed

    async def forget_mentions(self, needles: list[str]) -> int:
        def mentions(values: Any) -> bool:
            return any(n and n in str(v) for v in values for n in needles)
        before = len(self.alerts) + len(self.audits)
        self.alerts = [a for a in self.alerts
                       if not mentions([a.message, *a.detail.values()])]
        self.audits = [a for a in self.audits if not mentions(a.values())]
        return before - len(self.alerts) - len(self.audits)

    async def put_secret(self, key: str, value: dict[str, str], ttl_s: float) -> None:
        self.secrets[key] = dict(value)

    async def get_secret(self, key: str) -> dict[str, str] | None:
        return self.secrets.get(key)

    async def take_secret(self, key: str) -> dict[str, str] | None:
        return self.secrets.pop(key, None)

    async def secrets_under(self, prefix: str) -> dict[str, dict[str, str]]:
        return {k: dict(v) for k, v in self.secrets.items() if k.startswith(prefix)}

    async def revoke(self, key: str, until: float) -> None:
        self.revocations[key] = until

    async def revoked(self, keys: list[str]) -> bool:
        return any(k in self.revocations for k in keys)

    async def admission(self, pass_id: str, person_id: str,
                        revocation_keys: list[str]) -> Admission:
        state = _copy(self.passes[pass_id]) if pass_id in self.passes else None
        return Admission(await self.revoked(revocation_keys), state,
                         self.people.get(person_id))

    async def put_help(self, request: HelpRequest) -> None:
        self.help_requests[request.pass_id][request.id] = request

    async def helps(self, pass_id: str) -> list[HelpRequest]:
        return sorted(self.help_requests[pass_id].values(), key=lambda h: (h.at, h.id))

    async def alert(self, code: AlertCode, message: str, **detail: str) -> Alert:
        alert = Alert(str(next(self._ids)), code, message, "0", dict(detail))
        self.alerts.append(alert)
        return alert

    async def recent_alerts(self, count: int = 50) -> list[Alert]:
        return list(reversed(self.alerts))[:count]

    async def audit(self, action: str, **detail: str) -> None:
        self.audits.append({"action": action, **detail})

    async def first_sighting(self, key: str, ttl: int) -> bool:
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


@dataclass
class FakeSfu:
    """``ports.Sfu`` that records rooms and removals; tokens name their room."""

    ws_url: str = "ws://127.0.0.1:1"
    rooms_open: dict[str, int] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    removed: list[tuple[str, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    down: bool = False
    # What webhooks say they were sent at when the body does not say (a FakeClock).
    clock: Callable[[], float] | None = None
    _webhooks: int = 0

    def mint(self, *, identity: str, name: str, room: str, ttl: int, publish: bool = True,
             hidden: bool = False) -> str:
        return f"token:{room}:{identity}:{ttl}"

    async def create_room(self, name: str, max_participants: int) -> None:
        self._check()
        self.rooms_open[name] = max_participants

    async def delete_room(self, name: str) -> None:
        self.rooms_open.pop(name, None)
        self.members.pop(name, None)  # LiveKit disconnects whoever was still in it
        self.deleted.append(name)

    async def remove_participant(self, room: str, identity: str) -> None:
        self.members[room].discard(identity)
        self.removed.append((room, identity))

    async def rooms(self, names: list[str] | None = None) -> list[RoomInfo]:
        self._check()
        return [RoomInfo(n, len(self.members[n]), m, False) for n, m in self.rooms_open.items()
                if not names or n in names]

    async def ping(self) -> None:
        self._check()

    def parse_webhook(self, body: str, authorization: str) -> RoomEvent:
        if authorization != "signed":
            raise AuthError("invalid webhook signature", code="invalid_webhook")
        # "event room identity [id [created_at]]"; the id is new and the time now by default.
        event, room, identity, *rest = body.split(" ")
        self._webhooks += 1
        event_id = rest[0] if rest else f"EV_fake{self._webhooks}"
        created = float(rest[1]) if len(rest) > 1 else (self.clock() if self.clock else 0.0)
        return RoomEvent(event, room, identity, event_id=event_id, created_at=created)

    def _check(self) -> None:
        from orchestrator.errors import ServiceError

        if self.down:
            raise ServiceError("LiveKit is down (fake)")


@dataclass
class RecordingNotifier:
    """``ports.Notifier`` that keeps every read model it was given, in order."""

    sent: list[tuple[str, Any]] = field(default_factory=list)

    def batch(self) -> AbstractContextManager[None]:
        return nullcontext()

    async def state(self, view: PassView) -> None:
        self.sent.append(("state", view))

    async def facilitator(self, view: FacilitatorView) -> None:
        self.sent.append(("facilitator", view))

    async def assignment(self, assignment: Assignment) -> None:
        self.sent.append(("assignment", assignment))

    async def assignments(self, assignments: Sequence[Assignment]) -> None:
        self.sent.extend(("assignment", a) for a in assignments)

    async def cue(self, cue: CueNotice) -> None:
        self.sent.append(("cue", cue))

    async def alert(self, alert: Alert) -> None:
        self.sent.append(("alert", alert))

    async def help(self, request: HelpRequest) -> None:
        self.sent.append(("help", request))

    async def results(self, shared: PlenaryResults) -> None:
        self.sent.append(("results", shared))

    async def follow_up(self, notice: FollowUpNotice) -> None:
        self.sent.append(("follow_up", notice))

    async def service(self, notice: ServiceNotice) -> None:
        self.sent.append(("service", notice))

    async def drop(self, holders: list[str]) -> None:
        self.sent.append(("drop", list(holders)))

    def of(self, kind: str, where: Callable[[Any], bool] = lambda m: True) -> list[Any]:
        return [model for k, model in self.sent if k == kind and where(model)]
