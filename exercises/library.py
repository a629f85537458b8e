"""The built-in library: exercises and complete classes shipped with onlive.

Files live in ``exercises/library/exercises/*.yaml`` (one reusable step each,
with what it trains) and ``exercises/library/classes/*.yaml`` (classes that
``use:`` those exercises). They are read once per process and checked like any
facilitator's file; a broken library file raises ``ClassFileError`` on first
use (and fails the test that validates the whole library).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from exercises.classfile import (
    ClassFileError,
    ClassTemplate,
    Exercise,
    Parameter,
    Problem,
    parse_class,
    parse_exercise,
)
from exercises.errors import InvalidScript
from exercises.script import ClassScript
from exercises.text import Text

LIBRARY_DIR = Path(__file__).with_name("library")
EXERCISES_DIR = LIBRARY_DIR / "exercises"
CLASSES_DIR = LIBRARY_DIR / "classes"


@dataclass(frozen=True, slots=True)
class ClassSummary:
    """What a facilitator sees when choosing a class from the library."""

    id: str
    version: int
    title: Text
    description: Text
    duration: float
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    file: str

    @property
    def required_parameters(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters if p.required)


def library_files() -> tuple[Path, ...]:
    """Every YAML file of the library, exercises first."""
    return tuple(sorted(EXERCISES_DIR.glob("*.yaml")) + sorted(CLASSES_DIR.glob("*.yaml")))


@cache
def exercise_index() -> Mapping[str, Exercise]:
    """The library's exercises by id. Raises ``ClassFileError`` if any file is broken."""
    found: dict[str, Exercise] = {}
    problems: list[Problem] = []
    for path in sorted(EXERCISES_DIR.glob("*.yaml")):
        try:
            exercise = parse_exercise(path.read_text(encoding="utf-8"), str(path))
        except ClassFileError as error:
            problems += error.problems
            continue
        if exercise.id in found:
            problems.append(Problem(str(path), 0, "id", f"duplicate exercise id {exercise.id!r} "
                                    f"(also in {found[exercise.id].file})"))
            continue
        found[exercise.id] = exercise
    if problems:
        raise ClassFileError(problems)
    return found


@cache
def _templates() -> Mapping[str, ClassTemplate]:
    exercises = exercise_index()
    found: dict[str, ClassTemplate] = {}
    problems: list[Problem] = []
    for path in sorted(CLASSES_DIR.glob("*.yaml")):
        try:
            template = parse_class(path.read_text(encoding="utf-8"), str(path), exercises)
        except ClassFileError as error:
            problems += error.problems
            continue
        if template.script.id in found:
            problems.append(Problem(str(path), 0, "id", f"duplicate class id "
                                    f"{template.script.id!r} (also in "
                                    f"{found[template.script.id].file})"))
            continue
        found[template.script.id] = template
    if problems:
        raise ClassFileError(problems)
    return found


def list_exercises() -> tuple[Exercise, ...]:
    """Every library exercise, ordered by id."""
    return tuple(exercise for _, exercise in sorted(exercise_index().items()))


def get_exercise(exercise_id: str) -> Exercise:
    """One exercise; raises ``InvalidScript`` (code ``unknown_exercise``) for an unknown id."""
    try:
        return exercise_index()[exercise_id]
    except KeyError:
        raise InvalidScript(f"no exercise {exercise_id!r} in the library; known: "
                            f"{', '.join(sorted(exercise_index()))}",
                            code="unknown_exercise") from None


def list_classes() -> tuple[ClassSummary, ...]:
    """Every library class, ordered by id."""
    return tuple(
        ClassSummary(t.script.id, t.script.version, t.script.title, t.script.description,
                     t.script.duration, t.script.tags, t.parameters, t.file)
        for _, t in sorted(_templates().items()))


def get_class(class_id: str, params: Mapping[str, str] = {}) -> ClassScript:
    """A library class ready to run, parameters filled.

    Raises ``InvalidScript`` (code ``unknown_class``) for an unknown id and
    ``ClassFileError`` for a missing, empty or unknown parameter.
    """
    return _template(class_id).fill(params)


def example_params(class_id: str) -> dict[str, str]:
    """Values for every parameter of a class, from its examples (Swedish), for demos and tests."""
    return {p.name: (p.example or p.default or p.title).sv for p in _template(class_id).parameters}


def _template(class_id: str) -> ClassTemplate:
    try:
        return _templates()[class_id]
    except KeyError:
        raise InvalidScript(f"no class {class_id!r} in the library; known: "
                            f"{', '.join(sorted(_templates()))}", code="unknown_class") from None
