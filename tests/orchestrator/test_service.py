"""The application's services in-process, with small fakes at the ports.

These run in milliseconds and pin what the services decide and send: the
read models each role receives, tokens that name exactly one room, refusals
that change nothing. The same behaviour is run against the real Redis,
LiveKit and Socket.IO in tests/integration.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import pytest

from exercises import events as ev
from exercises.demo import demo_class
from exercises.errors import IllegalCommand
from exercises.script import ClassScript, Visibility
from exercises.state import Member, Phase
from orchestrator.codec import to_plain
from orchestrator.commands import EditStepText, JoinRoom, PlanBreakouts
from orchestrator.errors import AuthError, BadRequest, ServiceError
from orchestrator.publishing import BURST_INTERVAL_S, VIEW_COST_RATIO, VIEW_INTERVAL_MAX_S
from orchestrator.readmodels import (
    AlertCode,
    Assignment,
    FacilitatorView,
    PlacementKind,
    RoomAccess,
)
from orchestrator.tickets import Kind
from tests.orchestrator.world import PEOPLE, World
from tests.waiting import eventually


@pytest.fixture
def world() -> World:
    return World()


async def test_opening_breakouts_sends_each_person_a_token_for_exactly_their_room(
        world: World) -> None:
    pass_id = await world.pass_with_everyone()
    for command in (ev.Start(), ev.Next(), ev.Next()):
        await world.command(pass_id, command)
    world.notifier.sent.clear()

    version = await world.command(pass_id, PlanBreakouts())

    state = await world.store.load(pass_id)
    assert state.breakout is not None and version == state.version
    assignments: list[Assignment] = world.notifier.of("assignment")
    assert sorted(a.person_id for a in assignments) == sorted(m.id for m in PEOPLE)
    for a in assignments:
        assert a.placement.kind is PlacementKind.BREAKOUT
        assert a.token == f"token:{a.placement.room}:{a.person_id}:120"
        assert a.placement.room in world.sfu.rooms_open
        assert a.person_id in [m.id for m in a.placement.members]
    assert {g.room for g in state.breakout.groups} == set(world.sfu.rooms_open) - {state.main_room}
    assert len(await world.store.history("gym")) == 2, "two pairs were remembered"


async def test_a_room_that_fails_unexpectedly_still_leaves_everyone_told_where_to_go(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    pass_id = await world.pass_with_everyone()
    for command in (ev.Start(), ev.Next(), ev.Next()):
        await world.command(pass_id, command)
    world.notifier.sent.clear()
    create_room = world.sfu.create_room
    broken: list[str] = []

    async def one_room_breaks(name: str, max_participants: int) -> None:
        # Made ahead or when the round opens, one breakout room always fails.
        if name != (await world.store.load(pass_id)).main_room and broken in ([], [name]):
            broken[:] = [name]
            raise RuntimeError("the client library broke")
        await create_room(name, max_participants)

    world.sfu.create_room = one_room_breaks  # type: ignore[method-assign]
    async with asyncio.timeout(10):  # before, the opening waited for that room forever
        await world.command(pass_id, PlanBreakouts())
    assignments: list[Assignment] = world.notifier.of("assignment")
    assert sorted(a.person_id for a in assignments) == sorted(m.id for m in PEOPLE)
    assert broken and any(r.levelname == "ERROR" and getattr(r, "effect", "") == "CreateRooms"
                          for r in caplog.records)


async def _rooms_made_ahead(world: World) -> None:
    await world.services.passes.ahead.tasks.drain(30)


async def test_the_next_rounds_rooms_are_made_while_the_pass_waits_and_opening_uses_them(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    pass_id = await world.pass_with_everyone()
    for command in (ev.Start(), ev.Next(), ev.Next()):
        await world.command(pass_id, command)
    await _rooms_made_ahead(world)
    r1 = {f"onlive_{pass_id}_r1_g1": 3, f"onlive_{pass_id}_r1_g2": 3}
    assert {k: v for k, v in world.sfu.rooms_open.items() if "_r1_" in k} == r1
    created: list[str] = []
    real_create = world.sfu.create_room

    async def counting(name: str, max_participants: int) -> None:
        created.append(name)
        await real_create(name, max_participants)

    monkeypatch.setattr(world.sfu, "create_room", counting)
    world.notifier.sent.clear()
    await world.command(pass_id, PlanBreakouts())
    assert created == [], "the rooms were there already"
    rooms = {a.placement.room for a in world.notifier.of("assignment")}
    assert rooms == set(r1)
    # Recalled: the second round's rooms are made while the pass waits again.
    await world.command(pass_id, ev.Recall(0))
    await world.services.passes.tick(pass_id)
    await _rooms_made_ahead(world)
    assert {k: v for k, v in world.sfu.rooms_open.items() if "_r2_" in k} == {
        f"onlive_{pass_id}_r2_g1": 3, f"onlive_{pass_id}_r2_g2": 3}


async def test_a_room_made_ahead_with_other_seats_is_made_again_and_unused_ones_closed(
        world: World) -> None:
    pass_id = await world.pass_with_everyone()
    for command in (ev.Start(), ev.Next(), ev.Next()):
        await world.command(pass_id, command)
    await _rooms_made_ahead(world)
    g1 = f"onlive_{pass_id}_r1_g1"
    world.sfu.rooms_open[g1] = 9  # as if another worker had guessed otherwise
    spare = f"onlive_{pass_id}_r1_g2"
    await world.services.participants.leave(pass_id, "p-dan")
    await world.services.participants.leave(pass_id, "p-cia")
    await world.command(pass_id, PlanBreakouts())
    await _rooms_made_ahead(world)
    state = await world.store.load(pass_id)
    assert state.breakout is not None and [g.room for g in state.breakout.groups] == [g1]
    assert world.sfu.rooms_open[g1] == 3 and g1 in world.sfu.deleted, "closed, made again"
    assert spare not in world.sfu.rooms_open, "the room nobody got is closed"


async def test_rooms_made_ahead_are_closed_when_the_pass_moves_on_without_opening(
        world: World) -> None:
    pass_id = await world.pass_with_everyone()
    for command in (ev.Start(), ev.Next(), ev.Next()):
        await world.command(pass_id, command)
    await _rooms_made_ahead(world)
    assert any("_r1_" in room for room in world.sfu.rooms_open)
    await world.command(pass_id, ev.Next())
    await _rooms_made_ahead(world)
    assert not any("_r1_" in room for room in world.sfu.rooms_open)


async def test_a_refused_command_changes_nothing_and_sends_nothing(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    before = await world.store.load(pass_id)
    world.notifier.sent.clear()
    with pytest.raises(IllegalCommand, match="cannot go to the next step now: the pass is lobby"):
        await world.command(pass_id, ev.Next())
    assert await world.store.load(pass_id) == before
    assert world.notifier.sent == []
    assert world.store.pass_audits[pass_id] == []


async def test_every_change_is_published_once_with_its_version(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    world.notifier.sent.clear()
    await world.command(pass_id, ev.Start())
    await world.command(pass_id, ev.Extend(60))
    states = world.notifier.of("state")
    assert [v.state.version for v in states] == [5, 6]
    assert world.notifier.of("facilitator")[-1].state.version == 6
    assert [a["command"] for a in world.store.pass_audits[pass_id]] == ["start", "extend"]


async def test_a_draining_worker_refuses_new_writes_with_a_code(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    assert await world.services.passes.drain(timeout=1)
    with pytest.raises(ServiceError) as refused:
        await world.command(pass_id, ev.Start())
    assert refused.value.code == "shutting_down"
    assert (await world.store.load(pass_id)).phase is Phase.LOBBY


async def test_a_facilitator_gets_a_token_only_for_a_room_of_their_pass(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    main = (await world.store.load(pass_id)).main_room
    access = await world.command(pass_id, JoinRoom(main))
    assert isinstance(access, RoomAccess) and access.token.startswith(f"token:{main}:")
    with pytest.raises(BadRequest) as refused:
        await world.command(pass_id, JoinRoom("onlive_other_main"))
    assert refused.value.code == "unknown_room"


async def test_a_step_edit_is_checked_like_a_class_file(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    await world.command(pass_id, EditStepText("input", title_sv="Ny rubrik", duration="4m"))
    step = (await world.store.load(pass_id)).script.steps[1]
    assert (step.title.sv, step.duration) == ("Ny rubrik", 240.0)
    with pytest.raises(BadRequest) as refused:
        await world.command(pass_id, EditStepText("input", duration="soon"))
    assert refused.value.code == "invalid_edit" and "duration" in refused.value.message


async def test_credentials_are_for_one_role_and_one_pass(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    access = world.services.access
    ticket = await world.services.participants.invite(pass_id, PEOPLE[0])
    claims = access.verify(ticket, Kind.PARTICIPANT)
    assert (claims.pass_id, claims.subject) == (pass_id, "p-anna")
    with pytest.raises(AuthError):
        access.verify(ticket, Kind.FACILITATOR)
    world.clock.advance(world.services.settings.ticket_ttl + 1)
    with pytest.raises(AuthError) as expired:
        access.verify(ticket, Kind.PARTICIPANT)
    assert expired.value.code == "expired_credential"


async def test_an_egress_webhook_closes_the_room_and_alerts_ops_and_facilitators(
        world: World) -> None:
    pass_id = await world.pass_with_everyone()
    main = (await world.store.load(pass_id)).main_room
    await world.services.rooms.receive(f"egress_started {main} -", "signed")
    assert main in world.sfu.deleted
    (alert,) = world.notifier.of("alert")
    assert (alert.code, alert.pass_id, alert.detail["room"]) == ("recording_attempt", pass_id,
                                                                 main)
    assert alert.detail["reason"] == "egress", "the pages' words for why it was closed"
    assert world.store.audits[-1]["action"] == "recording_alarm"
    with pytest.raises(AuthError):
        await world.services.rooms.receive(f"egress_started {main} -", "forged")


async def test_the_events_livekit_is_told_not_to_send_change_nothing_when_they_come(
        world: World) -> None:
    from orchestrator.root.procs import IGNORED_WEBHOOKS

    pass_id = await world.pass_with_everyone()
    main = (await world.store.load(pass_id)).main_room
    await world.services.rooms.receive(f"participant_joined {main} p-anna", "signed")
    presence = await world.store.presence(pass_id)
    world.notifier.sent.clear()
    for event in IGNORED_WEBHOOKS:  # a move: the old room's tracks go, the new room's come
        await world.services.rooms.receive(f"{event} {main} p-anna", "signed")
        await world.services.rooms.receive(f"{event} {main} p-bo", "signed")
    assert await world.store.presence(pass_id) == presence == {"p-anna": main}
    assert world.notifier.sent == [] and world.sfu.deleted == [] and world.sfu.removed == []


async def test_a_webhook_seen_before_or_created_long_ago_is_refused(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    main = (await world.store.load(pass_id)).main_room
    now = world.clock()
    await world.services.rooms.receive(f"participant_joined {main} p-anna EV_1 {now}", "signed")
    refusals = []
    for body in (f"participant_joined {main} p-anna EV_1 {now}",
                 f"egress_started {main} - EV_2 {now - 301}",
                 f"egress_started {main} -  {now}"):
        with pytest.raises(AuthError) as refused:
            await world.services.rooms.receive(body, "signed")
        refusals.append(refused.value.code)
    assert refusals == ["webhook_replay"] * 3
    assert main not in world.sfu.deleted and not world.notifier.of("alert")


async def test_erasing_a_person_is_final_and_leaves_only_a_pseudonym(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    await world.command(pass_id, ev.Start())
    await world.services.participants.answer(pass_id, "p-anna", "check-in", "c1",
                                             {"energy": 3, "word": "lugn"})
    await world.services.participants.set_quality(pass_id, "p-anna", "poor")
    name = (await world.store.person("p-anna")).name
    await world.store.alert(AlertCode.PARTICIPANT_ALONE, f"{name} is alone", person_id="p-anna")
    ticket = world.services.access.participant_ticket(pass_id, "p-anna")
    done = await world.services.people.erase("p-anna")
    assert done["passes"] == 1 and done["records"] >= 3
    exported = await world.services.people.export("p-anna")
    assert exported.person is None and exported.answers == {} and exported.journal == ()
    assert exported.passes == ()
    state = await world.store.load(pass_id)
    assert "p-anna" not in repr(to_plain(state)) and name not in repr(to_plain(state))
    (pseudonym,) = [m for m in state.roster.values() if m.name == "–"]
    assert pseudonym.id.startswith("erased-") and pseudonym.id in state.present
    assert "p-anna" not in await world.store.qualities(pass_id)
    assert world.store.alerts == [] and "p-anna" not in repr(world.store.audits)
    assert (state.main_room, "p-anna") in world.sfu.removed
    (dropped,) = world.notifier.of("drop")
    assert dropped == [world.services.access.holder(Kind.PARTICIPANT, "p-anna")]
    with pytest.raises(AuthError) as refused:
        await world.services.access.admit(ticket, Kind.PARTICIPANT)
    assert refused.value.code == "revoked_credential"


async def test_joining_a_room_one_is_not_assigned_to_removes_them_and_tells_ops(
        world: World) -> None:
    pass_id = await world.pass_with_everyone()
    for command in (ev.Start(), ev.Next(), ev.Next(), PlanBreakouts()):
        await world.command(pass_id, command)
    state = await world.store.load(pass_id)
    assert state.breakout is not None
    mine, other = state.breakout.groups
    person, stranger = mine.members[0], other.members[0]
    world.notifier.sent.clear()
    for identity, room in ((person, mine.room), ("facilitator-fac", other.room),
                           ("facilitator-fac", state.main_room)):
        await world.services.rooms.receive(f"participant_joined {room} {identity}", "signed")
    assert world.sfu.removed == [] and world.notifier.of("alert") == []
    assert (await world.store.presence(pass_id))[person] == mine.room

    for identity, room in ((stranger, mine.room), (person, state.main_room),
                           ("p-unknown", other.room)):
        await world.services.rooms.receive(f"participant_joined {room} {identity}", "signed")
    assert world.sfu.removed == [(mine.room, stranger), (state.main_room, person),
                                 (other.room, "p-unknown")]
    alerts = world.notifier.of("alert")
    assert [(a.code, a.detail["person_id"], a.detail["room"]) for a in alerts] == [
        ("room_not_assigned", stranger, mine.room), ("room_not_assigned", person, state.main_room),
        ("room_not_assigned", "p-unknown", other.room)]
    assert all(a.pass_id == pass_id for a in alerts)
    assert (await world.store.presence(pass_id)).get(stranger) != mine.room


async def test_the_tick_fires_a_due_timer_once_and_clears_it(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    await world.command(pass_id, ev.Start())
    due = await world.store.deadline_of(pass_id)
    assert due == world.clock.now + 120
    world.clock.advance(121)
    await world.services.passes.tick(pass_id)
    state = await world.store.load(pass_id)
    assert state.time_up
    assert [c.kind for c in world.notifier.of("cue")] == ["time-up"]
    assert await world.store.deadline_of(pass_id) is None
    await world.services.passes.tick(pass_id)
    assert len(world.notifier.of("cue")) == 1, "a second tick has nothing left to fire"


async def test_time_extended_as_it_runs_out_keeps_its_new_deadline(world: World) -> None:
    # The tick that says "time is up" and the facilitator's "+1 min" are stored
    # one after the other; the tick's cue is slow to go out, so its effects end last.
    pass_id = await world.pass_with_everyone()
    await world.command(pass_id, ev.Start())
    world.clock.advance(121)
    gate = asyncio.Event()
    cue = world.notifier.cue

    async def slow_time_up(notice: Any) -> None:
        if notice.kind == "time-up":
            await gate.wait()
        await cue(notice)

    world.notifier.cue = slow_time_up  # type: ignore[method-assign,assignment]
    ticking = asyncio.ensure_future(world.services.passes.tick(pass_id))
    await eventually(lambda: world.store.passes[pass_id].time_up, what="time is up")
    await world.command(pass_id, ev.Extend(60))
    gate.set()
    await ticking
    state = await world.store.load(pass_id)
    assert not state.time_up and state.deadline == world.clock.now + 60
    assert await world.store.deadline_of(pass_id) == state.deadline, "the timer is kept"


def _check_in_seen_by(visibility: Visibility) -> ClassScript:
    script = demo_class()
    return replace(script, steps=(replace(script.steps[0], visibility=visibility),)
                   + script.steps[1:])


async def test_a_small_class_sees_its_plenary_answers_from_the_first_one(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    await world.command(pass_id, ev.Start())
    await world.services.participants.answer(pass_id, "p-anna", "check-in", "c1",
                                             {"energy": 4, "word": "pigg"})
    shared = world.notifier.of("results")[-1]
    assert shared.results["count"] == 1 and shared.results["words"][0]["word"] == "pigg"
    snap = await world.services.publisher.participant_snapshot(pass_id, "p-bo")
    assert snap.results is not None and snap.results["energy"] == [0, 0, 0, 1, 0]


async def test_a_burst_of_joins_sends_facilitators_a_few_views_ending_on_the_last(
        world: World) -> None:
    world.services.publisher.burst_interval = BURST_INTERVAL_S
    state = await world.services.passes.create_pass(demo_class(), program="gym")
    crowd = [Member(f"p{i:03d}", f"Person {i}") for i in range(60)]
    for member in crowd:
        await world.services.participants.invite(state.id, member)
    world.notifier.sent.clear()
    started = time.monotonic()
    for member in crowd:
        await world.services.participants.join(state.id, member.id)
    last = (await world.store.load(state.id)).version
    await eventually(lambda: world.notifier.of("facilitator")[-1].state.version == last,
                     what="the facilitators' view reaches the last join")
    took = time.monotonic() - started
    views = world.notifier.of("facilitator")
    assert len(views) <= 2 + took / BURST_INTERVAL_S, "the first at once, then one an interval"
    assert views[0].state.version == last - len(crowd) + 1, "the first join's at once"
    assert views[-1].state.present == {m.id for m in crowd}


async def test_facilitator_views_that_take_long_follow_each_other_less_often(
        world: World) -> None:
    publisher = world.services.publisher
    publisher.burst_interval = BURST_INTERVAL_S
    state = await world.services.passes.create_pass(demo_class(), program="gym")
    crowd = [Member(f"p{i:03d}", f"Person {i}") for i in range(20)]
    for member in crowd:
        await world.services.participants.invite(state.id, member)
    send = world.notifier.facilitator
    cost = 0.05  # a view of a large pass on a busy worker
    began: list[float] = []

    async def slow(view: FacilitatorView) -> None:
        began.append(time.monotonic())
        await asyncio.sleep(cost)  # stands for the time the view takes to build and send
        await send(view)

    world.notifier.facilitator = slow  # type: ignore[method-assign]
    world.notifier.sent.clear()
    for member in crowd:
        await world.services.participants.join(state.id, member.id)
    last = (await world.store.load(state.id)).version
    await eventually(lambda: world.notifier.of("facilitator")[-1].state.version == last,
                     what="the facilitators' view reaches the last join")
    spacing = min(VIEW_INTERVAL_MAX_S, VIEW_COST_RATIO * cost)
    assert spacing > 2 * BURST_INTERVAL_S
    assert len(began) >= 2, "the first join's view at once, the rest in a later one"
    gaps = [b - a for a, b in zip(began, began[1:])]
    assert min(gaps) >= spacing, (gaps, spacing)
    assert world.notifier.of("facilitator")[-1].state.present == {m.id for m in crowd}


async def test_plenary_results_go_to_the_room_when_they_can_have_changed_only(
        world: World) -> None:
    pass_id = await world.pass_with_everyone()
    await world.command(pass_id, ev.Start())
    assert [r.results["count"] for r in world.notifier.of("results")] == [0], "the new step's"
    await world.services.participants.answer(pass_id, "p-anna", "check-in", "c1",
                                             {"energy": 4, "word": "pigg"})
    await world.command(pass_id, ev.Extend(60))
    await world.command(pass_id, ev.Pause())
    await world.services.participants.answer(pass_id, "p-bo", "check-in", "c2",
                                             {"energy": 2, "word": "trött"})
    assert [r.results["count"] for r in world.notifier.of("results")] == [0, 1, 2]
    assert len(world.notifier.of("facilitator")) >= 5, "facilitators saw every change"


@pytest.mark.parametrize(("threshold", "expected"), [
    (5, {"count": None, "suppressed": True, "threshold": 5, "needed": 3}),
    (2, {"count": 2, "suppressed": False}),
])
async def test_leadership_answers_are_held_back_live_saying_how_many_more_are_needed(
        threshold: int, expected: dict[str, object]) -> None:
    world = World(threshold)
    pass_id = await world.pass_with_everyone(_check_in_seen_by(Visibility.LEADERSHIP))
    await world.command(pass_id, ev.Start())
    for i, person in enumerate(("p-anna", "p-bo")):
        await world.services.participants.answer(pass_id, person, "check-in", f"c{i}",
                                                 {"energy": 3, "word": "ok"})
    view = world.notifier.of("facilitator")[-1]
    assert view.results == {"step": "check-in", "kind": "check-in", "visibility": "leadership",
                            **expected}
    assert world.notifier.of("results") == [], "leadership answers never go to the room"


async def test_a_facilitator_dropping_in_is_announced_in_that_room_only(world: World) -> None:
    pass_id = await world.pass_with_everyone()
    for command in (ev.Start(), ev.Next(), ev.Next(), PlanBreakouts()):
        await world.command(pass_id, command)
    state = await world.store.load(pass_id)
    assert state.breakout is not None
    room = state.breakout.groups[1].room
    await world.command(pass_id, JoinRoom(room))
    await world.command(pass_id, JoinRoom(state.main_room))
    cues = world.notifier.of("cue", lambda c: c.kind == "facilitator-joined")
    assert [c.rooms for c in cues] == [(room,)]
    assert cues[0].text.sv == "Facilitatorn har gått in i ert rum"
