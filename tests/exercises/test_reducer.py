"""The pass reducer, asserted as whole transition histories with an injected clock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

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
        (45, "Broadcast", "running step 3/5 'pairs' (breakout), breakout rooms open", 12,
         [("cue", "message", None)]),
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
        [],  # the turn warning at 165 s stays the next deadline
        [("cue", "recall", None), ("timer", 50)],
        [("timer", 65)],
    ]
    assert state.breakout is not None and state.breakout.deadline == 540


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
