"""The class page's drafts: written as today's class files, checked like them, with the
page's own minimums, every problem at a field path with a code a page translates."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from exercises import library
from exercises.classfile import parse_class
from exercises.classfile.draft import MINIMUMS, check_draft, draft_of, draft_text, step_draft

INDEX = library.exercise_index()


def _library_draft(class_id: str = "listening-for-real") -> dict[str, Any]:
    summary = next(c for c in library.list_classes() if c.id == class_id)
    with open(summary.file, encoding="utf-8") as f:
        return draft_of(f.read(), summary.file, INDEX)


def _codes(draft: object) -> dict[str, tuple[str, dict[str, Any]]]:
    return {p.field: (p.code, dict(p.params)) for p in check_draft(draft, 2, INDEX).problems}


@pytest.mark.parametrize("class_id", [c.id for c in library.list_classes()])
def test_every_library_class_survives_draft_and_file_unchanged(class_id: str) -> None:
    draft = _library_draft(class_id)
    checked = check_draft(draft, 1, INDEX)
    assert checked.ok and checked.text is not None
    assert draft_of(checked.text, "again", INDEX) == draft
    original = library.get_class(class_id, library.example_params(class_id))
    assert checked.template is not None
    assert checked.template.fill(library.example_params(class_id)) == original


def test_a_step_from_an_exercise_is_written_as_use_with_only_what_was_changed() -> None:
    draft = _library_draft()
    step = next(s for s in draft["steps"] if s["use"] == "active-listening-pairs")
    step["title"] = {"sv": "Lyssna i par", "en": "Listen in pairs"}
    text = draft_text(draft, 3, INDEX)
    assert text is not None
    written = next(s for s in yaml.safe_load(text)["steps"]
                   if s.get("use") == "active-listening-pairs")
    assert written == {"use": "active-listening-pairs",
                       "title": {"sv": "Lyssna i par", "en": "Listen in pairs"}}
    assert parse_class(text, "x", INDEX).script.version == 3


def test_moving_and_removing_steps_keeps_the_class_valid() -> None:
    draft = _library_draft()
    steps = draft["steps"]
    steps[0], steps[1] = steps[1], steps[0]
    del steps[-1]
    checked = check_draft(draft, 2, INDEX)
    assert checked.ok and checked.template is not None
    assert [s.id for s in checked.template.script.steps][:2] == ["input-listening",
                                                                  "tune-the-frequency"]
    assert len(checked.template.script.steps) == len(steps)


def test_durations_below_the_page_minimums_are_refused_beside_their_field() -> None:
    draft = _library_draft()
    breakout = next(i for i, s in enumerate(draft["steps"]) if s["kind"] == "breakout")
    draft["steps"][breakout]["minutes"] = 1
    draft["steps"][0]["minutes"] = 0.5
    draft["minutes"] = 5
    codes = _codes(draft)
    assert codes[f"steps[{breakout}].duration"] == ("minutes_minimum",
                                                    {"min": MINIMUMS["breakout"]})
    assert codes["steps[0].duration"] == ("minutes_minimum_or_zero", {"min": MINIMUMS["step"]})
    assert codes["duration"] == ("minutes_minimum", {"min": MINIMUMS["class"]})


def test_a_step_without_a_timer_is_allowed_but_a_breakout_is_not() -> None:
    draft = _library_draft()
    draft["steps"][1]["minutes"] = 0
    assert check_draft(draft, 2, INDEX).ok


def test_the_file_rules_apply_to_a_draft_with_codes_and_parameters() -> None:
    draft = _library_draft()
    draft["steps"][1]["title"] = {"sv": "", "en": "Input"}
    draft["steps"][2]["id"] = draft["steps"][1]["id"]
    codes = _codes(draft)
    assert codes["steps[1].title.sv"] == ("missing_text", {"language": "sv"})
    assert codes["steps[2].id"][0] == "duplicate_id"
    short = _library_draft()
    short["minutes"] = 20
    code, params = _codes(short)["duration"]
    assert code == "class_too_short" and params["duration_seconds"] == 1200


def test_turns_longer_than_the_breakout_name_the_turn_with_figures() -> None:
    draft = _library_draft("feedback-that-helps")
    i = next(i for i, s in enumerate(draft["steps"]) if s["kind"] == "breakout" and s["roles"]
             and len(s["roles"]) == 3)
    draft["steps"][i]["turn_minutes"] = 6
    code, params = _codes(draft)[f"steps[{i}].turn_duration"]
    assert code == "turns_too_long"
    assert (params["turns"], params["turn_seconds"]) == (3, 360)


def test_a_commitment_stays_private() -> None:
    draft = _library_draft()
    i = next(i for i, s in enumerate(draft["steps"]) if s["kind"] == "commitment")
    draft["steps"][i]["visibility"] = "leadership"
    assert _codes(draft)[f"steps[{i}].visibility"] == ("commitment_private", {})


def test_removing_every_role_of_an_exercise_writes_the_step_out_without_turns() -> None:
    draft = _library_draft("feedback-that-helps")
    i = next(i for i, s in enumerate(draft["steps"]) if s["kind"] == "breakout" and s["roles"])
    draft["steps"][i]["roles"] = []
    checked = check_draft(draft, 2, INDEX)
    assert checked.ok and checked.template is not None
    assert checked.template.script.steps[i].roles == ()
    assert checked.template.script.steps[i].extra_role is None


def test_a_class_of_no_steps_and_wrong_shapes_say_where() -> None:
    draft = _library_draft()
    empty = copy.deepcopy(draft)
    empty["steps"] = []
    assert _codes(empty)["steps"][0] == "no_steps"
    bad = copy.deepcopy(draft)
    bad["steps"] = "many"
    bad["colour"] = "red"
    codes = _codes(bad)
    assert codes["steps"][0] == "wrong_type"
    assert codes["colour"] == ("unknown_key", {"key": "colour"})
    assert check_draft(["not", "a", "draft"], 1, INDEX).problems[0].code == "wrong_type"
    minutes = copy.deepcopy(draft)
    minutes["steps"][0]["minutes"] = "five"
    assert _codes(minutes)["steps[0].duration"][0] == "minutes_number"


def test_a_new_class_from_exercises_alone_is_valid() -> None:
    steps = [{"use": e, "id": e} for e in ("tune-the-frequency", "active-listening-pairs",
                                          "one-word-check-out")]
    for s in steps:
        s.update({k: v for k, v in _exercise_step(str(s["use"])).items() if k not in s})
    draft = {"id": "our-class", "title": {"sv": "Vår klass", "en": "Our class"},
             "description": {"sv": "Om oss.", "en": "About us."}, "minutes": 30,
             "tags": [], "parameters": {}, "steps": steps}
    checked = check_draft(draft, 1, INDEX)
    assert checked.ok, checked.problems
    assert checked.text is not None and "use: active-listening-pairs" in checked.text
    assert "kind:" not in checked.text


def _exercise_step(exercise_id: str) -> dict[str, Any]:
    return step_draft(INDEX[exercise_id].step, exercise_id)


def test_a_written_out_breakout_keeps_its_roles_and_extra_role() -> None:
    draft = _library_draft()
    i = next(i for i, s in enumerate(draft["steps"]) if s.get("extra_role"))
    draft["steps"][i] = dict(draft["steps"][i], use=None, id="our-pairs")
    checked = check_draft(draft, 2, INDEX)
    assert checked.ok and checked.text is not None
    again = draft_of(checked.text, "again", INDEX)
    assert again["steps"][i] == draft["steps"][i]
    assert again["steps"][i]["extra_role"]["id"]
