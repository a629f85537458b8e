"""Exercises: reusable steps of the library, each with what it trains."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from exercises.classfile.parameters import Parameter, check_placeholders, read_parameters
from exercises.classfile.problems import ClassFileError, Problem, sorted_problems
from exercises.classfile.reader import Reader, compose, line_of
from exercises.classfile.steps import STEP_KEYS, build_step, read_kind, read_step_fields
from exercises.classfile.tags import read_tags
from exercises.script import Step
from exercises.text import Text

__all__ = ["Exercise", "parse_exercise", "read_exercise"]

_EXERCISE_KEYS = STEP_KEYS + ("trains", "tags", "parameters")


@dataclass(frozen=True, slots=True)
class Exercise:
    """A reusable step from the library, with what it trains.

    ``step``'s texts may still hold ``{parameter}`` placeholders; they are
    filled when a class that uses the exercise is loaded.
    """

    step: Step
    trains: Text
    parameters: tuple[Parameter, ...] = ()
    tags: tuple[str, ...] = ()
    file: str = ""

    @property
    def id(self) -> str:
        return self.step.id

    @property
    def title(self) -> Text:
        return self.step.title

    @property
    def duration(self) -> float:
        return self.step.duration


def read_exercise(r: Reader, root: yaml.Node) -> Exercise | None:
    """The exercise at ``root``, or None with every problem recorded in ``r``."""
    fields = r.mapping(root, "", _EXERCISE_KEYS, ("id", "kind", "title", "prompt", "duration",
                                                  "trains"),
                       what="an exercise (a mapping with id, kind, title, prompt, duration, trains)")
    if fields is None:
        return None
    step_id = r.ident(fields["id"], "id") if "id" in fields else None
    kind = read_kind(r, fields, "")
    trains = r.text(fields["trains"], "trains") if "trains" in fields else None
    tags = read_tags(r, fields["tags"], "tags") if "tags" in fields else ()
    params = read_parameters(r, fields["parameters"], "parameters") \
        if "parameters" in fields else ()
    step_fields = read_step_fields(r, fields, "", kind)
    if "duration" in step_fields.values and step_fields.values["duration"] <= 0:
        r.add(step_fields.lines["duration"], "duration",
              "an exercise says how long it takes: expected more than 0s")
    check_placeholders(r, [p.name for p in params or ()])
    if step_id is None or kind is None:
        return None
    step = build_step(r, "", line_of(root), step_id, kind, step_fields)
    if step is None or trains is None or tags is None or params is None or r.problems:
        return None
    return Exercise(step, trains, params, tags, r.file)


def parse_exercise(text: str, filename: str) -> Exercise:
    """Read an exercise file's text; raises ``ClassFileError`` listing every problem."""
    r = Reader(filename)
    root = compose(r, text)
    exercise = read_exercise(r, root) if root is not None else None
    if r.problems or exercise is None:
        raise ClassFileError(sorted_problems(r.problems)
                             or [Problem(filename, 0, "", "not a valid exercise")])
    return exercise
