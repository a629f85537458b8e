"""Breakout groups through the services, with fakes at the ports.

Rounds formed off the event loop, leavers regrouped with the program's
history, late joiners placed with the engine's whole plan.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, Future, ThreadPoolExecutor
from typing import Any

from breakout import Meeting
from exercises import events as ev
from exercises.demo import demo_class
from exercises.reducer import LEAVE_GRACE_SECONDS
from exercises.script import ClassScript, Step, StepKind
from exercises.state import Member, PassState, Phase
from exercises.text import Text
from orchestrator.commands import PlanBreakouts
from orchestrator.grouping import run_job, warm_up
from orchestrator.readmodels import Assignment, PlacementKind
from orchestrator.root.workers import GroupingPool
from tests.orchestrator import world
from tests.orchestrator.fakes import MemoryStore

TRIOS = ClassScript(id="trios", version=1, title=Text("Trior", "Trios"),
                    description=Text("Trior", "Trios"),
                    steps=(Step("talk", StepKind.BREAKOUT, Text("Prata", "Talk"),
                                Text("Prata", "Talk"), duration=600, group_size=3),))


class CountingStore(MemoryStore):
    """Counts the history reads: a tick should read it only when it needs it."""

    def __init__(self) -> None:
        super().__init__()
        self.history_reads = 0

    async def history(self, program: str) -> list[Meeting]:
        self.history_reads += 1
        return await super().history(program)


class World(world.World):
    store: CountingStore

    def __init__(self, executor: Any = None) -> None:
        super().__init__(store=CountingStore(), executor=executor, views_at_once=False)

    async def at_pair_step(self, pass_id: str) -> None:
        for command in (ev.Start(), ev.Next(), ev.Next()):
            await self.command(pass_id, command)

    async def open_groups(self, pass_id: str, *groups: tuple[str, ...]) -> None:
        """Open these groups (as if the engine had chosen them)."""
        opened = ev.OpenBreakouts(tuple((g, ()) for g in groups))
        await self.services.passes.apply(pass_id, lambda state, now: opened)


def members(state: PassState) -> list[tuple[str, ...]]:
    assert state.breakout is not None
    return [g.members for g in state.breakout.groups]


async def test_a_leavers_partner_is_regrouped_at_the_end_of_grace_away_from_an_earlier_partner() -> None:
    world = World()
    people = [Member("ann", "Ann", "hr"), Member("cat", "Cat", "it"), Member("eve", "Eve", "sales"),
              Member("fay", "Fay", "sales"), Member("gil", "Gil", "it"), Member("hal", "Hal", "hr")]
    pass_id = await world.pass_with(people)
    await world.at_pair_step(pass_id)
    await world.open_groups(pass_id, ("ann", "cat"), ("eve", "fay"), ("gil", "hal"))
    await world.store.append_history("gym", [Meeting("cat", "eve", "earlier", world.clock() - 86400)])
    await world.services.participants.leave(pass_id, "ann")
    world.store.history_reads = 0
    await world.services.passes.tick(pass_id)  # nothing due yet: no history read
    assert world.store.history_reads == 0
    world.clock.advance(LEAVE_GRACE_SECONDS)
    await world.services.passes.tick(pass_id)
    assert world.store.history_reads == 1
    state = await world.store.load(pass_id)
    # Without the history cat would join the sales pair (two new contacts) she met before.
    assert members(state) == [("eve", "fay"), ("gil", "hal", "cat")]
    # This round's own pairs are recorded as it opened; they are not history to it.
    assert state.breakout is not None and "repeat" not in state.breakout.groups[1].reasons


async def test_a_late_joiner_when_every_group_is_full_is_placed_with_someone_from_a_trio() -> None:
    world = World()
    people = [Member(f"u{i}", f"U{i}", ("hr", "it", "sales")[i % 3]) for i in range(6)]
    pass_id = await world.pass_with(people)
    await world.at_pair_step(pass_id)
    await world.open_groups(pass_id, ("u0", "u1", "u2"), ("u3", "u4", "u5"))
    world.notifier.sent.clear()
    late = Member("u6", "U6", "hr")
    await world.services.participants.invite(pass_id, late)
    await world.services.participants.join(pass_id, "u6")
    state = await world.store.load(pass_id)
    assert state.breakout is not None
    new = state.breakout.groups[2]
    assert "u6" in new.members and len(new.members) == 2 and "late-joiner" in new.reasons
    assert sorted(len(g) for g in members(state)) == [2, 2, 3]
    assignments: list[Assignment] = world.notifier.of("assignment")
    placed = {a.person_id: a.placement for a in assignments}
    assert placed["u6"].kind is PlacementKind.BREAKOUT and placed["u6"].room == new.room
    assert new.room in world.sfu.rooms_open and world.sfu.rooms_open[new.room] == 3
    # Both new partners, and the two left in the trio, hear of the change.
    assert set(placed) == set(new.members) | set(next(g.members for g in state.breakout.groups
                                                       if len(g.members) == 2 and "u6" not in g.members))


class GatedExecutor(ThreadPoolExecutor):
    """Runs jobs in a thread once ``gate`` opens; records what it was given."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.gate = threading.Event()
        self.jobs: list[Callable[..., Any]] = []
        self.received = asyncio.Event()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if fn is not run_job:  # getting the worker ready, not a round: not held
            return super().submit(fn, *args, **kwargs)
        self.jobs.append(fn)
        self.received.set()

        def gated() -> Any:
            self.gate.wait(timeout=30)
            return fn(*args, **kwargs)

        return super().submit(gated)


async def test_a_round_is_formed_in_the_executor_while_the_loop_serves_another_pass() -> None:
    executor = GatedExecutor()
    world = World(executor)
    try:
        first = await world.pass_with([Member(f"a{i}", f"A{i}") for i in range(6)])
        second = await world.pass_with([Member(f"b{i}", f"B{i}") for i in range(2)])
        await world.at_pair_step(first)
        opening = asyncio.create_task(world.command(first, PlanBreakouts()))
        await asyncio.wait_for(executor.received.wait(), 10)
        # The round is being formed; another pass's facilitator is served meanwhile.
        await world.command(second, ev.Start())
        assert (await world.store.load(second)).phase is Phase.RUNNING
        assert not opening.done()
        executor.gate.set()
        await asyncio.wait_for(opening, 30)
    finally:
        executor.gate.set()
        executor.shutdown()
    assert executor.jobs == [run_job]
    assert sorted(len(g) for g in members(await world.store.load(first))) == [2, 2, 2]


class RecordingExecutor(ThreadPoolExecutor):
    """Runs jobs in a thread at once; records what it was given."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.jobs: list[Callable[..., Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.jobs.append(fn)
        return super().submit(fn, *args, **kwargs)


async def test_the_grouping_worker_is_made_ready_when_a_pass_comes_to_a_breakout_step() -> None:
    executor = RecordingExecutor()
    world = World(executor)
    try:
        pass_id = await world.pass_with([Member(f"a{i}", f"A{i}") for i in range(4)])
        await world.command(pass_id, ev.Start())
        await world.command(pass_id, ev.Next())
        assert executor.jobs == [], "no breakout step yet: nothing to prepare"
        await world.command(pass_id, ev.Next())
        assert executor.jobs == [warm_up], "at the pair step, before any round is opened"
        await world.command(pass_id, PlanBreakouts())
        assert sorted(len(g) for g in members(await world.store.load(pass_id))) == [2, 2]
        await world.command(pass_id, ev.Recall(countdown=0))
        assert (await world.store.load(pass_id)).breakout is None
        # Waiting for the next round of the same step prepares it again; forming
        # the round itself is the only other job.
        assert executor.jobs == [warm_up, run_job, warm_up]
    finally:
        executor.shutdown()


class DeadExecutor(Executor):
    """An executor whose worker died: every job fails with ``BrokenExecutor``."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(BrokenExecutor("the worker died"))
        return future


async def test_a_round_is_still_opened_when_the_worker_process_died() -> None:
    world = World(DeadExecutor())
    pass_id = await world.pass_with([Member(f"a{i}", f"A{i}") for i in range(4)])
    await world.at_pair_step(pass_id)
    await world.command(pass_id, PlanBreakouts())
    assert sorted(len(g) for g in members(await world.store.load(pass_id))) == [2, 2]


async def test_a_round_opened_while_someone_joined_is_formed_again_with_them() -> None:
    executor = GatedExecutor()
    world = World(executor)
    try:
        pass_id = await world.pass_with([Member(f"a{i}", f"A{i}") for i in range(4)])
        await world.at_pair_step(pass_id)
        opening = asyncio.create_task(world.command(pass_id, PlanBreakouts()))
        await asyncio.wait_for(executor.received.wait(), 10)
        await world.services.participants.invite(pass_id, Member("a4", "A4"))
        await world.services.participants.join(pass_id, "a4")
        executor.gate.set()
        await asyncio.wait_for(opening, 30)
    finally:
        executor.gate.set()
        executor.shutdown()
    assert executor.jobs == [run_job, run_job]
    assert sorted(m for g in members(await world.store.load(pass_id)) for m in g) == \
        [f"a{i}" for i in range(5)]


async def test_a_large_trio_round_is_formed_in_the_worker_process() -> None:
    pool = GroupingPool()
    world = World(pool)
    try:
        people = {f"p{i:03d}": Member(f"p{i:03d}", f"P{i}", f"d{i % 7}", f"s{i % 3}") for i in range(600)}
        state = PassState(id="big", program="gym", script=TRIOS, main_room="onlive_big_main",
                          phase=Phase.RUNNING, step_index=0, roster=people,
                          present=frozenset(people))
        await world.store.create_pass(state)
        await world.command("big", PlanBreakouts())
    finally:
        await asyncio.to_thread(pool.shutdown)
    assert pool.started == 1
    groups = members(await world.store.load("big"))
    assert len(groups) == 200 and sorted(m for g in groups for m in g) == sorted(people)


def test_a_late_joiner_is_placed_while_a_partner_is_gone_within_the_grace_period() -> None:
    from exercises.reducer import reduce
    from orchestrator.grouping import late_placement

    state = PassState(id="p1", program="g", script=demo_class(), main_room="m")
    for pid in ("a", "b", "c", "d"):
        state, _ = reduce(state, ev.Join(Member(pid, pid.upper())), 0)
    for event in (ev.Start(), ev.Next(), ev.Next()):
        state, _ = reduce(state, event, 1)
    state, _ = reduce(state, ev.OpenBreakouts(((("a", "b"), ()), (("c", "d"), ()))), 2)
    state, _ = reduce(state, ev.Leave("b"), 3)  # a reload: b is still in the group for now
    late = Member("e", "E")
    plan = late_placement(state, late, [], 4)
    assert plan is not None, "the engine sees the group as it is, leaver included"
    state, _ = reduce(state, ev.Join(late, placement=plan), 4)
    assert state.breakout is not None
    group = next(g for g in state.breakout.groups if "e" in g.members)
    assert group.members[-1] == "e", "the late joiner comes last: nobody else changes role"
    assert "late-joiner" in group.reasons
