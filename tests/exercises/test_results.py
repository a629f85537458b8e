"""Live results: aggregates per kind, visibility rules and the anonymity threshold."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.results import aggregate
from exercises.script import ANSWERED_KINDS, Role, Step, StepKind, Visibility
from exercises.text import Text

T = Text("T", "T")
WORDS = ["lugn", "trött", "nyfiken", "glad", "Glad!", "fokus"]
TEXTS = ["Jag vill ha mer tid.", "Tydligare mål.", "Fler pass som detta."]
BASE_KEYS = {"step", "kind", "visibility", "count", "suppressed"}


def step(kind: StepKind, visibility: Visibility = Visibility.PLENARY) -> Step:
    extra: dict[str, Any] = {}
    if kind is StepKind.POLL:
        extra = {"options": (Text("a", "a"), Text("b", "b"), Text("c", "c")), "multiple": True}
    if kind is StepKind.WORD_CLOUD:
        extra = {"max_words": 3}
    if kind is StepKind.BREAKOUT:
        extra = {"duration": 60.0, "roles": (Role("a", T, T), Role("b", T, T)),
                 "turn_seconds": 30.0}
    return Step(f"s-{kind.value}", kind, T, T, visibility=visibility, **extra)


def answers(*payloads: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"person_id": f"p{i}", "answer": a} for i, a in enumerate(payloads)]


# --------------------------------------------------------------------------- per kind


def test_check_in_gives_energy_histogram_and_word_counts() -> None:
    given_answers = answers(*({"energy": e, "word": w} for e, w in
                              [(1, "Glad"), (3, "glad!"), (3, "trött"), (5, "lugn"), (3, "lugn")]))
    assert aggregate(step(StepKind.CHECK_IN), given_answers) == {
        "step": "s-check-in", "kind": "check-in", "visibility": "plenary", "count": 5,
        "suppressed": False, "energy": [1, 0, 3, 0, 1],
        "words": [{"word": "glad", "count": 2}, {"word": "lugn", "count": 2},
                  {"word": "trött", "count": 1}],
        "distinct_words": 3}


def test_word_cloud_counts_a_word_once_per_person() -> None:
    given_answers = answers(*({"words": ["tillit", "Tillit", "mod"]} for _ in range(5)))
    shown = aggregate(step(StepKind.WORD_CLOUD), given_answers)
    assert shown["words"] == [{"word": "mod", "count": 5}, {"word": "tillit", "count": 5}]


def test_poll_counts_each_option_for_multiple_choice() -> None:
    given_answers = answers(*({"choices": c} for c in [[0], [0, 2], [2], [1, 2], [0]]))
    assert aggregate(step(StepKind.POLL), given_answers)["choices"] == [3, 1, 3]


def test_scale_gives_a_histogram_over_the_whole_scale_and_the_mean() -> None:
    given_answers = answers(*({"value": v} for v in [1, 2, 2, 5, 5]))
    shown = aggregate(step(StepKind.SCALE, Visibility.LEADERSHIP), given_answers)
    assert (shown["histogram"], shown["min"], shown["max"], shown["mean"]) == \
        ([1, 2, 0, 0, 2], 1, 5, 3.0)


def test_reflections_are_only_counted_when_private() -> None:
    given_answers = answers(*({"text": t} for t in TEXTS * 3))
    assert aggregate(step(StepKind.REFLECTION, Visibility.PRIVATE), given_answers) == {
        "step": "s-reflection", "kind": "reflection", "visibility": "private", "count": 9,
        "suppressed": False}


def test_anonymous_texts_are_sorted_so_their_order_reveals_no_one() -> None:
    given_answers = answers(*({"text": t} for t in ["ö", "b", "a", "c", "b"]))
    shown = aggregate(step(StepKind.REFLECTION, Visibility.LEADERSHIP), given_answers)
    assert shown["texts"] == ["a", "b", "b", "c", "ö"]


def test_follow_up_counts_yes_partly_no() -> None:
    given_answers = answers(*({"tried": t} for t in ["yes", "no", "yes", "partly", "yes"]),
                            {"tried": "no", "text": "Hann inte."})
    shown = aggregate(step(StepKind.FOLLOW_UP, Visibility.LEADERSHIP), given_answers)
    assert (shown["tried"], shown["texts"]) == ({"yes": 3, "partly": 1, "no": 2}, ["Hann inte."])


def test_a_persons_latest_answer_replaces_their_earlier_one() -> None:
    given_answers = answers(*({"energy": 1, "word": "trött"} for _ in range(5))) + [
        {"person_id": "p0", "answer": {"energy": 5, "word": "pigg"}}]
    shown = aggregate(step(StepKind.CHECK_IN), given_answers)
    assert (shown["count"], shown["energy"]) == (5, [4, 0, 0, 0, 1])


def test_answers_that_do_not_fit_the_step_are_left_out() -> None:
    given_answers = answers({"value": 3}, {"value": 99}, {"word": "x"}, {"value": 4}) + [
        {"answer": {"value": 2}}]
    shown = aggregate(step(StepKind.SCALE), given_answers, threshold=2)
    assert (shown["count"], shown["histogram"]) == (2, [0, 0, 1, 1, 0])


def test_steps_that_ask_no_answer_give_only_a_zero_count() -> None:
    assert aggregate(step(StepKind.INPUT), answers({"text": "x"})) == {
        "step": "s-input", "kind": "input", "visibility": "plenary", "count": 0,
        "suppressed": False}


# --------------------------------------------------------------------------- visibility


def test_group_visibility_gives_values_per_group_without_names() -> None:
    given_answers = answers(*({"word": w} for w in ["a", "b", "c", "d", "e"]))
    shown = aggregate(step(StepKind.CHECK_OUT, Visibility.GROUP), given_answers,
                      groups=[("p0", "p1"), ("p2", "p3", "p9")])
    assert shown["groups"] == [
        {"group": 0, "count": 2, "words": [{"word": "a", "count": 1}, {"word": "b", "count": 1}],
         "distinct_words": 2},
        {"group": 1, "count": 2, "words": [{"word": "c", "count": 1}, {"word": "d", "count": 1}],
         "distinct_words": 2}]
    assert shown["count"] == 5


def test_group_visibility_without_groups_gives_only_the_count() -> None:
    shown = aggregate(step(StepKind.CHECK_OUT, Visibility.GROUP), answers({"word": "a"}))
    assert (shown["count"], shown["groups"]) == (1, [])


def test_plenary_answers_of_a_small_class_are_shown_to_everyone_from_the_first() -> None:
    given_answers = answers({"energy": 2, "word": "ok"}, {"energy": 4, "word": "pigg"})
    assert aggregate(step(StepKind.CHECK_IN), given_answers) == {
        "step": "s-check-in", "kind": "check-in", "visibility": "plenary", "count": 2,
        "suppressed": False, "energy": [0, 1, 0, 1, 0], "distinct_words": 2,
        "words": [{"word": "ok", "count": 1}, {"word": "pigg", "count": 1}]}


def test_leadership_below_the_threshold_shows_nothing_not_even_the_count() -> None:
    given_answers = answers(*({"value": 2} for _ in range(4)))
    assert aggregate(step(StepKind.SCALE, Visibility.LEADERSHIP), given_answers) == {
        "step": "s-scale", "kind": "scale", "visibility": "leadership", "count": None,
        "suppressed": True, "threshold": 5, "needed": 1}


def test_the_threshold_is_configurable_per_organisation() -> None:
    given_answers = answers(*({"value": 2} for _ in range(3)))
    leadership = step(StepKind.SCALE, Visibility.LEADERSHIP)
    assert aggregate(leadership, given_answers, threshold=3)["suppressed"] is False
    assert aggregate(leadership, given_answers, threshold=4)["suppressed"] is True
    with pytest.raises(ValueError):
        aggregate(leadership, given_answers, threshold=0)


# --------------------------------------------------------------------------- properties


PERSON = st.text("0123456789abcdef", min_size=6, max_size=6).map(lambda s: f"pid-{s}")


def payloads(kind: StepKind) -> st.SearchStrategy[Any]:
    word = st.sampled_from(WORDS)
    valid: dict[StepKind, st.SearchStrategy[Any]] = {
        StepKind.CHECK_IN: st.fixed_dictionaries({"energy": st.integers(1, 5), "word": word}),
        StepKind.CHECK_OUT: st.fixed_dictionaries({"word": word}),
        StepKind.REFLECTION: st.fixed_dictionaries({"text": st.sampled_from(TEXTS)}),
        StepKind.COMMITMENT: st.fixed_dictionaries({"text": st.sampled_from(TEXTS)}),
        StepKind.SCALE: st.fixed_dictionaries({"value": st.integers(1, 5)}),
        StepKind.POLL: st.fixed_dictionaries(
            {"choices": st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True)}),
        StepKind.WORD_CLOUD: st.fixed_dictionaries(
            {"words": st.lists(word, min_size=1, max_size=3)}),
        StepKind.FOLLOW_UP: st.fixed_dictionaries(
            {"tried": st.sampled_from(["yes", "partly", "no"])},
            optional={"text": st.sampled_from(TEXTS)}),
    }
    # Now and then an answer that does not fit, as a stale or forged one would.
    return st.one_of(valid[kind], valid[kind], valid[kind], st.just({"bogus": 1}))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Step, list[dict[str, Any]], int, list[list[str]]]:
    kind = draw(st.sampled_from(sorted(ANSWERED_KINDS)))
    visibility = draw(st.sampled_from(list(Visibility)))
    people = draw(st.lists(PERSON, min_size=0, max_size=12, unique=True))
    given_answers = draw(st.lists(
        st.fixed_dictionaries({"person_id": st.sampled_from(people), "answer": payloads(kind)}),
        max_size=20)) if people else []
    threshold = draw(st.integers(1, 8))
    cut = draw(st.integers(0, len(people)))
    groups = [people[:cut], people[cut:]]
    return step(kind, visibility), given_answers, threshold, groups


def answered(given_answers: list[dict[str, Any]], s: Step) -> set[str]:
    """Who has given at least one valid answer (the oracle, computed independently)."""
    return {a["person_id"] for a in given_answers if "bogus" not in a["answer"]}


@settings(max_examples=250)
@given(scenarios())
def test_no_output_ever_carries_an_identity(
        scenario: tuple[Step, list[dict[str, Any]], int, list[list[str]]]) -> None:
    s, given_answers, threshold, groups = scenario
    shown = aggregate(s, given_answers, threshold=threshold, groups=groups)
    assert "pid-" not in json.dumps(shown, ensure_ascii=False)


@settings(max_examples=250)
@given(scenarios())
def test_anonymity_threshold_holds_for_every_visibility_level(
        scenario: tuple[Step, list[dict[str, Any]], int, list[list[str]]]) -> None:
    s, given_answers, threshold, groups = scenario
    shown = aggregate(s, given_answers, threshold=threshold, groups=groups)
    people = answered(given_answers, s)
    if s.visibility is Visibility.PRIVATE:
        assert set(shown) == BASE_KEYS and shown["count"] == len(people)
    elif s.visibility is Visibility.GROUP:
        assert set(shown) == BASE_KEYS | {"groups"} and shown["count"] == len(people)
        assert [g["count"] for g in shown["groups"]] == \
            [len(people & set(members)) for members in groups]
    elif s.visibility is Visibility.LEADERSHIP and len(people) < threshold:
        assert set(shown) == BASE_KEYS | {"threshold", "needed"} and shown["suppressed"] is True
        assert shown["count"] is None and shown["needed"] == threshold - len(people)
    else:
        assert shown["suppressed"] is False and shown["count"] == len(people)
        assert set(shown) > BASE_KEYS or not people


@settings(max_examples=200)
@given(scenarios(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_the_order_people_answered_in(
        scenario: tuple[Step, list[dict[str, Any]], int, list[list[str]]], rng: Any) -> None:
    s, given_answers, threshold, groups = scenario
    latest = list({a["person_id"]: a for a in given_answers}.values())
    shuffled = list(latest)
    rng.shuffle(shuffled)
    assert aggregate(s, shuffled, threshold=threshold, groups=groups) == \
        aggregate(s, latest, threshold=threshold, groups=groups)
