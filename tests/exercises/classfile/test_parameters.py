"""Parameters: declared, named in texts, filled when a pass is created."""

from __future__ import annotations

import pytest

from exercises.classfile import ClassFileError, format_problem
from exercises.text import Text
from tests.exercises.classfile.helpers import GOLDEN, load_class, load_class_text, minimal, parse_class


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
    steps = ("  - {id: i, kind: input, title: {sv: \"Om {org}\", en: \"About {org}\"}, "
             "prompt: {sv: P, en: P}}\n")
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
