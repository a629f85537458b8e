"""Steps: fields that tie together (roles, turns, visibility), every kind, rotation timing."""

from __future__ import annotations

import pytest

from breakout.rooms import main_room
from exercises import events as ev
from exercises.classfile import ClassFileError
from exercises.effects import CloseRooms, CreateRooms, Cue, Effect, ScheduleTimer, SendAssignments
from exercises.reducer import next_deadline, reduce
from exercises.script import StepKind, Visibility
from exercises.state import Member, PassState
from tests.exercises.classfile.helpers import GOLDEN, load_class, load_class_text, minimal, parse_class

TRIO = """  - id: trio
    kind: breakout
    title: {sv: Trio, en: Trio}
    prompt: {sv: Tre, en: Three}
    duration: 10m
    group_size: GROUP
    turn_duration: TURN
    roles:
      - {id: a, name: {sv: A, en: A}, prompt: {sv: a, en: a}}
      - {id: b, name: {sv: B, en: B}, prompt: {sv: b, en: b}}
      - {id: c, name: {sv: C, en: C}, prompt: {sv: c, en: c}}
"""


@pytest.mark.parametrize(("group", "turn", "expected"), [
    ("3", "3m", []),
    ("3", "4m", ["7: steps[0].turn_duration: impossible timing: 3 turns of 4m take 12m, "
                 "longer than the exercise (10m)"]),
    ("3", "15s", ["7: steps[0].turn_duration: a turn must be longer than the 15s warning, "
                  "got 15s"]),
    ("2", "3m", ["8: steps[0].roles: expected 2 to 2 roles for groups of 2, got 3 "
                 "(change group_size or the roles)"]),
    ("5", "3m", ["6: steps[0].group_size: expected a whole number from 2 to 4, got 5"]),
])
def test_breakout_timing_and_roles_are_checked(group: str, turn: str,
                                               expected: list[str]) -> None:
    text = TRIO.replace("GROUP", group).replace("TURN", turn)
    try:
        parse_class(minimal(text), "x.yaml")
        found: list[str] = []
    except ClassFileError as error:
        found = [f"{p.line - 6}: {p.field}: {p.message}" for p in error.problems]
    assert found == expected


def test_roles_without_a_turn_duration_are_refused() -> None:
    text = TRIO.replace("    turn_duration: TURN\n", "").replace("GROUP", "3")
    with pytest.raises(ClassFileError) as caught:
        parse_class(minimal(text), "x.yaml")
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("steps[0].roles", "roles need a turn_duration, the time each turn takes, like 3m")]


def test_commitment_must_stay_private() -> None:
    with pytest.raises(ClassFileError) as caught:
        parse_class(minimal("  - {id: c, kind: commitment, title: {sv: A, en: A}, "
                            "prompt: {sv: A, en: A}, visibility: plenary}\n"), "x.yaml")
    assert [p.message for p in caught.value.problems] == [
        "a commitment is private: only its author ever sees it"]


def test_visibility_is_refused_on_a_step_that_asks_no_answer() -> None:
    with pytest.raises(ClassFileError) as caught:
        parse_class(minimal("  - {id: i, kind: input, title: {sv: A, en: A}, "
                            "prompt: {sv: A, en: A}, visibility: plenary}\n"), "x.yaml")
    assert caught.value.problems[0].message.startswith("does not apply to a input step")


def test_every_step_kind_loads_from_a_file() -> None:
    steps = "".join(
        f"  - {{id: s{i}, kind: {kind.value}, title: {{sv: T, en: T}}, prompt: {{sv: P, en: P}}"
        + {StepKind.BREAKOUT: ", duration: 5m",
           StepKind.POLL: ", options: [{sv: a, en: a}, {sv: b, en: b}]"}.get(kind, "")
        + "}\n" for i, kind in enumerate(StepKind))
    script = load_class_text(minimal(steps), "x.yaml")
    assert [s.kind for s in script.steps] == list(StepKind)
    assert all(s.visibility is Visibility.PRIVATE for s in script.steps)


# --------------------------------------------------------------------------- rotation timing


def describe(effect: Effect, t0: float) -> tuple[object, ...]:
    if isinstance(effect, Cue):
        return ("cue", effect.kind, effect.turn)
    if isinstance(effect, ScheduleTimer):
        return ("timer", None if effect.at is None else effect.at - t0)
    if isinstance(effect, (CloseRooms, CreateRooms)):
        return (type(effect).__name__, len(effect.rooms))
    if isinstance(effect, SendAssignments):
        return ("assign", effect.person_ids)
    return (type(effect).__name__,)


def opened_trio(t0: float) -> PassState:
    script = load_class(GOLDEN / "trio-rotation.yaml")
    state = PassState(id="p1", program="prog", script=script, main_room=main_room("p1"))
    for person in ("a", "b", "c"):
        state, _ = reduce(state, ev.Join(Member(person, person.upper())), 0.0)
    state, _ = reduce(state, ev.Start(), 0.0)
    state, _ = reduce(state, ev.OpenBreakouts(((("a", "b", "c"), ()),)), t0)
    return state


TRIO_HISTORY: list[tuple[float, list[tuple[object, ...]]]] = [
    (165.0, [("cue", "turn-warning", 0), ("timer", 180.0)]),
    (180.0, [("cue", "switch-roles", 1), ("timer", 345.0)]),
    (345.0, [("cue", "turn-warning", 1), ("timer", 360.0)]),
    (360.0, [("cue", "switch-roles", 2), ("timer", 525.0)]),
    (525.0, [("cue", "turn-warning", 2), ("timer", 540.0)]),
    (540.0, [("timer", 720.0)]),  # the last turn ends without a switch
    (720.0, [("cue", "recall", None), ("timer", 750.0)]),
    (750.0, [("CloseRooms", 1), ("assign", ("a", "b", "c")), ("timer", None)]),
]


def test_trio_from_a_class_file_rotates_three_turns_with_warnings_and_switch_cues() -> None:
    t0 = 100.0
    state = opened_trio(t0)
    history = []
    while (at := next_deadline(state)) is not None:
        state, effects = reduce(state, ev.Tick(), at)
        history.append((at - t0, sorted((describe(e, t0) for e in effects), key=repr)))
    assert history == [(t, sorted(effects, key=repr)) for t, effects in TRIO_HISTORY]


def test_trio_rotation_is_the_same_when_the_clock_ticks_every_second() -> None:
    t0 = 100.0
    state = opened_trio(t0)
    history = []
    for second in range(1, 800):
        state, effects = reduce(state, ev.Tick(), t0 + second)
        if effects:
            history.append((float(second), sorted((describe(e, t0) for e in effects), key=repr)))
    assert history == [(t, sorted(effects, key=repr)) for t, effects in TRIO_HISTORY]


PAIR = """  - id: pair
    kind: breakout
    title: {sv: Par, en: Pair}
    prompt: {sv: Två, en: Two}
    duration: 10m
    group_size: 2
    turn_duration: 3m
    roles:
      - {id: speaker, name: {sv: Berättare, en: Speaker}, prompt: {sv: a, en: a}}
      - {id: listener, name: {sv: Lyssnare, en: Listener}, prompt: {sv: b, en: b}}
EXTRA"""


def test_a_pair_exercise_done_as_a_trio_never_has_two_speakers_at_once() -> None:
    script = load_class_text(minimal(PAIR.replace("EXTRA", "    extra_role: {id: observer, name: "
                                                  "{sv: Observatör, en: Observer}, prompt: "
                                                  "{sv: c, en: c}}\n")), "x.yaml")
    step = script.steps[0]
    assert step.extra_role is not None and step.extra_role.name.sv == "Observatör"
    for turn in range(step.turns):
        held = [step.role_of(position, 3, turn) for position in range(3)]
        assert sorted(r.id for r in held if r) == ["listener", "observer", "speaker"], turn
    # Without an extra_role, the third observes all the same (the house's observer).
    plain = load_class_text(minimal(PAIR.replace("EXTRA", "")), "x.yaml").steps[0]
    assert [r.id for r in (plain.role_of(p, 3, 0) for p in range(3)) if r] == \
        ["speaker", "listener", "observer"]
    assert plain.role_of(2, 2, 0) is None


def test_an_extra_role_must_have_its_own_id_and_roles_beside_it() -> None:
    same = PAIR.replace("EXTRA", "    extra_role: {id: speaker, name: {sv: X, en: X}, "
                        "prompt: {sv: x, en: x}}\n")
    with pytest.raises(ClassFileError) as caught:
        parse_class(minimal(same), "x.yaml")
    assert [p.field for p in caught.value.problems] == ["steps[0].extra_role"]
    assert "is one of the roles" in caught.value.problems[0].message
