"""Reading YAML: every problem with its line, syntax errors explained, texts stay texts."""

from __future__ import annotations

import pytest

from exercises.classfile import ClassFileError, format_problem
from exercises.text import Text
from tests.exercises.classfile.helpers import GOLDEN, load_class, minimal, parse_class


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
