"""Class files: golden files and their broken twins, durations, parameters, rotation timing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from breakout.rooms import main_room
from exercises import events as ev
from exercises import classfile, library
from exercises.classfile import (
    ClassFileError,
    ClassTemplate,
    edit_step,
    Problem,
    format_duration,
    format_problem,
    parse_duration,
)
from exercises.demo import demo_class
from exercises.library import library_files
from exercises.effects import CloseRooms, CreateRooms, Cue, Effect, ScheduleTimer, SendAssignments
from exercises.errors import InvalidScript
from exercises.reducer import next_deadline, reduce
from exercises.script import ClassScript, StepKind, Visibility
from exercises.state import Member, PassState
from exercises.text import Text
from orchestrator.classfiles import load_class, validate_files
from orchestrator.cli import run_validate

def parse_class(text: str, filename: str) -> ClassTemplate:
    """Classes in these tests ``use:`` the built-in library's exercises."""
    return classfile.parse_class(text, filename, library.exercise_index())


def load_class_text(text: str, filename: str, params: dict[str, str] = {}) -> ClassScript:
    return classfile.load_class_text(text, filename, params, exercises=library.exercise_index())


GOLDEN = Path(__file__).with_name("golden")
VALID = sorted(p for p in GOLDEN.glob("*.yaml") if not p.name.endswith(".broken.yaml"))
BROKEN = sorted(GOLDEN.glob("*.broken.yaml"))
EXPECT = "# expect: "


def expected_problems(path: Path) -> list[str]:
    """The ``# expect: line: field: message`` comments at the top of a broken twin."""
    return [line[len(EXPECT):] for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith(EXPECT)]


def problems_of(path: Path) -> list[str]:
    return [f"{p.line}: {p.field}: {p.message}" for p in validate_files([path])]


def minimal(steps: str, header: str = "") -> str:
    return ("id: c\nversion: 1\ntitle: {sv: Titel, en: Title}\n"
            "description: {sv: Beskrivning, en: Description}\nduration: 1h\n"
            f"{header}steps:\n{steps}")


# --------------------------------------------------------------------------- golden files


def test_every_golden_file_has_a_broken_twin() -> None:
    assert [p.name.replace(".yaml", ".broken.yaml") for p in VALID] == [p.name for p in BROKEN]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_golden_file_is_valid(path: Path) -> None:
    assert problems_of(path) == []


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_twin_reports_exactly_the_expected_problems(path: Path) -> None:
    expected = expected_problems(path)
    assert expected, f"{path.name} has no '# expect:' lines"
    assert problems_of(path) == expected


def test_golden_demo_equivalent_loads_equal_to_the_hand_built_demo() -> None:
    text = """
id: demo
version: 1
title: {sv: "Demopass: att lyssna på riktigt", en: "Demo pass: listening for real"}
description:
  sv: Ett kort pass med incheckning, input, parövning, reflektion och utcheckning.
  en: A short pass with check-in, input, pair exercise, reflection and check-out.
duration: 30m
tags: [listening, demo]
steps:
  - id: check-in
    kind: check-in
    title: {sv: Incheckning, en: Check-in}
    prompt:
      sv: "Hur mycket energi har du just nu (1–5)? Ett ord om hur du mår."
      en: "How much energy do you have right now (1–5)? One word for how you are."
    duration: 2m
    visibility: plenary
  - id: input
    kind: input
    title: {sv: "Input: aktivt lyssnande", en: "Input: active listening"}
    prompt: {sv: Facilitatorn berättar om tre nivåer av lyssnande.,
             en: The facilitator talks about three levels of listening.}
    duration: 5m
  - id: pairs
    kind: breakout
    title: {sv: "Parövning: lyssna utan att lösa", en: "Pair exercise: listen without fixing"}
    prompt:
      sv: En berättar om en utmaning, den andra lyssnar och ställer bara öppna frågor.
      en: One tells about a challenge; the other listens and only asks open questions.
    duration: 8m
    group_size: 2
    turn_duration: 3m
    roles:
      - id: speaker
        name: {sv: Berättare, en: Speaker}
        prompt: {sv: Berätta om en utmaning du har just nu.,
                 en: Tell about a challenge you have right now.}
      - id: listener
        name: {sv: Lyssnare, en: Listener}
        prompt: {sv: Lyssna. Ställ bara öppna frågor. Ge inga råd.,
                 en: Listen. Only ask open questions. Give no advice.}
  - id: reflection
    kind: reflection
    title: {sv: Reflektion, en: Reflection}
    prompt: {sv: "Vad märkte du när du bara fick lyssna?",
             en: "What did you notice when you could only listen?"}
    duration: 3m
    visibility: private
  - id: check-out
    kind: check-out
    title: {sv: Utcheckning, en: Check-out}
    prompt: {sv: Ett ord som du tar med dig., en: One word you take with you.}
    duration: 1m
    visibility: plenary
"""
    assert load_class_text(text, "demo.yaml") == demo_class()


# --------------------------------------------------------------------------- reporting


def test_format_problem_names_file_line_field_and_expectation() -> None:
    problem = Problem("lib/x.yaml", 12, "steps[2].duration",
                      "expected a duration like 90s, 3m or 1h, got 'soon'")
    assert format_problem(problem) == \
        "lib/x.yaml:12: steps[2].duration: expected a duration like 90s, 3m or 1h, got 'soon'"
    assert format_problem(Problem("x.yaml", 0, "", "cannot read the file")) == \
        "x.yaml: cannot read the file"


def test_every_problem_in_a_file_is_reported_not_just_the_first() -> None:
    text = minimal("  - {id: a, kind: reflection, title: {sv: A}, prompt: {sv: A, en: A},"
                   " duration: soon}\n  - {id: a, kind: dance}\n")
    with pytest.raises(ClassFileError) as caught:
        parse_class(text, "x.yaml")
    fields = [p.field for p in caught.value.problems]
    assert fields == ["steps[0].title.en", "steps[0].duration", "steps[1].kind", "steps[1].id"]
    assert all(p.line == 7 or p.line == 8 for p in caught.value.problems)
    assert str(caught.value).splitlines()[0].startswith("x.yaml:7: steps[0].title.en: ")


@pytest.mark.parametrize(("text", "expected"), [
    ("", "1: : file is empty; expected a mapping with id, version, title, ... and steps"),
    ("- a\n- b\n", "1: : expected a class (a mapping with id, version, title, description, "
                   "duration and steps), got a list"),
    ("id: a\n---\nid: b\n", "2: : YAML syntax error: but found another document (expected a "
                            "single document in the stream on line 1); put texts that contain "
                            ": ? , # { } [ ] in quotes"),
    ("title: {sv: Hur mår du?, en: How are you?}\n",
     "1: : YAML syntax error: expected ',' or '}', but got '?' (while parsing a flow mapping on "
     "line 1); put texts that contain : ? , # { } [ ] in quotes"),
])
def test_a_file_that_is_not_a_class_mapping_is_refused_with_its_line(text: str,
                                                                      expected: str) -> None:
    with pytest.raises(ClassFileError) as caught:
        parse_class(text, "x.yaml")
    assert [f"{p.line}: {p.field}: {p.message}" for p in caught.value.problems] == [expected]


def test_missing_keys_are_reported_at_the_mapping_that_lacks_them() -> None:
    with pytest.raises(ClassFileError) as caught:
        parse_class("id: c\nsteps: []\n", "x.yaml")
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (1, "version"), (1, "title"), (1, "description"), (1, "duration"), (2, "steps")]


def test_duplicate_yaml_key_is_refused_with_the_first_line() -> None:
    with pytest.raises(ClassFileError) as caught:
        parse_class(minimal("  - {id: a, kind: input, title: {sv: A, en: A}, "
                            "prompt: {sv: A, en: A}}\n") + "id: d\n", "x.yaml")
    assert [format_problem(p) for p in caught.value.problems] == [
        "x.yaml:8: id: duplicate key (first on line 1)"]


def test_yes_and_no_in_texts_stay_words() -> None:
    script = load_class(GOLDEN / "poll.yaml")
    assert script.steps[0].options == (Text("Ja", "Yes"), Text("Nej", "No"))
    assert script.steps[0].multiple is True


def test_validate_files_searches_directories_and_reports_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.yaml").write_text("id: x\n", encoding="utf-8")
    (tmp_path / "b.yml").write_bytes(b"id: \xff\n")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    found = [format_problem(p) for p in validate_files([tmp_path, tmp_path / "missing.yaml"])]
    assert found[0] == f"{tmp_path / 'b.yml'}: not UTF-8 text (invalid start byte at byte 4)"
    assert found[1].startswith(f"{tmp_path / 'sub' / 'a.yaml'}:1: version: missing")
    assert found[-1] == (f"{tmp_path / 'missing.yaml'}: cannot read the file: "
                         "No such file or directory")


def test_the_same_class_id_in_two_files_is_refused(tmp_path: Path) -> None:
    text = (GOLDEN / "syntax.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    assert [format_problem(p) for p in validate_files([tmp_path])] == [
        f"{tmp_path / 'b.yaml'}:2: id: duplicate class id 'syntax' (also in {tmp_path / 'a.yaml'})"]


# --------------------------------------------------------------------------- durations


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("3m", 180), ("1h", 3600), ("1m30s", 90), ("1h15m", 4500), ("1m 30s", 90),
    ("0s", 0), (" 2m ", 120),
])
def test_parse_duration_reads_units_largest_first(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "90", "soon", "3 min", "1.5m", "30s1m", "1m1m", "-3m",
                                  "3M", "h"])
def test_parse_duration_refuses_anything_else(text: str) -> None:
    with pytest.raises(InvalidScript) as caught:
        parse_duration(text)
    assert caught.value.code == "invalid_duration"
    assert str(caught.value) == f"expected a duration like 90s, 3m or 1h, got {text!r}"


@given(st.integers(min_value=0, max_value=8 * 3600))
def test_format_duration_reads_back_to_the_same_seconds(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_a_duration_longer_than_eight_hours_is_refused() -> None:
    with pytest.raises(ClassFileError) as caught:
        parse_class(minimal("  - {id: a, kind: input, title: {sv: A, en: A}, "
                            "prompt: {sv: A, en: A}, duration: 9h}\n"), "x.yaml")
    assert [p.message for p in caught.value.problems] == [
        "9h is longer than the longest allowed (8h)"]


# --------------------------------------------------------------------------- steps


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


# --------------------------------------------------------------------------- library use


def test_use_starts_from_the_exercise_and_applies_overrides() -> None:
    script = load_class(GOLDEN / "library-use.yaml")
    pairs = script.steps[1]
    assert (pairs.id, pairs.kind, pairs.duration, pairs.turn_seconds) == \
        ("active-listening-pairs", StepKind.BREAKOUT, 480, 180)
    assert [r.id for r in pairs.roles] == ["speaker", "listener"]
    assert script.steps[0].duration == 240


def test_an_override_that_breaks_the_exercise_timing_is_reported_at_the_override() -> None:
    text = minimal("  - use: active-listening-pairs\n    duration: 6m\n")
    with pytest.raises(ClassFileError) as caught:
        parse_class(text, "x.yaml")
    assert [format_problem(p) for p in caught.value.problems] == [
        "x.yaml:8: steps[0].duration: impossible timing: 2 turns of 4m take 8m, longer "
        "than the exercise (6m)"]


def test_use_refuses_a_kind_and_keys_that_do_not_fit_the_exercise() -> None:
    text = minimal("  - use: commitment\n    kind: poll\n    options: []\n")
    with pytest.raises(ClassFileError) as caught:
        parse_class(text, "x.yaml")
    assert [(p.line, p.field, p.message) for p in caught.value.problems] == [
        (8, "steps[0].kind", "the kind comes from the exercise; remove kind or remove use"),
        (9, "steps[0].options", "does not apply to a commitment step (only to: poll)")]


# --------------------------------------------------------------------------- parameters


def test_parameters_fill_every_text_that_names_them() -> None:
    script = load_class(GOLDEN / "parameters.yaml", {"leadership_philosophy": "Tillit först."})
    assert script.steps[0].prompt == Text("Vi läser: Tillit först.", "We read: Tillit först.")


def test_a_missing_required_parameter_is_an_error_with_its_line() -> None:
    with pytest.raises(ClassFileError) as caught:
        load_class(GOLDEN / "parameters.yaml")
    assert [format_problem(p) for p in caught.value.problems] == [
        f"{GOLDEN / 'parameters.yaml'}:8: parameters.leadership_philosophy: required parameter "
        "not given: Leadership philosophy; supply it when the pass is created"]


def test_unknown_and_empty_parameters_are_refused() -> None:
    with pytest.raises(ClassFileError) as caught:
        load_class(GOLDEN / "parameters.yaml", {"leadership_philosophy": " ", "values": "x"})
    assert [p.message for p in caught.value.problems] == [
        "the class has no parameter 'values' (it declares: leadership_philosophy)",
        "expected a non-empty text"]


def test_a_parameter_with_a_default_is_optional() -> None:
    header = ("parameters:\n  org:\n    title: {sv: Organisation, en: Organisation}\n"
              "    default: {sv: organisationen, en: the organisation}\n")
    steps = "  - {id: i, kind: input, title: {sv: \"Om {org}\", en: \"About {org}\"}, prompt: {sv: P, en: P}}\n"
    template = parse_class(minimal(steps, header), "x.yaml")
    assert template.fill().steps[0].title == Text("Om organisationen", "About the organisation")
    assert template.fill({"org": "Acme"}).steps[0].title == Text("Om Acme", "About Acme")


def test_parameter_values_are_not_read_as_placeholders_and_double_braces_are_literal() -> None:
    header = "parameters:\n  p:\n    title: {sv: P, en: P}\n"
    steps = ('  - {id: i, kind: input, title: {sv: "{p} {{x}}", en: "{p} {{x}}"},'
             ' prompt: {sv: P, en: P}}\n')
    script = load_class_text(minimal(steps, header), "x.yaml", {"p": "{q}"})
    assert script.steps[0].title == Text("{q} {x}", "{q} {x}")


def test_a_library_exercise_brings_its_parameters_into_the_class() -> None:
    text = minimal("  - use: philosophy-as-a-tool\n")
    template = parse_class(text, "x.yaml")
    assert [p.name for p in template.parameters] == ["leadership_philosophy"]
    with pytest.raises(ClassFileError) as caught:
        template.fill()
    assert caught.value.problems[0].line == 7  # the use: line in this file
    filled = template.fill({"leadership_philosophy": "Vi litar på varandra."})
    assert "Vi litar på varandra." in filled.steps[0].prompt.sv


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


# --------------------------------------------------------------------------- adapting and the CLI


def test_a_facilitator_edit_changes_one_step_and_leaves_the_file_alone() -> None:
    path = GOLDEN / "trio-rotation.yaml"
    before = path.read_bytes()
    script = load_class(path)
    edited = edit_step(script, "trio", duration="15m", prompt=Text("Ny text.", "New text."))
    assert (edited.steps[0].duration, edited.steps[0].prompt.sv) == (900, "Ny text.")
    assert script.steps[0].duration == 720
    assert path.read_bytes() == before


@pytest.mark.parametrize(("duration", "expected"), [
    ("soon", "class trio-rotation: steps[0].duration: expected a duration like 90s, 3m or 1h, "
             "got 'soon'"),
    ("8m", "class trio-rotation: steps[0].duration: impossible timing: 3 turns of 3m take 9m, "
           "longer than the exercise (8m)"),
    ("21m", "class trio-rotation: steps[0].duration: impossible timing: the steps would add up "
            "to 21m, longer than the class (20m); shorten another step first"),
    (0, "class trio-rotation: steps[0].duration: a breakout needs a duration longer than 0s"),
])
def test_a_facilitator_edit_is_validated_like_a_file(duration: str | float, expected: str) -> None:
    script = load_class(GOLDEN / "trio-rotation.yaml")
    with pytest.raises(ClassFileError) as caught:
        edit_step(script, "trio", duration=duration)
    assert [format_problem(p) for p in caught.value.problems] == [expected]


def test_editing_an_unknown_step_names_the_steps() -> None:
    with pytest.raises(ClassFileError) as caught:
        edit_step(load_class(GOLDEN / "trio-rotation.yaml"), "pairs", duration="5m")
    assert str(caught.value) == "class trio-rotation: steps: no step 'pairs' (steps: trio)"


def test_validate_command_exits_zero_only_when_every_file_is_valid() -> None:
    lines: list[str] = []
    assert run_validate([str(p) for p in VALID], lines.append) == 0
    assert lines == ["all files are valid"]
    lines.clear()
    assert run_validate([str(GOLDEN / "durations.yaml"), str(GOLDEN / "poll.broken.yaml")],
                        lines.append) == 1
    assert lines == [f"{GOLDEN / 'poll.broken.yaml'}:15: steps[0].multiple: expected true or "
                     "false, got 'several'",
                     f"{GOLDEN / 'poll.broken.yaml'}:16: steps[0].options: expected 2 to 10 "
                     "options, got 1",
                     "2 problems in 1 file"]
    assert run_validate([], lines.append) == 2


def test_validate_command_refuses_an_empty_directory(tmp_path: Path) -> None:
    lines: list[str] = []
    assert run_validate([str(tmp_path)], lines.append) == 1
    assert lines[0] == f"{tmp_path}: no .yaml or .yml files in this directory"


# --------------------------------------------------------------------------- malformed files


SOURCES = sorted(library_files()) + VALID
ODD_VALUES = ["", "~", "0", "-1", "yes", "1.5", "[]", "{}", "[1, [2]]", "*a", "'", "{a: 1",
              "99999h", "{sv: x}", "{sv: '', en: ''}", "- a", "0x10", "!!binary aGVsbG8=",
              "{leadership_philosophy}", "{0}", "{a.b}"]


@st.composite
def mutated_files(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(SOURCES)).read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1)) if lines else 0
        op = draw(st.sampled_from(["delete", "duplicate", "value", "indent", "truncate"]))
        if not lines:
            break
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "value" and ":" in lines[i]:
            lines[i] = lines[i].split(":")[0] + ": " + draw(st.sampled_from(ODD_VALUES))
        elif op == "indent":
            lines[i] = " " + lines[i]
        elif op == "truncate":
            lines = lines[:i]
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None)
@given(mutated_files())
def test_a_malformed_file_gets_problems_never_a_crash_and_a_clean_one_loads(
        tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "x.yaml"
    path.write_text(text, encoding="utf-8")
    problems = validate_files([path])
    assert all(p.file == str(path) and p.message for p in problems)
    if not problems and "steps:" in text:
        parse_class(text, str(path))
