"""The built-in library: it loads, covers the gym's themes, and every class runs.

That every library file passes ``onlive class validate`` is checked with the
other file tests, in ``tests/orchestrator/test_classfiles.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from breakout.rooms import main_room
from exercises import events as ev
from exercises.answers import validate_answer
from exercises.classfile import ClassFileError
from exercises.errors import InvalidScript
from exercises.library import (
    example_params,
    get_class,
    get_exercise,
    list_classes,
    list_exercises,
)
from exercises.reducer import next_deadline, reduce
from exercises.results import aggregate
from exercises.script import ClassScript, Step, StepKind, Visibility
from exercises.state import Member, PassState, Phase
from exercises.text import Text

CLASS_IDS = [c.id for c in list_classes()]


def test_library_has_at_least_ten_exercises_and_three_classes() -> None:
    assert len(list_exercises()) >= 10
    assert len(list_classes()) >= 3


def test_library_covers_the_gyms_themes() -> None:
    themes = {
        "tune the frequency (check-in)": "tune-the-frequency",
        "active listening in pairs": "active-listening-pairs",
        "the receiver's perspective": "receivers-perspective",
        "feedback and feedforward in trios with an observer": "feedback-feedforward-trio",
        "psychological safety (sharing a mistake)": "sharing-a-mistake",
        "the leadership philosophy as a tool": "philosophy-as-a-tool",
        "what do I take with me": "take-with-me",
        "commitment": "commitment",
        "follow-up": "follow-up",
        "one-word check-out": "one-word-check-out",
    }
    kinds = {theme: get_exercise(exercise_id).step.kind for theme, exercise_id in themes.items()}
    assert kinds["tune the frequency (check-in)"] is StepKind.CHECK_IN
    assert kinds["commitment"] is StepKind.COMMITMENT
    assert kinds["follow-up"] is StepKind.FOLLOW_UP
    assert kinds["one-word check-out"] is StepKind.CHECK_OUT
    trio = get_exercise("feedback-feedforward-trio").step
    assert (trio.group_size, [r.id for r in trio.roles]) == (3, ["receiver", "giver", "observer"])


def test_library_offers_every_answer_kind() -> None:
    kinds = {e.step.kind for e in list_exercises()}
    assert kinds >= {StepKind.CHECK_IN, StepKind.BREAKOUT, StepKind.REFLECTION, StepKind.CHECK_OUT,
                     StepKind.SCALE, StepKind.POLL, StepKind.WORD_CLOUD, StepKind.COMMITMENT,
                     StepKind.FOLLOW_UP}
    polls = [e.step for e in list_exercises() if e.step.kind is StepKind.POLL]
    assert {p.multiple for p in polls} == {True, False}


def texts_of(step: Step) -> list[Text]:
    return [step.title, step.prompt, *step.options,
            *(t for r in step.roles for t in (r.name, r.prompt))]


@pytest.mark.parametrize("exercise", list_exercises(), ids=lambda e: e.id)
def test_each_exercise_says_what_it_trains_and_how_long_it_takes(exercise: Any) -> None:
    assert exercise.trains.sv != exercise.trains.en
    assert 60 <= exercise.duration <= 20 * 60
    assert exercise.step.prompt.sv != exercise.step.prompt.en
    for role in exercise.step.roles:
        assert role.prompt.sv != role.prompt.en


def test_the_swedish_is_written_with_swedish_letters() -> None:
    swedish = " ".join(t.sv for e in list_exercises() for t in texts_of(e.step))
    assert {"å", "ä", "ö"} <= set(swedish)


@pytest.mark.parametrize("class_id", CLASS_IDS)
def test_each_class_checks_in_first_commits_and_checks_out_last(class_id: str) -> None:
    script = get_class(class_id, example_params(class_id))
    kinds = [s.kind for s in script.steps]
    assert kinds[0] is StepKind.CHECK_IN and kinds[-1] is StepKind.CHECK_OUT
    assert StepKind.COMMITMENT in kinds and StepKind.BREAKOUT in kinds
    assert sum(s.duration for s in script.steps) <= script.duration
    assert all("{" not in t.sv + t.en for s in script.steps for t in texts_of(s))


def test_the_philosophy_class_needs_the_organisations_text() -> None:
    [summary] = [c for c in list_classes() if c.id == "leadership-philosophy-in-practice"]
    assert summary.required_parameters == ("leadership_philosophy",)
    with pytest.raises(ClassFileError) as caught:
        get_class(summary.id)
    assert caught.value.problems[0].field == "parameters.leadership_philosophy"
    own = "Vi leder med tillit och säger det som behöver sägas."
    script = get_class(summary.id, {"leadership_philosophy": own})
    assert sum(own in s.prompt.sv and own in s.prompt.en for s in script.steps) == 2


def test_classes_without_parameters_load_without_any() -> None:
    for summary in list_classes():
        if not summary.parameters:
            assert isinstance(get_class(summary.id), ClassScript)


def test_unknown_class_and_exercise_are_refused_with_a_code() -> None:
    with pytest.raises(InvalidScript) as caught:
        get_class("no-such-class")
    assert caught.value.code == "unknown_class"
    with pytest.raises(InvalidScript) as caught:
        get_exercise("no-such-exercise")
    assert caught.value.code == "unknown_exercise"


def sample_answer(step: Step, i: int) -> dict[str, Any] | None:
    """A plausible answer from participant ``i``."""
    words = ["lugn", "trött", "nyfiken", "glad"]
    samples: dict[StepKind, dict[str, Any]] = {
        StepKind.CHECK_IN: {"energy": 1 + i % 5, "word": words[i % 4]},
        StepKind.CHECK_OUT: {"word": words[i % 4]},
        StepKind.REFLECTION: {"text": f"Jag märkte {words[i % 4]} saker."},
        StepKind.COMMITMENT: {"text": "Jag ska lyssna färdigt innan jag svarar."},
        StepKind.SCALE: {"value": step.scale_min + i % (step.scale_max - step.scale_min + 1)},
        StepKind.POLL: {"choices": [i % max(len(step.options), 1)]},
        StepKind.WORD_CLOUD: {"words": words[: 1 + i % step.max_words]},
        StepKind.FOLLOW_UP: {"tried": ("yes", "partly", "no")[i % 3]},
    }
    return samples.get(step.kind)


@pytest.mark.parametrize("class_id", CLASS_IDS)
def test_each_class_runs_through_the_pass_reducer_to_the_end(class_id: str) -> None:
    script = get_class(class_id, example_params(class_id))
    people = [f"p{i}" for i in range(7)]
    state = PassState(id="lib1", program="prog", script=script, main_room=main_room("lib1"))
    for person in people:
        state, _ = reduce(state, ev.Join(Member(person, person.upper())), 0.0)
    now = 0.0
    state, _ = reduce(state, ev.Start(), now)
    for index, step in enumerate(script.steps):
        assert state.step is step
        if step.kind is StepKind.BREAKOUT:
            size = step.group_size
            groups = [tuple(people[i:i + size]) for i in range(0, len(people), size)]
            if len(groups[-1]) < 2:  # a lone person joins the last full group
                lone = groups.pop()
                groups[-1] += lone
            state, _ = reduce(state, ev.OpenBreakouts(tuple((g, ()) for g in groups)), now)
            cues: list[str] = []
            while (at := next_deadline(state)) is not None:
                now = at
                state, effects = reduce(state, ev.Tick(), now)
                cues += [e.kind for e in effects if hasattr(e, "kind")]
            assert state.breakout is None
            assert cues == ["turn-warning", "switch-roles"] * (len(step.roles) - 1) \
                + ["turn-warning", "recall"]
        elif step.asks_answer:
            answers = [{"person_id": p, "answer": sample_answer(step, i)}
                       for i, p in enumerate(people)]
            for item in answers:
                validate_answer(step, item["answer"])
            shown = aggregate(step, answers, groups=[people])
            assert shown["count"] == len(people) or step.visibility is Visibility.GROUP
            assert not shown["suppressed"]
        now += step.duration
        state, _ = reduce(state, ev.Tick(), now)
        if index + 1 < len(script.steps):
            state, _ = reduce(state, ev.Next(), now)
    state, _ = reduce(state, ev.End(), now)
    assert state.phase is Phase.ENDED


def test_each_pair_exercise_names_a_role_for_the_third_person_of_a_trio() -> None:
    pairs = [e for e in list_exercises() if e.step.roles and len(e.step.roles) < 3]
    assert {e.id for e in pairs} >= {"active-listening-pairs", "receivers-perspective"}
    for exercise in pairs:
        extra = exercise.step.extra_role
        assert extra is not None, f"{exercise.id} has no extra_role for trios"
        assert extra.id not in {r.id for r in exercise.step.roles}
        assert extra.prompt.sv != extra.prompt.en
