"""A facilitator's edit: one step changed, checked like a file, the file left alone."""

from __future__ import annotations

import pytest

from exercises.classfile import ClassFileError, edit_step, format_problem
from exercises.text import Text
from tests.exercises.classfile.helpers import GOLDEN, load_class


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
