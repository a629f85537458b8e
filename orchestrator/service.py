"""The pass service: load state, apply the pure reducer, persist, run effects.

Every facilitator command, participant join/leave and timer tick goes through
``_apply``: the reducer runs inside the store's optimistic transaction, and
only after the new state is stored are its effects executed (rooms created,
tokens minted and sent, cues emitted, rooms closed) and the new views
published. Answers and LiveKit presence are per-person data written straight
to their own keys, so a thousand people answering at once never contend for
the pass snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import replace
from collections.abc import Callable
from typing import Any, Protocol

from breakout.rooms import is_breakout_room, main_room, pass_of_room
from exercises import events as ev
from exercises.answers import validate_answer
from exercises.effects import (
    CloseRooms,
    CreateRooms,
    Cue,
    Effect,
    RemoveFromRoom,
    ScheduleTimer,
    SendAssignments,
)
from exercises.errors import DomainError, IllegalCommand
from exercises.reducer import next_deadline, reduce
from exercises.classfile import ClassFileError, edit_step
from exercises.results import aggregate
from exercises.script import ClassScript, Step, StepKind, Visibility
from exercises.text import Text
from exercises.state import Member, PassState, Phase
from orchestrator import tickets
from orchestrator.errors import AuthError, BadRequest, NotFound, OnliveError, ServiceError
from orchestrator.grouping import late_group, pairs, plan_groups
from orchestrator.settings import Settings
from orchestrator.sfu import RECORDING_KINDS, Sfu
from orchestrator.codec import to_plain
from orchestrator.store import Applied, Store
from signalling.views import facilitator_extra, placement, shared_view
from signalling.wire import Command

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """Where the service's messages go (Socket.IO in production)."""

    async def state(self, pass_id: str, view: dict[str, Any]) -> None: ...
    async def facilitator(self, pass_id: str, view: dict[str, Any]) -> None: ...
    async def assignment(self, pass_id: str, person_id: str, payload: dict[str, Any]) -> None: ...
    async def cue(self, pass_id: str, payload: dict[str, Any]) -> None: ...
    async def alert(self, pass_id: str | None, payload: dict[str, Any]) -> None: ...
    async def help(self, pass_id: str, payload: dict[str, Any]) -> None: ...
    async def personal(self, pass_id: str, person_id: str, event: str,
                       payload: dict[str, Any]) -> None: ...


ERASED_NAME = "–"
CONNECTION_QUALITIES = frozenset({"excellent", "good", "poor", "lost", "unknown"})
JOURNAL_KINDS = frozenset({StepKind.CHECK_IN, StepKind.COMMITMENT, StepKind.FOLLOW_UP})


def new_pass_id() -> str:
    return secrets.token_hex(4)


class PassService:
    def __init__(self, settings: Settings, store: Store, sfu: Sfu, notifier: Notifier,
                 *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.sfu = sfu
        self.notifier = notifier
        self.clock = clock
        self.on_schedule: Callable[[float | None], None] = lambda at: None
        self.draining = False
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._pending: dict[str, PassState] = {}
        self._publishing: set[str] = set()
        self._published: dict[str, int] = {}
        self._refreshing: set[str] = set()
        self._stale: set[str] = set()

    # -- lifecycle of the service itself --------------------------------------

    def _enter(self) -> None:
        if self.draining:
            raise ServiceError("the server is shutting down; try again in a moment",
                               code="shutting_down")
        self._inflight += 1
        self._idle.clear()

    def _exit(self) -> None:
        self._inflight -= 1
        if self._inflight == 0:
            self._idle.set()

    async def drain(self, timeout: float) -> bool:
        """Stop taking commands and wait for those in flight; False on timeout."""
        self.draining = True
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    # -- passes, people and credentials ---------------------------------------

    async def create_pass(self, script: ClassScript, *, program: str = "default",
                          pass_id: str | None = None) -> PassState:
        pass_id = pass_id or new_pass_id()
        state = PassState(id=pass_id, program=program, script=script,
                          main_room=main_room(pass_id))
        await self.sfu.create_room(state.main_room, 0)
        await self.store.create_pass(state)
        await self.store.audit("pass_created", pass_id=pass_id, program=program,
                               class_id=script.id)
        log.info("pass created", extra={"pass_id": pass_id, "class_id": script.id})
        return state

    async def invite(self, pass_id: str, member: Member) -> str:
        await self.store.load(pass_id)
        await self.store.save_person(member)
        return tickets.issue(self.settings.secret, tickets.Claims(
            tickets.Kind.PARTICIPANT, pass_id, member.id, self.clock() + self.settings.ticket_ttl))

    def facilitator_credential(self, pass_id: str, subject: str = "facilitator") -> str:
        return tickets.issue(self.settings.secret, tickets.Claims(
            tickets.Kind.FACILITATOR, pass_id, subject, self.clock() + self.settings.ticket_ttl))

    def ops_credential(self) -> str:
        return tickets.issue(self.settings.secret, tickets.Claims(
            tickets.Kind.OPS, None, "ops", self.clock() + self.settings.ticket_ttl))

    def verify(self, credential: object, kind: tickets.Kind) -> tickets.Claims:
        return tickets.verify(self.settings.secret, credential, now=self.clock(), kind=kind)

    # -- the one write path -----------------------------------------------------

    async def _apply(self, pass_id: str, make: Callable[[PassState, float], ev.Event],
                     audit: dict[str, Any] | None = None) -> Applied:
        self._enter()
        try:
            now = self.clock()

            def step(state: PassState) -> tuple[PassState, list[Effect]]:
                return reduce(state, make(state, now), now)

            applied = await self.store.update(pass_id, step, audit=audit)
            if applied.changed:
                await self._after(applied, now)
            return applied
        finally:
            self._exit()

    async def _after(self, applied: Applied, now: float) -> None:
        before, state = applied.before, applied.after
        new_pairs = _pairs(state) - _pairs(before)
        # Manual moves and late joiners are remembered like planned groups.
        if new_pairs:
            await self.store.append_history(state.program, [
                {"a": a, "b": b, "pass": state.id, "at": now} for a, b in sorted(new_pairs)])
        for effect in applied.effects:
            try:
                await self._execute(state, effect)
            except OnliveError as error:
                log.error("effect failed: %s", error,
                          extra={"pass_id": state.id, "effect": type(effect).__name__})
        await self.publish(state)
        step = state.step
        if step is not None and step.kind is StepKind.FOLLOW_UP and (
                before.step is None or before.step.id != step.id):
            # Each participant privately sees their own last commitment.
            for person in sorted(state.present):
                await self.notifier.personal(state.id, person, "follow_up",
                                             {"commitment": await self.last_commitment(state, person),
                                              "step_id": step.id})
        if state.phase is Phase.ENDED and before.phase is not Phase.ENDED:
            await self.store.retire_pass(state.id)
            self._published.pop(state.id, None)

    async def _execute(self, state: PassState, effect: Effect) -> None:
        if isinstance(effect, ScheduleTimer):
            await self.store.set_deadline(state.id, effect.at)
            self.on_schedule(effect.at)
        elif isinstance(effect, CreateRooms):
            await asyncio.gather(*(self.sfu.create_room(r.name, r.max_participants)
                                   for r in effect.rooms))
        elif isinstance(effect, SendAssignments):
            for person in effect.person_ids:
                await self.notifier.assignment(state.id, person, self.assignment(state, person))
        elif isinstance(effect, Cue):
            await self.notifier.cue(state.id, {
                "kind": effect.kind, "text": effect.text.to_wire(), "rooms": list(effect.rooms),
                "turn": effect.turn, "version": state.version, "server_now": self.clock()})
        elif isinstance(effect, RemoveFromRoom):
            await self.sfu.remove_participant(effect.room, effect.person_id)
        elif isinstance(effect, CloseRooms):
            await asyncio.gather(*(self._close_room(room) for room in effect.rooms))

    async def _close_room(self, room: str) -> None:
        for identity in await self.sfu.list_participants(room):
            await self.sfu.remove_participant(room, identity)
        await self.sfu.delete_room(room)

    # -- views -------------------------------------------------------------------

    def assignment(self, state: PassState, person_id: str) -> dict[str, Any]:
        """A participant's placement with a fresh token for that one room."""
        place = placement(state, person_id)
        place["version"] = state.version
        place["url"] = self.sfu.ws_url
        place["role"] = "participant"
        if place["room"] is not None:
            name = state.roster[person_id].name if person_id in state.roster else person_id
            place["token"] = self.sfu.mint(identity=person_id, name=name, room=place["room"],
                                           ttl=self.settings.token_ttl)
            place["expires_at"] = self.clock() + self.settings.token_ttl
        else:
            place["token"] = None
        return place

    async def facilitator_view(self, state: PassState) -> dict[str, Any]:
        view = shared_view(state, self.clock())
        view.update(facilitator_extra(state, await self.store.presence(state.id),
                                      await self.store.qualities(state.id)))
        view["results"] = await self.results(state)
        return view

    async def results(self, state: PassState) -> dict[str, Any] | None:
        """Live results of the current step, within its visibility rules."""
        step = state.step
        if step is None or not step.asks_answer:
            return None
        records = await self.store.answers(state.id, step.id)
        answers = [{"person_id": person, "answer": r["value"]}
                   for person, r in sorted(records.items(), key=lambda item: item[1]["at"])]
        groups = [g.members for g in state.breakout.groups] if state.breakout else None
        result = aggregate(step, answers, threshold=self.settings.anonymity_threshold,
                           groups=groups)
        if step.visibility is Visibility.LEADERSHIP:
            # Live values would let a watcher work out each new answer by
            # difference; leadership sees them aggregated after the pass.
            result = {k: result[k] for k in ("step", "kind", "visibility", "count", "suppressed")}
        return result

    async def publish(self, state: PassState) -> None:
        """Broadcast the views of ``state``, coalescing bursts per pass.

        While one broadcast of a pass is on its way, newer states only replace
        the pending one: a thousand joins cost a handful of broadcasts, and
        every client still ends on the latest version (clients that see a
        version gap ask for a snapshot).
        """
        pending = self._pending.get(state.id)
        if pending is not None and pending.version >= state.version \
                or self._published.get(state.id, -1) >= state.version:
            return
        self._pending[state.id] = state
        if state.id in self._publishing:
            return
        self._publishing.add(state.id)
        try:
            while (latest := self._pending.pop(state.id, None)) is not None:
                self._published[latest.id] = latest.version
                await self.notifier.state(latest.id, shared_view(latest, self.clock()))
                await self.refresh_facilitators(latest.id)
        finally:
            self._publishing.discard(state.id)

    async def refresh_facilitators(self, pass_id: str) -> None:
        """Send the pass's facilitators its latest view, coalescing bursts.

        Answers, presence and quality changes arrive a person at a time;
        while one view is being built and sent, further requests only mark it
        stale, so a thousand answers cost a handful of views, not a thousand.
        """
        if pass_id in self._refreshing:
            self._stale.add(pass_id)
            return
        self._refreshing.add(pass_id)
        try:
            while True:
                self._stale.discard(pass_id)
                try:
                    state = await self.store.load(pass_id)
                except NotFound:
                    return
                await self.notifier.facilitator(pass_id, await self.facilitator_view(state))
                if pass_id not in self._stale:
                    return
        finally:
            self._refreshing.discard(pass_id)

    async def participant_snapshot(self, pass_id: str, person_id: str,
                                   state: PassState | None = None) -> dict[str, Any]:
        """One participant's full view; ``state`` when the caller just has it."""
        state = state or await self.store.load(pass_id)
        mine = None
        if state.step is not None and state.step.asks_answer:
            record = await self.store.answer_of(pass_id, state.step.id, person_id)
            mine = record and {"client_id": record["cid"], "value": record["value"]}
        me = state.roster.get(person_id)
        snapshot = {"state": shared_view(state, self.clock()),
                    "assignment": self.assignment(state, person_id), "answer": mine,
                    "me": {"id": person_id, "name": me.name if me else ""}}
        if state.step is not None and state.step.kind is StepKind.FOLLOW_UP:
            snapshot["follow_up"] = await self.last_commitment(state, person_id)
        return snapshot

    async def facilitator_snapshot(self, pass_id: str) -> dict[str, Any]:
        return await self.facilitator_view(await self.store.load(pass_id))

    # -- participants -------------------------------------------------------------

    async def join(self, pass_id: str, person_id: str) -> PassState:
        member = await self.store.person(person_id)
        state = await self.store.load(pass_id)
        history = await self.store.history(state.program) if state.breakout else []

        def make(state: PassState, now: float) -> ev.Event:
            b = state.breakout
            late = None
            if b is not None and b.group_of(person_id) is None:
                late = late_group(state, member, history, now)
            return ev.Join(member, late_group=late)

        applied = await self._apply(pass_id, make)
        log.info("participant joined", extra={"pass_id": pass_id, "participant_id": person_id})
        return applied.after

    async def set_name(self, pass_id: str, person_id: str, name: str) -> str:
        """The name a participant chose to be shown as (pre-join)."""
        name = " ".join(name.split())
        if not name:
            raise BadRequest("a name needs at least one letter", code="out_of_range")
        member = replace(await self.store.person(person_id), name=name)
        await self.store.save_person(member)
        await self._apply(pass_id, lambda s, now: ev.Join(member))
        return name

    async def set_quality(self, pass_id: str, person_id: str, level: str) -> None:
        """A participant's own LiveKit connection quality, for the facilitator's roster."""
        if level not in CONNECTION_QUALITIES:
            raise BadRequest(f"quality is one of {sorted(CONNECTION_QUALITIES)}, not {level!r}",
                             code="out_of_range")
        previous = (await self.store.qualities(pass_id)).get(person_id)
        if previous == level:
            return
        await self.store.set_quality(pass_id, person_id, level)
        await self.refresh_facilitators(pass_id)

    async def leave(self, pass_id: str, person_id: str) -> None:
        try:
            await self._apply(pass_id, lambda s, now: ev.Leave(person_id))
        except (NotFound, ServiceError):
            pass
        log.info("participant left", extra={"pass_id": pass_id, "participant_id": person_id})

    async def answer(self, pass_id: str, person_id: str, step_id: str, client_id: str,
                     value: dict[str, Any]) -> dict[str, Any]:
        """Validate and store one answer; the reply is sent only once it is stored."""
        self._enter()
        try:
            state = await self.store.load(pass_id)
            step = state.step
            if step is None or step.id != step_id:
                current = step.id if step else state.phase.value
                raise IllegalCommand(f"step {step_id!r} is not open for answers; the current "
                                     f"step is {current!r}", code="wrong_step")
            normalised = validate_answer(step, value)
            stored = await self.store.store_answer(pass_id, step_id, person_id, client_id,
                                                   normalised, self.clock())
        finally:
            self._exit()
        if stored:
            await self._journal(state, step, person_id, normalised)
            await self.refresh_facilitators(pass_id)
        log.info("answer stored" if stored else "answer retry ignored",
                 extra={"pass_id": pass_id, "participant_id": person_id, "step_id": step_id})
        return {"stored": True, "duplicate": not stored, "client_id": client_id}

    async def _journal(self, state: PassState, step: Step, person_id: str,
                       value: dict[str, Any]) -> None:
        """Check-ins, commitments and follow-ups go into the person's own journal."""
        if step.kind not in JOURNAL_KINDS:
            return
        await self.store.journal_put(person_id, f"{state.id}:{step.id}", {
            "kind": step.kind.value, "pass": state.id, "program": state.program,
            "class": state.script.title.to_wire(), "step": step.id, "value": value,
            "at": self.clock()})

    async def journal(self, person_id: str) -> list[dict[str, Any]]:
        """Everything in one person's journal, oldest first; only they ever see it."""
        return await self.store.journal(person_id)

    async def last_commitment(self, state: PassState, person_id: str) -> dict[str, Any] | None:
        """The person's latest commitment from an earlier pass of the same program."""
        earlier = [e for e in await self.store.journal(person_id)
                   if e["kind"] == StepKind.COMMITMENT.value and e["pass"] != state.id
                   and e["program"] == state.program]
        return earlier[-1] if earlier else None

    async def renew_token(self, pass_id: str, person_id: str) -> dict[str, Any]:
        state = await self.store.load(pass_id)
        assignment = self.assignment(state, person_id)
        await self._ensure_room(state, assignment["room"])
        return assignment

    async def _ensure_room(self, state: PassState, room: str | None) -> None:
        """Recreate a room of this pass that LiveKit closed on its own (idempotent)."""
        if room is None:
            return
        if room == state.main_room:
            await self.sfu.create_room(room, 0)
        elif state.breakout is not None:
            for group in state.breakout.groups:
                if group.room == room:
                    await self.sfu.create_room(room, len(group.members) + 1)

    async def ask_help(self, pass_id: str, person_id: str, text: str) -> None:
        state = await self.store.load(pass_id)
        place = placement(state, person_id)
        name = state.roster[person_id].name if person_id in state.roster else person_id
        await self.notifier.help(pass_id, {"person_id": person_id, "name": name,
                                           "room": place["room"], "text": text,
                                           "at": self.clock()})

    # -- facilitators -------------------------------------------------------------

    async def command(self, pass_id: str, name: Command, args: dict[str, Any],
                      actor: str) -> dict[str, Any]:
        """Run a facilitator command; returns the ack fields."""
        if name is Command.JOIN_ROOM:
            return await self.facilitator_token(pass_id, args["room"], actor)
        if name is Command.EDIT_STEP:
            def make(state: PassState, now: float) -> ev.Event:
                return ev.EditStep(_edited_step(state, args))
        elif name is Command.OPEN_BREAKOUTS:
            history = await self.store.history((await self.store.load(pass_id)).program)
            seed = secrets.randbits(32)

            def make(state: PassState, now: float) -> ev.Event:
                return ev.OpenBreakouts(plan_groups(state, history, seed=seed, now=now))
        else:
            event = _command_event(name, args)

            def make(state: PassState, now: float) -> ev.Event:
                return event

        applied = await self._apply(pass_id, make, audit={"command": name.value, "actor": actor,
                                                          **{k: v for k, v in args.items()
                                                             if k not in ("text",)}})
        log.info("command applied", extra={"pass_id": pass_id, "command": name.value,
                                           "version": applied.after.version})
        return {"version": applied.after.version}

    async def facilitator_token(self, pass_id: str, room: str, actor: str) -> dict[str, Any]:
        state = await self.store.load(pass_id)
        rooms = {state.main_room} | set(state.breakout.rooms if state.breakout else ())
        if room not in rooms or state.phase is Phase.ENDED:
            raise BadRequest(f"room {room!r} is not open in this pass", code="unknown_room")
        await self._ensure_room(state, room)
        identity = f"facilitator-{actor}"
        token = self.sfu.mint(identity=identity, name="Facilitator", room=room,
                              ttl=self.settings.token_ttl)
        return {"room": room, "token": token, "url": self.sfu.ws_url, "role": "facilitator",
                "expires_at": self.clock() + self.settings.token_ttl}

    # -- one person's data (GDPR export and erasure) --------------------------------

    async def export_person(self, person_id: str) -> dict[str, Any]:
        """Everything onlive holds about one person, as plain data."""
        try:
            member: dict[str, Any] | None = to_plain(await self.store.person(person_id))
        except NotFound:
            member = None
        passes = []
        for pass_id in await self.store.pass_ids():
            state = await self.store.load(pass_id)
            if person_id in state.roster:
                passes.append({"pass": pass_id, "program": state.program,
                               "class": state.script.title.to_wire(),
                               "roster_entry": to_plain(state.roster[person_id])})
        return {"person": member, "passes": passes,
                "answers": await self.store.answers_of_person(person_id),
                "journal": await self.store.journal(person_id),
                "pairing_history": await self.store.histories_with(person_id)}

    async def erase_person(self, person_id: str) -> dict[str, int]:
        """Erase one person: records, answers, journal, pairing history, roster entries.

        Roster entries in stored passes keep only the opaque id (so the pass
        stays consistent) under a neutral name.
        """
        removed = await self.store.erase_person_records(person_id)
        rewritten = 0
        for pass_id in await self.store.pass_ids():
            def scrub(state: PassState) -> tuple[PassState, list[Effect]]:
                if person_id not in state.roster:
                    return state, []
                roster = dict(state.roster)
                roster[person_id] = Member(person_id, ERASED_NAME)
                return replace(state, roster=roster, version=state.version + 1), []

            applied = await self.store.update(pass_id, scrub)
            rewritten += int(applied.changed)
        await self.store.audit("person_erased", person_id=person_id, records=str(removed),
                               passes=str(rewritten))
        log.info("person erased", extra={"participant_id": person_id})
        return {"records": removed, "passes": rewritten}

    # -- the clock -----------------------------------------------------------------

    async def tick(self, pass_id: str) -> None:
        applied = await self._apply(pass_id, lambda s, now: ev.Tick())
        if not applied.changed:
            # Nothing was due after all: correct the index so we do not spin.
            await self.store.set_deadline(pass_id, next_deadline(applied.after))

    # -- LiveKit webhooks ------------------------------------------------------------

    async def on_webhook(self, event: Any) -> None:
        kind = event.event
        room = event.room.name if event.HasField("room") else ""
        if kind.startswith("egress_"):
            room = room or event.egress_info.room_name
            await self.recording_alarm(room, f"LiveKit reported {kind}",
                                       egress_id=event.egress_info.egress_id)
            return
        if event.HasField("room") and event.room.active_recording:
            await self.recording_alarm(room, "the room reports an active recording")
            return
        pass_id = pass_of_room(room)
        if pass_id is None:
            return
        identity = event.participant.identity if event.HasField("participant") else ""
        if kind == "participant_joined":
            p = event.participant
            if p.kind in RECORDING_KINDS or p.permission.recorder or p.permission.agent:
                await self.recording_alarm(room, f"a participant of kind "
                                           f"{p.kind} joined", identity=identity)
                return
            await self.store.set_presence(pass_id, identity, room)
        elif kind in ("participant_left", "participant_connection_aborted"):
            if not await self.store.leave_presence(pass_id, identity, room):
                return
        else:
            return
        await self.refresh_facilitators(pass_id)

    async def recording_alarm(self, room: str, reason: str, **detail: str) -> None:
        """Close the room at once, alert ops and facilitators, write an audit entry."""
        pass_id = pass_of_room(room) if room else None
        try:
            await self.sfu.delete_room(room) if room else None
        except ServiceError as error:
            log.error("could not close recorded room: %s", error, extra={"room": room})
        entry = await self.store.alert("recording_attempt",
                                       f"Recording attempt in {room or 'unknown room'}: {reason}. "
                                       "The room was closed.", room=room, pass_id=pass_id or "",
                                       **detail)
        await self.store.audit("recording_alarm", room=room, reason=reason,
                               pass_id=pass_id or "", **detail)
        log.error("recording alarm: %s", reason, extra={"pass_id": pass_id, "room": room})
        await self.notifier.alert(pass_id, entry)

    @staticmethod
    def is_breakout(room: str) -> bool:
        return is_breakout_room(room)


def _pairs(state: PassState) -> set[tuple[str, str]]:
    return pairs(state.breakout.groups) if state.breakout else set()


def _edited_step(state: PassState, args: dict[str, Any]) -> Step:
    """The step as the facilitator wants it, checked like a class file."""
    step = state.script.steps[state.script.index_of(args["step_id"])] \
        if any(s.id == args["step_id"] for s in state.script.steps) else None
    if step is None:
        raise BadRequest(f"there is no step {args['step_id']!r} in this class",
                         code="unknown_step")

    def text(key: str, old: Text) -> Text | None:
        sv, en = args.get(f"{key}_sv"), args.get(f"{key}_en")
        return None if sv is None and en is None else Text(sv or old.sv, en or old.en)

    try:
        script = edit_step(state.script, step.id, title=text("title", step.title),
                           prompt=text("prompt", step.prompt), duration=args.get("duration"))
    except ClassFileError as error:
        raise BadRequest(str(error), code="invalid_edit") from error
    return script.steps[script.index_of(step.id)]


def _command_event(name: Command, args: dict[str, Any]) -> ev.Event:
    simple: dict[Command, ev.Event] = {
        Command.START: ev.Start(), Command.NEXT: ev.Next(), Command.BACK: ev.Back(),
        Command.PAUSE: ev.Pause(), Command.RESUME: ev.Resume(), Command.END: ev.End(),
    }
    if name in simple:
        return simple[name]
    if name is Command.EXTEND:
        return ev.Extend(int(args["seconds"]))
    if name is Command.BROADCAST:
        return ev.Broadcast(args["text"])
    if name is Command.RECALL:
        return ev.Recall(int(args.get("countdown", 30)))
    if name is Command.MOVE:
        return ev.MovePerson(args["person_id"], int(args["to_group"]))
    raise BadRequest(f"command {name.value!r} is not handled here", code="unknown_command")


__all__ = ["PassService", "DomainError", "AuthError"]
