"""One file's text checked as ``onlive class validate`` checks it: a class or an exercise.

A text with ``steps`` is a class; one with ``kind`` or ``trains`` and no
``steps`` is an exercise. Reading the files, searching directories and
comparing ids across files are the application's part; this module looks
at one text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import yaml

from exercises.classfile.exercise import Exercise, read_exercise
from exercises.classfile.problems import Problem, sorted_problems
from exercises.classfile.reader import Reader, compose, line_of
from exercises.classfile.template import read_class

__all__ = ["Checked", "check_text"]


@dataclass(frozen=True, slots=True)
class Checked:
    """What one file turned out to be, and everything wrong with it.

    ``id`` is set only when the file is valid; ``id_line`` is the line of its
    ``id`` value (0 when there is none), where a duplicate id found across
    files is reported.
    """

    kind: Literal["class", "exercise"]
    id: str | None
    id_line: int
    problems: tuple[Problem, ...]


def check_text(text: str, filename: str,
               exercises: Callable[[], Mapping[str, Exercise]]) -> Checked:
    """Every problem in one class or exercise file's text, sorted by line.

    ``exercises`` gives the index that a class's ``use:`` resolves against; it
    is called only for a class, so checking exercise files alone never needs
    one. Parameters are not required here: they are given when a pass is
    created.
    """
    r = Reader(filename)
    root = compose(r, text)
    found: str | None = None
    kind: Literal["class", "exercise"] = "class"
    if root is not None and _is_exercise(root):
        kind = "exercise"
        exercise = read_exercise(r, root)
        found = exercise.id if exercise is not None else None
    elif root is not None:
        template = read_class(r, root, exercises())
        found = template.script.id if template is not None else None
    return Checked(kind, found, _id_line(root), tuple(sorted_problems(r.problems)))


def _is_exercise(root: yaml.Node) -> bool:
    """An exercise file is one step; a class file has steps (or is neither)."""
    if not isinstance(root, yaml.MappingNode):
        return False
    keys = {k.value for k, _ in root.value if isinstance(k, yaml.ScalarNode)}
    return "steps" not in keys and bool(keys & {"kind", "trains"})


def _id_line(root: yaml.Node | None) -> int:
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "id":
                return line_of(value)
    return 0
