"""What participants do, through the services in-process: joins and leaves
(in the order they were asked for), answers stored once, help requests.

The same behaviour is run against the real Redis and Socket.IO in
tests/integration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import pytest

from exercises import events as ev
from exercises.demo import demo_class
from exercises.errors import IllegalCommand
from exercises.state import Member
from orchestrator.commands import PlanBreakouts, ResolveHelp
from orchestrator.errors import NotFound
from orchestrator.ports import Applied
from tests.orchestrator.world import PEOPLE, World


@pytest.fixture
def world() -> World:
    return World()


async def test_joins_and_leaves_send_participants_no_view_and_a_change_they_see_does(
        world: World) -> None:
    state = await world.services.passes.create_pass(demo_class(), program="gym")
    crowd = [Member(f"p{i:03d}", f"Person {i}") for i in range(5)]
    for member in crowd:
        await world.services.participants.invite(state.id, member)
    world.notifier.sent.clear()
    for member in crowd:
        await world.services.participants.join(state.id, member.id)
    await world.services.participants.leave(state.id, crowd[0].id)
    assert world.notifier.of("state") == [], "they see no roster and no head count"
    assert world.notifier.of("facilitator")[-1].state.present == {m.id for m in crowd[1:]}
    await world.command(state.id, ev.Start())
    assert [v.state.step_index for v in world.notifier.of("state")] == [0]


async def _in_order(first: Coroutine[Any, Any, Any], second: Coroutine[Any, Any, Any],
                    held: asyncio.Event, gate: asyncio.Event) -> None:
    """Ask for ``first`` and then ``second``; once ``first`` is held in its slowed write
    (``held``: ``second``, started in the same turn of the loop, has run as far as it
    can by then), let it go on (``gate``) and wait for both."""
    tasks = [asyncio.ensure_future(first), asyncio.ensure_future(second)]
    await held.wait()
    gate.set()
    await asyncio.gather(*tasks)


async def test_a_reconnect_whose_leave_is_slow_leaves_the_person_present(world: World) -> None:
    # A page reload: the old socket's leave is asked for first, the new socket's
    # join right after, and the leave's first write is the slower one.
    pass_id = await world.pass_with_everyone()
    anna = PEOPLE[0].id
    gate, held = asyncio.Event(), asyncio.Event()
    mark_left = world.store.mark_left

    async def slow_mark_left(pass_id: str, person_id: str, at: float) -> None:
        held.set()
        await gate.wait()
        await mark_left(pass_id, person_id, at)

    world.store.mark_left = slow_mark_left  # type: ignore[method-assign]
    await _in_order(world.services.participants.leave(pass_id, anna),
                    world.services.participants.join(pass_id, anna), held, gate)
    assert anna in (await world.store.load(pass_id)).present
    assert world.store.presence_logs[pass_id][anna].since is not None, "their stay is open again"


async def test_a_leave_right_after_a_slow_join_leaves_the_person_gone(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    anna = PEOPLE[0].id
    await world.services.participants.leave(pass_id, anna)
    gate, held = asyncio.Event(), asyncio.Event()
    update = world.store.update

    async def slow_join_write(*args: Any, **kwargs: Any) -> Applied:
        if kwargs.get("attending") is not None:
            held.set()
            await gate.wait()
        return await update(*args, **kwargs)

    world.store.update = slow_join_write  # type: ignore[method-assign]
    await _in_order(world.services.participants.join(pass_id, anna),
                    world.services.participants.leave(pass_id, anna), held, gate)
    assert anna not in (await world.store.load(pass_id)).present
    assert world.store.presence_logs[pass_id][anna].since is None, "their stay is closed"


async def test_an_answer_is_stored_once_and_its_retry_is_recognised(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    await world.command(pass_id, ev.Start())
    answer = world.services.participants.answer
    value = {"energy": 4, "word": "glad"}
    assert await answer(pass_id, "p-anna", "check-in", "c1", value) is True
    assert await answer(pass_id, "p-anna", "check-in", "c1", value) is False
    assert (await world.store.answers(pass_id, "check-in"))["p-anna"]["cid"] == "c1"
    journal = await world.services.people.journal("p-anna")
    assert [(e.kind, dict(e.value)) for e in journal] == [("check-in", value)]
    with pytest.raises(IllegalCommand) as wrong:
        await answer(pass_id, "p-anna", "check-out", "c2", {"word": "tack"})
    assert wrong.value.code == "wrong_step"


async def test_an_answer_cut_off_between_its_two_writes_is_finished_by_its_retry(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Redis went away after the answer, before its journal entry: the page was refused
    ("try again") and sends it again with the same client id, which completes it."""
    pass_id = await world.pass_with_everyone()
    await world.command(pass_id, ev.Start())
    real, attempts = world.store.journal_put, []

    async def away_once(person_id: str, key: str, entry: object) -> None:
        attempts.append(key)
        if len(attempts) == 1:
            raise ConnectionError("the live store went away")
        await real(person_id, key, entry)  # type: ignore[arg-type]

    monkeypatch.setattr(world.store, "journal_put", away_once)
    answer, value = world.services.participants.answer, {"energy": 2, "word": "trött"}
    with pytest.raises(ConnectionError):  # the edge refuses it with try_again
        await answer(pass_id, "p-anna", "check-in", "c1", value)
    assert await world.services.people.journal("p-anna") == []
    assert await answer(pass_id, "p-anna", "check-in", "c1", value) is False, "no duplicate"
    journal = await world.services.people.journal("p-anna")
    assert [(e.kind, dict(e.value)) for e in journal] == [("check-in", value)]
    assert (await world.store.answers(pass_id, "check-in"))["p-anna"]["cid"] == "c1"


async def test_help_requests_are_kept_with_their_group_number_until_marked_done(
        world: World) -> None:
    pass_id = await world.pass_with_everyone()
    for command in (ev.Start(), ev.Next(), ev.Next(), PlanBreakouts()):
        await world.command(pass_id, command)
    await world.services.participants.ask_help(pass_id, "p-anna", "Ljudet hackar")
    (request,) = await world.store.helps(pass_id)
    state = await world.store.load(pass_id)
    assert state.breakout is not None
    number = next(i + 1 for i, g in enumerate(state.breakout.groups) if "p-anna" in g.members)
    assert (request.name, request.text, request.group, request.done) == \
        ("Anna", "Ljudet hackar", number, False)
    # A reload of the panel finds it, with the recent alerts of this pass.
    snapshot = await world.services.publisher.facilitator_snapshot(pass_id)
    assert [h.id for h in snapshot.helps] == [request.id] and snapshot.alerts == ()
    await world.command(pass_id, ResolveHelp(request.id))
    assert [h.done for h in await world.store.helps(pass_id)] == [True]
    assert world.notifier.of("facilitator")[-1].helps[0].done is True
    with pytest.raises(NotFound) as unknown:
        await world.command(pass_id, ResolveHelp("p-anna:1"))
    assert unknown.value.code == "unknown_help"
