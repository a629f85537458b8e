"""Classes: a file's steps, written out or ``use:``-ing an exercise, checked as a whole.

Parsing takes the exercise index that ``use:`` resolves against as an
argument: the built-in library passes its own, the application passes the
library's, and this package never imports the library.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import yaml

from exercises.classfile.durations import format_duration
from exercises.classfile.exercise import Exercise
from exercises.classfile.limits import MAX_TITLE_CHARS
from exercises.classfile.parameters import (
    Parameter,
    check_placeholders,
    fill_parameters,
    read_parameters,
)
from exercises.classfile.problems import ClassFileError, Problem, sorted_problems
from exercises.classfile.reader import Keyed, Reader, compose, line_of, unknown
from exercises.classfile.steps import (
    STEP_KEYS,
    Fields,
    build_step,
    read_kind,
    read_step_fields,
    step_values,
)
from exercises.classfile.tags import read_tags
from exercises.errors import InvalidScript
from exercises.script import ClassScript, Step

__all__ = ["ClassTemplate", "load_class_text", "parse_class", "read_class"]

_CLASS_KEYS = ("id", "version", "title", "description", "duration", "tags", "parameters", "steps")


@dataclass(frozen=True, slots=True)
class ClassTemplate:
    """A valid class whose parameters are not filled in yet."""

    script: ClassScript
    parameters: tuple[Parameter, ...]
    file: str

    def fill(self, params: Mapping[str, str] = {}) -> ClassScript:
        """The runnable class. Raises ``ClassFileError`` for a missing or unknown parameter."""
        return fill_parameters(self.script, self.parameters, params, self.file)


def read_class(r: Reader, root: yaml.Node, library: Mapping[str, Exercise]) -> ClassTemplate | None:
    """The class at ``root``, ``use:`` resolved in ``library``; None with every problem in ``r``."""
    fields = r.mapping(root, "", _CLASS_KEYS, ("id", "version", "title", "description",
                                               "duration", "steps"),
                       what="a class (a mapping with id, version, title, description, duration "
                            "and steps)")
    if fields is None:
        return None
    class_id = r.ident(fields["id"], "id") if "id" in fields else None
    version = r.integer(fields["version"], "version", 1, 1_000_000) if "version" in fields else None
    title = r.text(fields["title"], "title", MAX_TITLE_CHARS) if "title" in fields else None
    description = r.text(fields["description"], "description") if "description" in fields else None
    duration = r.duration(fields["duration"], "duration") if "duration" in fields else None
    if duration is not None and duration <= 0:
        r.add(line_of(fields["duration"]), "duration", "expected the pass's length, more than 0s",
              "class_duration")
    tags = read_tags(r, fields["tags"], "tags") if "tags" in fields else ()
    own = read_parameters(r, fields["parameters"], "parameters") if "parameters" in fields else ()
    parameters: dict[str, Parameter] = {p.name: p for p in own or ()}
    steps: list[Step] = []
    ok = True
    items = r.sequence(fields["steps"], "steps", "a list of steps") if "steps" in fields else None
    if items is not None and not items:
        r.add(line_of(fields["steps"]), "steps", "expected at least one step", "no_steps")
    seen: dict[str, int] = {}
    for i, item in enumerate(items or ()):
        path = f"steps[{i}]"
        step_fields = r.mapping(item, path, STEP_KEYS + ("use",), what="a step (a mapping)")
        if step_fields is None:
            ok = False
            continue
        step_id, step, used = _read_class_step(r, step_fields, path, line_of(item), library)
        for p in used.parameters if used is not None else ():
            # Point a missing value at the step that brought the parameter in.
            parameters.setdefault(p.name, replace(p, line=line_of(step_fields["use"])))
        id_line = line_of(step_fields.get("id", step_fields.get("use", item)))
        if step_id is not None and step_id in seen:
            hint = " (a second use of an exercise needs its own id:)" if "id" not in step_fields else ""
            r.add(id_line, f"{path}.id", f"duplicate step id {step_id!r} (first on line "
                  f"{seen[step_id]}){hint}", "duplicate_id", id=step_id)
            ok = False
        elif step_id is not None:
            seen[step_id] = id_line
        if step is None:
            ok = False
        else:
            steps.append(step)
    if own is not None:
        check_placeholders(r, parameters)
    if ok and steps and duration is not None and duration > 0:
        total = sum(s.duration for s in steps)
        if total > duration:
            r.add(line_of(fields["duration"]), "duration",
                  f"impossible timing: the steps add up to {format_duration(total)}, longer "
                  f"than the class ({format_duration(duration)})", "class_too_short",
                  total_seconds=total, duration_seconds=duration)
    if r.problems or class_id is None or version is None or title is None \
            or description is None or duration is None or tags is None or not steps:
        return None
    try:
        script = ClassScript(id=class_id, version=version, title=title, description=description,
                             steps=tuple(steps), duration=duration, tags=tags)
    except InvalidScript as error:
        r.add(line_of(root), "", str(error))
        return None
    return ClassTemplate(script, tuple(parameters.values()), r.file)


def _read_class_step(r: Reader, fields: Keyed, path: str, line: int,
                     library: Mapping[str, Exercise]
                     ) -> tuple[str | None, Step | None, Exercise | None]:
    """The step's id (when readable), the step (when valid) and the exercise it uses."""
    used: Exercise | None = None
    if "use" in fields:
        name = r.scalar(fields["use"], f"{path}.use", "an exercise id")
        if name is not None:
            used = library.get(name)
            if used is None:
                r.add(line_of(fields["use"]), f"{path}.use",
                      unknown("exercise", name, sorted(library), brief=True),
                      "unknown_exercise", id=name)
        if "kind" in fields:
            r.add(line_of(fields["kind"]), f"{path}.kind",
                  "the kind comes from the exercise; remove kind or remove use", "kind_with_use")
    elif "kind" not in fields:
        r.add(line, f"{path}.kind", "missing: give a kind, or use: an exercise id", "missing")
    step_id = r.ident(fields["id"], f"{path}.id") if "id" in fields else None
    if "use" not in fields and "id" not in fields:
        r.add(line, f"{path}.id", "missing (required)", "missing")
    if used is not None and "id" not in fields:
        step_id = used.id
    kind = used.step.kind if used is not None else (read_kind(r, fields, path)
                                                     if "use" not in fields else None)
    own = read_step_fields(r, fields, path, kind)
    if kind is None or step_id is None:
        return step_id, None, used
    if used is not None:
        own = Fields(step_values(used.step) | own.values, own.lines)
    return step_id, build_step(r, path, line, step_id, kind, own), used


def parse_class(text: str, filename: str, exercises: Mapping[str, Exercise]) -> ClassTemplate:
    """Read a class file's text; raises ``ClassFileError`` listing every problem.

    ``use:`` references resolve against ``exercises``, an index by id (the
    built-in library's is ``exercises.library.exercise_index()``).
    """
    r = Reader(filename)
    root = compose(r, text)
    template = None
    if root is not None:
        template = read_class(r, root, exercises)
    if r.problems or template is None:
        raise ClassFileError(sorted_problems(r.problems)
                             or [Problem(filename, 0, "", "not a valid class")])
    return template


def load_class_text(text: str, filename: str, params: Mapping[str, str] = {}, *,
                    exercises: Mapping[str, Exercise]) -> ClassScript:
    """The runnable class in ``text``, parameters filled; raises ``ClassFileError``."""
    return parse_class(text, filename, exercises).fill(params)
