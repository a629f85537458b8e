"""The pass service: the one write path, facilitators' commands and the clock.

Every change to a pass goes through ``apply``: the pure reducer runs inside
the store's optimistic transaction, and only after the new state is stored
are its effects carried out (``orchestrator.effectrunner``: rooms created,
assignments with tokens sent, cues emitted, people removed, rooms closed) and
the new views published; a pass that ended is retired and archived. Answers
and LiveKit presence are per-person data written straight to their own keys
(see ``orchestrator.participants``), so a thousand people answering at once
never contend for the pass snapshot.

Opening breakouts forms a whole round of groups: CPU work that would hold
the event loop, and with it every other pass on the worker, for as long as
it runs. It runs in the injected ``executor`` (the composition root gives a
single worker process) on a snapshot of the pass; if the people present
changed before the round is stored, it is formed again. Without an executor
(one-shot commands, tests) it runs inline. When a pass comes to wait for a
round, the executor is given a round of two to form, so that its worker is
ready (started, the engine loaded) when the facilitator opens the real one.

Errors: ``IllegalCommand`` (the reducer refused; the state is unchanged),
``BadRequest`` (an edit or a room that does not fit this pass), ``NotFound``
(no such pass), ``ServiceError`` (draining, or a service failed).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, Future
from dataclasses import replace
from typing import Any

from breakout import Meeting
from breakout.rooms import main_room
from exercises import events as ev
from exercises.classfile import ClassFileError, edit_step
from exercises.effects import Effect
from exercises.reducer import reduce
from exercises.script import ClassScript, Step
from exercises.state import PassState, Phase
from exercises.text import Text
from orchestrator.commands import (
    Command,
    EditStepText,
    JoinRoom,
    PlanBreakouts,
    ResolveHelp,
    audit_of,
    name_of,
)
from orchestrator.effectrunner import EffectRunner
from orchestrator.errors import BadRequest, Conflict, NotFound, ServiceError
from orchestrator.grouping import (
    GroupingJob,
    Groups,
    grouping_job,
    groups_of,
    plan_groups,
    round_of,
    run_job,
    warm_up,
)
from orchestrator.metrics import NO_METRICS, Metrics, timed
from orchestrator.ports import Applied, Archive, Sfu, Store
from orchestrator.publishing import Publisher
from orchestrator.readmodels import CueNotice, RoomAccess, group_number
from orchestrator.roomsahead import comes_to_wait
from orchestrator.settings import Settings

log = logging.getLogger(__name__)

MakeEvent = Callable[[PassState, float], ev.Event]

CUE_DROP_IN = Text("Facilitatorn har gått in i ert rum", "The facilitator has joined your room")

#: Rounds formed off the loop before one is formed against the stored state itself.
PLAN_ATTEMPTS = 3


def new_pass_id() -> str:
    return secrets.token_hex(4)


def _warmed_up(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("preparing the grouping worker failed; the round will start it: %r",
                    future.exception())


class _NoArchive:
    """Passes outside the system of record (fast service tests): nothing to keep."""

    async def archive_pass(self, state: PassState) -> None:
        return None


class PassService:
    def __init__(self, settings: Settings, store: Store, sfu: Sfu, publisher: Publisher, *,
                 clock: Callable[[], float] = time.time, executor: Executor | None = None,
                 metrics: Metrics = NO_METRICS) -> None:
        self.settings = settings
        self.metrics = metrics
        self.executor = executor
        self.store = store
        self.sfu = sfu
        self.publisher = publisher
        self.notifier = publisher.notifier
        self.clock = clock
        self.on_schedule: Callable[[float | None], None] = lambda at: None
        # Where an ended pass goes (the gym's archiver once the system of record is wired).
        self.archive: Archive = _NoArchive()
        self.effects = EffectRunner(store, sfu, publisher, clock=clock,
                                    scheduled=lambda at: self.on_schedule(at))
        # The next round's rooms, made ahead by the effects (cancelled on shutdown).
        self.ahead = self.effects.ahead
        self.draining = False
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # -- intake, and draining it on shutdown ------------------------------------

    def enter(self) -> None:
        """Count one write in flight; refused once the worker drains."""
        if self.draining:
            raise ServiceError("the server is shutting down; try again in a moment",
                               code="shutting_down")
        self._inflight += 1
        self._idle.clear()

    def exit(self) -> None:
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

    # -- passes -------------------------------------------------------------------

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

    # -- the one write path -----------------------------------------------------

    async def apply(self, pass_id: str, make: MakeEvent, audit: dict[str, Any] | None = None,
                    *, attending: str | None = None) -> Applied:
        """Reduce the event ``make`` builds from the stored state, store, then run effects;
        ``attending``: the person whose attendance stay opens now, in the same write."""
        self.enter()
        try:
            now = self.clock()

            def step(state: PassState) -> tuple[PassState, list[Effect]]:
                return reduce(state, make(state, now), now)

            applied = await self.store.update(
                pass_id, step, audit=audit,
                attending=None if attending is None else (attending, now))
            if applied.changed:
                await self.effects.run(applied, now)
                if comes_to_wait(applied.before, applied.after):
                    self._prepare_grouping()
                if applied.after.phase is Phase.ENDED and applied.before.phase is not Phase.ENDED:
                    await self._ended(applied.after)
            return applied
        finally:
            self.exit()

    async def _ended(self, state: PassState) -> None:
        """The pass ended: it is no longer live, and what outlives it is kept."""
        await self.store.retire_pass(state.id)
        self.publisher.forget(state.id)
        await self._archive(state)

    async def _archive(self, state: PassState) -> None:
        """Keep what outlives the pass; a failure is logged and can be redone (idempotent)."""
        try:
            await self.archive.archive_pass(state)
        except Exception:
            log.exception("archiving the ended pass failed; run `onlive session archive %s`",
                          state.id, extra={"pass_id": state.id})

    async def ensure_room(self, state: PassState, room: str | None) -> None:
        """Recreate a room of this pass that LiveKit closed on its own (idempotent)."""
        if room is None:
            return
        if room == state.main_room:
            await self.sfu.create_room(room, 0)
        elif state.breakout is not None:
            for group in state.breakout.groups:
                if group.room == room:
                    await self.sfu.create_room(room, len(group.members) + 1)

    async def restore(self, pass_id: str) -> int:
        """Create the pass's current rooms again (LiveKit came back empty); how many."""
        state = await self.store.load(pass_id)
        rooms = [state.main_room]
        if state.breakout is not None:
            rooms += [g.room for g in state.breakout.groups]
        for room in rooms:
            await self.ensure_room(state, room)
        return len(rooms)

    async def refresh(self, pass_id: str) -> None:
        """Send the pass's facilitators a fresh view (presence changed underneath)."""
        await self.publisher.refresh_facilitators(pass_id)

    # -- facilitators ---------------------------------------------------------------

    async def command(self, pass_id: str, command: Command, actor: str) -> int | RoomAccess:
        """Run a facilitator command; the new version, or a room token for ``JoinRoom``."""
        with timed(self.metrics, name_of(command)):
            return await self._command(pass_id, command, actor)

    async def _command(self, pass_id: str, command: Command, actor: str) -> int | RoomAccess:
        if isinstance(command, JoinRoom):
            return await self.facilitator_token(pass_id, command.room, actor)
        if isinstance(command, ResolveHelp):
            return await self.resolve_help(pass_id, command.help_id)
        make: MakeEvent
        if isinstance(command, PlanBreakouts):
            applied = await self._open_breakouts(pass_id, audit_of(command, actor))
        else:
            if isinstance(command, EditStepText):
                edit = command

                def make(state: PassState, now: float) -> ev.Event:
                    return ev.EditStep(_edited_step(state, edit))
            else:
                event: ev.Event = command

                def make(state: PassState, now: float) -> ev.Event:
                    return event

            applied = await self.apply(pass_id, make, audit=audit_of(command, actor))
        log.info("command applied", extra={"pass_id": pass_id, "command": name_of(command),
                                           "version": applied.after.version})
        return applied.after.version

    async def _open_breakouts(self, pass_id: str, audit: dict[str, Any]) -> Applied:
        """Form the round off the loop, then open it if it still fits the pass."""
        self.enter()
        try:
            state = await self.store.load(pass_id)
            history = await self.store.history(state.program)
            seed = secrets.randbits(32)
            for _ in range(PLAN_ATTEMPTS):
                job = grouping_job(state, history, seed=seed, now=self.clock())
                groups = await self._form(job) if job is not None else ()

                def make(current: PassState, now: float) -> ev.Event:
                    if round_of(current) != (job.round if job is not None else None):
                        raise _Stale(current)
                    return ev.OpenBreakouts(groups)

                try:
                    return await self.apply(pass_id, make, audit=audit)
                except _Stale as stale:
                    state = stale.state
                    log.info("people changed while the round was formed; forming it again",
                             extra={"pass_id": pass_id})

            def inline(current: PassState, now: float) -> ev.Event:
                return ev.OpenBreakouts(plan_groups(current, history, seed=seed, now=now))

            return await self.apply(pass_id, inline, audit=audit)
        finally:
            self.exit()

    def _prepare_grouping(self) -> None:
        """A pass now waits for a round: have the executor's worker ready before
        the facilitator opens it (a process started by the round itself made the
        first round of each worker 0.3-0.6 s late)."""
        if self.executor is None:
            return
        try:
            self.executor.submit(warm_up).add_done_callback(_warmed_up)
        except RuntimeError:  # the executor is shut down: the worker is stopping
            pass

    async def _form(self, job: GroupingJob) -> Groups:
        if self.executor is not None:
            loop = asyncio.get_running_loop()
            try:
                return groups_of(await loop.run_in_executor(self.executor, run_job, job))
            except BrokenExecutor:
                log.exception("the grouping worker failed; forming the round inline")
        return groups_of(run_job(job))

    async def resolve_help(self, pass_id: str, help_id: str) -> int:
        """Mark one help request of the pass done; every facilitator's panel follows."""
        state = await self.store.load(pass_id)
        found = next((h for h in await self.store.helps(pass_id) if h.id == help_id), None)
        if found is None:
            raise NotFound(f"there is no help request {help_id!r} in this pass; reload the panel",
                           code="unknown_help")
        if not found.done:
            await self.store.put_help(replace(found, done=True))
            await self.publisher.refresh_facilitators(pass_id)
        return state.version

    async def facilitator_token(self, pass_id: str, room: str, actor: str) -> RoomAccess:
        state = await self.store.load(pass_id)
        rooms = {state.main_room} | set(state.breakout.rooms if state.breakout else ())
        if room not in rooms or state.phase is Phase.ENDED:
            raise BadRequest(f"room {room!r} is not open in this pass", code="unknown_room")
        await self.ensure_room(state, room)
        token = self.sfu.mint(identity=f"facilitator-{actor}", name="Facilitator", room=room,
                              ttl=self.settings.token_ttl)
        if group_number(room) is not None:
            # Announced where it happens: only the group the facilitator drops in on.
            await self.notifier.cue(CueNotice(state.id, "facilitator-joined", CUE_DROP_IN,
                                              (room,), None, state.version, self.clock()))
        return RoomAccess(room, token, self.sfu.ws_url, self.clock() + self.settings.token_ttl)

    # -- the clock --------------------------------------------------------------------

    async def tick(self, pass_id: str) -> None:
        meetings = await self._meetings_for_regroups(pass_id)
        applied = await self.apply(pass_id, lambda s, now: ev.Tick(meetings))
        if not applied.changed:
            # Nothing was due after all: correct the index so we do not spin (from
            # the stored pass, in case a change was stored since this one was read).
            await self.store.settle_deadline(pass_id)

    async def _meetings_for_regroups(self, pass_id: str) -> tuple[Meeting, ...]:
        """The program's history when someone's grace period in an open
        breakout is over (their group is regrouped away from earlier partners);
        otherwise nothing, so an ordinary tick reads no history."""
        state = await self.store.load(pass_id)
        b = state.breakout
        if b is None or not any(due <= self.clock() for due in b.leaving.values()):
            return ()
        return tuple(await self.store.history(state.program))


class _Stale(Conflict):
    """The people present changed while a round was formed off the loop (caught
    in ``_open_breakouts``, which forms the round again for ``state``)."""

    def __init__(self, state: PassState) -> None:
        super().__init__("the people present changed while the round was formed; try again")
        self.state = state


def _edited_step(state: PassState, edit: EditStepText) -> Step:
    """The step as the facilitator wants it, checked like a class file."""
    step = next((s for s in state.script.steps if s.id == edit.step_id), None)
    if step is None:
        raise BadRequest(f"there is no step {edit.step_id!r} in this class",
                         code="unknown_step")

    def text(sv: str | None, en: str | None, old: Text) -> Text | None:
        return None if sv is None and en is None else Text(sv or old.sv, en or old.en)

    try:
        script = edit_step(state.script, step.id,
                           title=text(edit.title_sv, edit.title_en, step.title),
                           prompt=text(edit.prompt_sv, edit.prompt_en, step.prompt),
                           duration=edit.duration)
    except ClassFileError as error:
        raise BadRequest(str(error), code="invalid_edit") from error
    return script.steps[script.index_of(step.id)]
