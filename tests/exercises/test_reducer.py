"""The pass reducer, asserted as whole transition histories with an injected clock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

import breakout
from breakout import Meeting
from exercises import events as ev
from exercises.demo import demo_class
from exercises.effects import CloseRooms, CreateRooms, Cue, RemoveFromRoom, ScheduleTimer, SendAssignments
from exercises.errors import IllegalCommand
from exercises.reducer import next_deadline, reduce
from exercises.state import Member, PassState


def fresh(n: int = 7) -> PassState:
    state = PassState(id="p1", program="gym", script=demo_class(), main_room="onlive_p1_main")
    for i in range(n):
        state, _ = reduce(state, ev.Join(Member(f"u{i}", f"U{i}")), 0.0)
    return state


def summary(effects: list[Any]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for e in effects:
        if isinstance(e, Cue):
            out.append(("cue", e.kind, e.turn))
        elif isinstance(e, ScheduleTimer):
            out.append(("timer", e.at))
        elif isinstance(e, CreateRooms):
            out.append(("create", tuple((r.name, r.max_participants) for r in e.rooms)))
        elif isinstance(e, CloseRooms):
            out.append(("close", e.rooms))
        elif isinstance(e, SendAssignments):
            out.append(("assign", len(e.person_ids)))
        elif isinstance(e, RemoveFromRoom):
            out.append(("remove", e.room, e.person_id))
    return out


def run(state: PassState, script: list[tuple[float, ev.Event]]) -> tuple[PassState, list[Any]]:
    history: list[tuple[Any, ...]] = []
    for now, event in script:
        try:
            state, effects = reduce(state, event, now)
            history.append((now, type(event).__name__, state.describe(), state.version,
                            summary(effects)))
        except IllegalCommand as error:
            history.append((now, type(event).__name__, "refused", str(error)))
    return state, history


def rotate_groups(person_ids: Sequence[str], size: int, round_no: int) -> tuple[tuple[str, ...], ...]:
    """Groups of ``size`` from the sorted ids turned by ``round_no``; leftovers join the last groups."""
    ids = sorted(person_ids)
    shift = round_no % len(ids)
    ids = ids[shift:] + ids[:shift]
    count = max(1, len(ids) // size)
    groups = [ids[i * size:(i + 1) * size] for i in range(count)]
    for i, person in enumerate(ids[count * size:]):
        groups[-1 - (i % count)].append(person)
    return tuple(tuple(g) for g in groups)


def groups_of(state: PassState) -> ev.OpenBreakouts:
    return ev.OpenBreakouts(tuple((g, ("new-contact",)) for g in
                                  rotate_groups(sorted(state.present), 2, 1)))


def test_a_whole_pass_from_lobby_to_end() -> None:
    state = fresh()
    state, history = run(state, [(10, ev.Start()), (20, ev.Next()), (30, ev.Next())])
    state, more = run(state, [(40, groups_of(state)), (45, ev.Broadcast("Två minuter kvar")),
                              (50, ev.Recall(30)), (80, ev.Tick()), (90, ev.Next()),
                              (100, ev.Next()), (110, ev.End())])
    assert history + more == [
        (10, "Start", "running step 1/5 'check-in' (check-in)", 8,
         [("assign", 7), ("timer", 130)]),
        (20, "Next", "running step 2/5 'input' (input)", 9, [("timer", 320)]),
        (30, "Next", "running step 3/5 'pairs' (breakout)", 10, [("timer", None)]),
        (40, "OpenBreakouts", "running step 3/5 'pairs' (breakout), breakout rooms open", 11,
         [("create", (("onlive_p1_r1_g1", 3), ("onlive_p1_r1_g2", 3), ("onlive_p1_r1_g3", 4))),
          ("assign", 7), ("timer", 205.0)]),
        (45, "Broadcast", "running step 3/5 'pairs' (breakout), breakout rooms open", 12, []),
        (50, "Recall", "running step 3/5 'pairs' (breakout), breakout rooms recalling", 13,
         [("cue", "recall", None), ("timer", 80)]),
        (80, "Tick", "running step 3/5 'pairs' (breakout)", 14,
         [("assign", 7), ("close", ("onlive_p1_r1_g1", "onlive_p1_r1_g2", "onlive_p1_r1_g3")),
          ("timer", None)]),
        (90, "Next", "running step 4/5 'reflection' (reflection)", 15, [("timer", 270)]),
        (100, "Next", "running step 5/5 'check-out' (check-out)", 16, [("timer", 160)]),
        (110, "End", "ended", 17, [("assign", 7), ("close", ("onlive_p1_main",)),
                                   ("timer", None)]),
    ]


def test_role_rotation_warns_switches_and_recalls_on_time() -> None:
    state = fresh(4)
    state, _ = run(state, [(0, ev.Start()), (0, ev.Next()), (0, ev.Next())])
    state, history = run(state, [(100, groups_of(state))] + [
        (t, ev.Tick()) for t in (200, 265, 266, 280, 445, 460, 580, 610)])
    cues = [(now, effects) for now, name, *_, effects in history if name == "Tick"]
    assert cues == [
        (200, []),  # nothing is due yet: no change, no version bump
        (265, [("cue", "turn-warning", 0), ("timer", 280.0)]),
        (266, []),
        (280, [("cue", "switch-roles", 1), ("timer", 445.0)]),
        (445, [("cue", "turn-warning", 1), ("timer", 460.0)]),
        (460, [("timer", 580.0)]),  # the last turn ends without a switch
        (580, [("cue", "recall", None), ("timer", 610.0)]),
        (610, [("assign", 4), ("close", ("onlive_p1_r1_g1", "onlive_p1_r1_g2")),
               ("timer", None)]),
    ]


def test_pause_freezes_every_deadline_and_resume_shifts_them() -> None:
    state = fresh(2)
    state, _ = run(state, [(0, ev.Start())])
    assert state.deadline == 120
    state, history = run(state, [(30, ev.Pause()), (200, ev.Tick()), (100, ev.Resume()),
                                 (189, ev.Tick()), (190, ev.Tick())])
    assert [(h[1], h[3] if h[2] != "refused" else None, h[-1]) for h in history] == [
        ("Pause", 4, [("timer", None)]),
        ("Tick", 4, []),  # paused: nothing fires
        ("Resume", 5, [("timer", 190)]),
        ("Tick", 5, []),
        ("Tick", 6, [("cue", "time-up", None), ("timer", None)]),
    ]


def test_illegal_commands_name_the_current_state_and_change_nothing() -> None:
    state = fresh(3)
    cases: list[tuple[ev.Event, str]] = [
        (ev.Next(), "cannot go to the next step now: the pass is lobby"),
        (ev.Recall(), "cannot recall (no breakout rooms are open) now: the pass is lobby"),
        (ev.Extend(60), "cannot extend the timer now: the pass is lobby"),
    ]
    for event, expected in cases:
        with pytest.raises(IllegalCommand) as error:
            reduce(state, event, 1.0)
        assert str(error.value) == expected
    state, _ = reduce(state, ev.Start(), 1.0)
    with pytest.raises(IllegalCommand, match="breakout.*running step 1/5 'check-in'"):
        reduce(state, ev.OpenBreakouts((("u0", "u1"), ()),), 2.0)  # type: ignore[arg-type]
    with pytest.raises(IllegalCommand, match="1 to 3600 seconds"):
        reduce(state, ev.Extend(99999), 2.0)
    with pytest.raises(IllegalCommand, match="first step"):
        reduce(state, ev.Back(), 2.0)


def test_next_is_refused_while_breakout_rooms_are_open() -> None:
    state = fresh(4)
    state, _ = run(state, [(0, ev.Start()), (0, ev.Next()), (0, ev.Next())])
    state, _ = run(state, [(1, groups_of(state))])
    with pytest.raises(IllegalCommand, match="recalled.*breakout rooms open"):
        reduce(state, ev.Next(), 2.0)


def test_extend_moves_the_breakout_deadline_and_the_recall_countdown() -> None:
    state = fresh(4)
    state, _ = run(state, [(0, ev.Start()), (0, ev.Next()), (0, ev.Next())])
    state, history = run(state, [(0, groups_of(state)), (10, ev.Extend(60)), (20, ev.Recall(30)),
                                 (30, ev.Extend(15))])
    assert [h[-1] for h in history] == [
        [("create", (("onlive_p1_r1_g1", 3), ("onlive_p1_r1_g2", 3))), ("assign", 4),
         ("timer", 165.0)],
        [("cue", "extended", None)],  # the turn warning at 165 s stays the next deadline
        [("cue", "recall", None), ("timer", 50)],
        [("cue", "extended", None), ("timer", 65)],
    ]
    assert state.breakout is not None and state.breakout.deadline == 540


def test_an_extension_is_announced_in_every_room_with_its_minutes() -> None:
    state = fresh(4)
    state, _ = run(state, [(0, ev.Start())])
    _, effects = reduce(state, ev.Extend(120), 5)
    cue = next(e for e in effects if isinstance(e, Cue))
    assert (cue.kind, cue.rooms, dict(cue.params)) == ("extended", (), {"minutes": 2, "seconds": 120})
    assert cue.text.sv == "Tiden förlängdes 2 min"


def test_a_broadcast_reaches_every_room_of_the_round_also_after_a_move_and_for_late_joiners() -> None:
    state = fresh(5)
    state, _ = run(state, [(0, ev.Start()), (0, ev.Next()), (0, ev.Next())])
    state, _ = reduce(state, ev.OpenBreakouts(((("u0", "u1"), ()), (("u2", "u3", "u4"), ()))), 1)
    state, effects = reduce(state, ev.Broadcast("Två minuter kvar"), 2)
    assert effects == [] and state.message is not None and state.message.rooms == ()
    state, _ = reduce(state, ev.MovePerson("u4", 0), 3)  # a new room for group 1
    state, _ = reduce(state, ev.Join(Member("u9", "Late")), 4)
    assert state.message is not None and state.message.rooms == (), "still to every room"
    state, _ = run(state, [(5, ev.Recall(0))])
    assert state.message is None and state.recalled_step == "pairs"
    state, _ = reduce(state, ev.Next(), 6)
    assert state.recalled_step is None


def test_a_swap_exchanges_two_people_and_both_groups_keep_their_rooms() -> None:
    state = fresh(5)
    state, _ = run(state, [(0, ev.Start()), (0, ev.Next()), (0, ev.Next())])
    state, _ = reduce(state, ev.OpenBreakouts(((("u0", "u1"), ()), (("u2", "u3", "u4"), ()))), 1)
    rooms = state.breakout.rooms if state.breakout else ()
    state, effects = reduce(state, ev.SwapPeople("u0", "u3"), 2)
    assert state.breakout is not None
    assert [g.members for g in state.breakout.groups] == [("u3", "u1"), ("u2", "u0", "u4")]
    assert state.breakout.rooms == rooms
    assert all("moved" in g.reasons for g in state.breakout.groups)
    assert summary(effects) == [("remove", rooms[0], "u0"), ("remove", rooms[1], "u3"),
                                ("assign", 5)]


def test_refusals_of_moves_and_swaps_name_people_and_the_groups_as_the_board_numbers_them() -> None:
    state = fresh(5)
    state, _ = run(state, [(0, ev.Start()), (0, ev.Next()), (0, ev.Next())])
    state, _ = reduce(state, ev.OpenBreakouts(((("u0", "u1"), ()), (("u2", "u3", "u4"), ()))), 1)
    with pytest.raises(IllegalCommand) as alone:
        reduce(state, ev.MovePerson("u0", 1), 2)
    assert (alone.value.code, alone.value.message) == (
        "would_leave_alone", "moving U0 would leave someone alone in group 1; swap two people instead")
    with pytest.raises(IllegalCommand) as same:
        reduce(state, ev.SwapPeople("u2", "u4"), 2)
    assert same.value.code == "same_group" and "group 2" in same.value.message
    with pytest.raises(IllegalCommand) as nowhere:
        reduce(state, ev.MovePerson("u0", 7), 2)
    assert nowhere.value.code == "no_such_group" and "groups are 1 to 2" in nowhere.value.message


def test_moving_a_person_makes_a_trio_in_a_fresh_room() -> None:
    state = fresh(4)
    state, _ = run(state, [(0, ev.Start()), (0, ev.Next()), (0, ev.Next())])
    state, _ = run(state, [(0, ev.OpenBreakouts(((("u0", "u1"), ()), (("u2", "u3"), ()))))])
    with pytest.raises(IllegalCommand, match="alone"):
        reduce(state, ev.MovePerson("u0", 1), 1.0)
    state, _ = reduce(state, ev.Join(Member("u4", "U4")), 1.0)
    state, effects = reduce(state, ev.Join(Member("u5", "U5"), late_group=1), 2.0)
    assert summary(effects) == [
        ("create", (("onlive_p1_r1_g2_v1", 4),)), ("assign", 3), ("close", ("onlive_p1_r1_g2",))]
    assert state.breakout is not None
    assert state.breakout.groups[1].members == ("u2", "u3", "u5")


def test_a_retried_join_changes_nothing() -> None:
    state = fresh(2)
    again, effects = reduce(state, ev.Join(Member("u0", "U0")), 5.0)
    assert again is state and effects == []


def test_next_deadline_is_none_while_paused_or_idle() -> None:
    state = fresh(2)
    assert next_deadline(state) is None
    state, _ = reduce(state, ev.Start(), 0.0)
    assert next_deadline(state) == 120
    state, _ = reduce(state, ev.Pause(), 1.0)
    assert next_deadline(state) is None


def test_a_participant_gone_past_the_grace_period_is_regrouped_so_nobody_is_alone() -> None:
    state = fresh(5)
    state, _ = run(state, [(0, ev.Start()), (0, ev.Next()), (0, ev.Next())])
    state, _ = run(state, [(0, ev.OpenBreakouts(((("u0", "u1"), ()), (("u2", "u3", "u4"), ()))))])
    state, history = run(state, [(10, ev.Leave("u0")), (20, ev.Tick()), (30, ev.Tick())])
    assert [h[-1] for h in history] == [
        [("timer", 30.0)],  # the grace period ends before the turn warning
        [],
        # One move: u4 leaves the trio for u1's room, which has a free seat.
        [("remove", "onlive_p1_r1_g1", "u0"), ("assign", 4), ("timer", 165.0)],
    ]
    assert state.breakout is not None
    assert [(g.room, g.members) for g in state.breakout.groups] == [
        ("onlive_p1_r1_g1", ("u1", "u4")), ("onlive_p1_r1_g2", ("u2", "u3"))]


def test_a_participant_back_within_the_grace_period_keeps_their_group() -> None:
    state = fresh(4)
    state, _ = run(state, [(0, ev.Start()), (0, ev.Next()), (0, ev.Next())])
    state, _ = run(state, [(0, ev.OpenBreakouts(((("u0", "u1"), ()), (("u2", "u3"), ()))))])
    groups = state.breakout.groups if state.breakout else ()
    state, history = run(state, [(10, ev.Leave("u0")), (15, ev.Join(Member("u0", "U0"))),
                                 (40, ev.Tick())])
    assert [h[-1] for h in history] == [[("timer", 30.0)], [("timer", 165.0)], []]
    assert state.breakout is not None and state.breakout.groups == groups


def pass_of(members: Sequence[Member], groups: tuple[tuple[str, ...], ...]) -> PassState:
    """The demo class's pair step with ``groups`` open since time 0."""
    state = PassState(id="p1", program="gym", script=demo_class(), main_room="onlive_p1_main")
    for member in members:
        state, _ = reduce(state, ev.Join(member), 0.0)
    state, _ = run(state, [(0, ev.Start()), (0, ev.Next()), (0, ev.Next())])
    state, _ = run(state, [(0, ev.OpenBreakouts(tuple((g, ()) for g in groups)))])
    return state


def members_of(state: PassState) -> list[tuple[str, tuple[str, ...]]]:
    assert state.breakout is not None
    return [(g.room, g.members) for g in state.breakout.groups]


DEPARTMENTS = [Member("ann", "Ann", "hr"), Member("cat", "Cat", "it"), Member("eve", "Eve", "sales"),
               Member("fay", "Fay", "sales"), Member("gil", "Gil", "it"), Member("hal", "Hal", "hr")]


def test_a_leavers_partner_is_regrouped_away_from_an_earlier_partner_in_the_ticks_meetings() -> None:
    state = pass_of(DEPARTMENTS, (("ann", "cat"), ("eve", "fay"), ("gil", "hal")))
    state, _ = reduce(state, ev.Leave("ann"), 10.0)
    met = (Meeting("cat", "eve", "pass-0", -7 * 86400.0),)
    # Without the history (what every tick did before) cat joins the sales pair she met.
    blind, _ = reduce(state, ev.Tick(), 30.0)
    assert members_of(blind)[0] == ("onlive_p1_r1_g2_v1", ("eve", "fay", "cat"))
    regrouped, history = run(state, [(30, ev.Tick(met))])
    assert history[0][-1] == [("remove", "onlive_p1_r1_g1", "ann"),
                              ("create", (("onlive_p1_r1_g3_v1", 4),)), ("assign", 3),
                              ("close", ("onlive_p1_r1_g1", "onlive_p1_r1_g3")), ("timer", 165.0)]
    assert members_of(regrouped) == [("onlive_p1_r1_g2", ("eve", "fay")),
                                     ("onlive_p1_r1_g3_v1", ("gil", "hal", "cat"))]


def test_a_lone_manager_no_regroup_can_help_is_marked_alone_and_every_timer_still_fires() -> None:
    people = [Member("ann", "Ann"), Member("lea", "Lea"), Member("bob", "Bob", manager_id="ann"),
              Member("cid", "Cid", manager_id="ann")]
    state = pass_of(people, (("ann", "lea"), ("bob", "cid")))
    state, history = run(state, [(10, ev.Leave("lea")), (30, ev.Tick())])
    assert [h[-1] for h in history] == [
        [("timer", 30.0)],
        # lea is taken out; ann stays in her room, and the facilitator sees why.
        [("remove", "onlive_p1_r1_g1", "lea"), ("assign", 1), ("timer", 165.0)],
    ]
    assert members_of(state) == [("onlive_p1_r1_g1", ("ann",)), ("onlive_p1_r1_g2", ("bob", "cid"))]
    assert state.breakout is not None and state.breakout.groups[0].reasons == ("alone",)
    state, history = run(state, [(t, ev.Tick()) for t in (165, 180, 345, 360, 480)])
    assert [h[-1] for h in history] == [
        [("cue", "turn-warning", 0), ("timer", 180)],
        [("cue", "switch-roles", 1), ("timer", 345.0)],
        [("cue", "turn-warning", 1), ("timer", 360)],
        [("timer", 480)],
        [("cue", "recall", None), ("timer", 510)],
    ]


def test_a_member_who_is_their_own_manager_in_stored_data_never_stops_the_timers() -> None:
    # Member refuses such data now; a pass stored before that may still hold it.
    people = [Member("ann", "Ann"), Member("lea", "Lea"), Member("bob", "Bob"), Member("cid", "Cid")]
    object.__setattr__(people[2], "manager_id", "bob")
    state = pass_of(people, (("ann", "lea"), ("bob", "cid")))
    state, history = run(state, [(10, ev.Leave("lea")), (30, ev.Tick()), (165, ev.Tick()),
                                 (480, ev.Tick()), (510, ev.Tick())])
    assert [h[-1] for h in history] == [
        [("timer", 30.0)],
        [("remove", "onlive_p1_r1_g1", "lea"), ("assign", 1), ("timer", 165.0)],
        [("cue", "turn-warning", 0), ("timer", 180)],
        [("cue", "switch-roles", 1), ("cue", "recall", None), ("timer", 510)],
        [("assign", 3), ("close", ("onlive_p1_r1_g1", "onlive_p1_r1_g2")), ("timer", None)],
    ]


def test_a_late_joiner_when_every_group_is_full_gets_a_new_pair_with_someone_from_a_trio() -> None:
    people = [Member(f"u{i}", f"U{i}", ("hr", "it")[i % 2]) for i in range(6)]
    state = pass_of(people, (("u0", "u1", "u2"), ("u3", "u4", "u5")))
    late = Member("u6", "U6", "hr")
    b = state.breakout
    assert b is not None
    placed, moves = breakout.add_late_joiner(
        [breakout.Group(g.members, g.reasons) for g in b.groups], late.as_person(),
        [m.as_person() for m in state.roster.values()], [], breakout.Policy(), size=2, now=5.0)
    assert len(placed) == 3, "every group is full: the engine forms a new pair"
    placement = ev.Placement(tuple((g.members, g.reasons) for g in placed),
                             tuple((m.person_id, m.from_group, m.to_group) for m in moves
                                   if m.to_group is not None))
    state, history = run(state, [(5, ev.Join(late, placement=placement))])
    moved = next(m.person_id for m in moves if m.person_id != "u6")
    assert history[0][-1] == [("create", (("onlive_p1_r1_g3_v11", 3),)), ("assign", 4)]
    assert state.breakout is not None
    assert [g.members for g in state.breakout.groups] == [g.members for g in placed]
    assert state.breakout.groups[2].members == (moved, "u6")
    assert "late-joiner" in state.breakout.groups[2].reasons
    # The trio that gave someone up keeps its room; nobody is alone.
    assert [g.room for g in state.breakout.groups[:2]] == ["onlive_p1_r1_g1", "onlive_p1_r1_g2"]


def test_a_late_joiners_plan_that_no_longer_fits_the_groups_leaves_them_waiting() -> None:
    people = [Member(f"u{i}", f"U{i}") for i in range(4)]
    state = pass_of(people, (("u0", "u1"), ("u2", "u3")))
    stale = ev.Placement(((("u0", "u1"), ()), (("u2", "u3"), ()), (("u9", "u4"), ("late-joiner",))),
                         (("u9", 0, 2), ("u4", None, 2)))
    state, history = run(state, [(5, ev.Join(Member("u4", "U4"), placement=stale))])
    assert history[0][-1] == []
    assert state.breakout is not None and state.breakout.group_of("u4") is None


def test_a_late_joiner_is_placed_while_another_group_holds_someone_left_alone() -> None:
    people = [Member("ann", "Ann", "hr"), Member("lea", "Lea", "it"),
              Member("bob", "Bob", "it", manager_id="ann"), Member("cid", "Cid", "it", manager_id="ann")]
    state = pass_of(people, (("ann", "lea"), ("bob", "cid")))
    state, _ = run(state, [(10, ev.Leave("lea")), (30, ev.Tick())])
    assert state.breakout is not None and state.breakout.groups[0].reasons == ("alone",)
    late = Member("dan", "Dan", "sales", manager_id="ann")  # may not keep ann company either
    b = state.breakout
    placed, moves = breakout.add_late_joiner(
        [breakout.Group(g.members, g.reasons) for g in b.groups], late.as_person(),
        [state.roster[p].as_person() for p in state.present], [], breakout.Policy(), size=2, now=40.0)
    placement = ev.Placement(tuple((g.members, g.reasons) for g in placed),
                             tuple((m.person_id, m.from_group, m.to_group) for m in moves
                                   if m.to_group is not None))
    state, history = run(state, [(40, ev.Join(late, placement=placement))])
    assert history[0][-1] == [("create", (("onlive_p1_r1_g2_v1", 4),)), ("assign", 3),
                              ("close", ("onlive_p1_r1_g2",))]
    assert members_of(state) == [("onlive_p1_r1_g1", ("ann",)),
                                 ("onlive_p1_r1_g2_v1", ("bob", "cid", "dan"))]
