"""A class as the class page edits it: plain values in, today's class file out, checked as one.

A *draft* is JSON-like: texts as ``{"sv", "en"}``, durations in minutes,
steps in order, each written out or starting from a library exercise
(``use``). :func:`draft_text` writes it as a class file (for a ``use`` step
only what differs from its exercise, so an exported class reads like one a
person wrote) and :func:`check_draft` reads that text back with the class
file reader: the page refuses exactly what ``onlive class validate``
refuses, and every problem names the field path of the file
(``steps[2].duration``), which is where the page shows it.

The page's own rules come first: the draft's shape (a wrong type names its
field) and durations in minutes with sensible minimums (:data:`MINIMUMS`).
:func:`draft_of` is the inverse, from a class file's text.

Errors: none raised; problems are returned, each with a ``code`` and
``params`` a page translates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from exercises.classfile.durations import format_duration
from exercises.classfile.exercise import Exercise
from exercises.classfile.problems import Problem, sorted_problems
from exercises.classfile.reader import Reader, compose
from exercises.classfile.template import ClassTemplate, parse_class, read_class
from exercises.script import ANSWERED_KINDS, Role, Step, StepKind
from exercises.text import Text

__all__ = ["DRAFT_FILE", "MINIMUMS", "DraftCheck", "check_draft", "draft_of", "draft_text",
           "step_draft"]

#: The file name problems of a draft carry (a draft has no file; lines are 0).
DRAFT_FILE = "class draft"

#: The shortest a duration may be in the editor, in minutes. A timed step
#: shorter than a minute cannot be done in a live pass; a breakout needs time
#: to move people, say hello and move back; 0 means a step without a timer.
MINIMUMS: Mapping[str, float] = {"class": 10.0, "breakout": 2.0, "turn": 1.0, "step": 1.0}

_STEP_KEYS = frozenset({"use", "id", "kind", "title", "prompt", "minutes", "visibility",
                        "group_size", "roles", "extra_role", "turn_minutes", "options",
                        "multiple", "scale_min", "scale_max", "max_words"})
_CLASS_KEYS = frozenset({"id", "title", "description", "minutes", "tags", "parameters", "steps"})
#: Draft keys that are copied into the file under the same name.
_PLAIN = ("visibility", "group_size", "multiple", "scale_min", "scale_max", "max_words")


@dataclass(frozen=True, slots=True)
class DraftCheck:
    """A draft's class-file text (None when its shape is wrong), the class when valid,
    and every problem (empty when valid)."""

    text: str | None
    template: ClassTemplate | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems and self.template is not None


# -- from a file to a draft -------------------------------------------------------------------

def _text(t: Text) -> dict[str, str]:
    return {"sv": t.sv, "en": t.en}


def _minutes(seconds: float) -> float | int:
    value = round(seconds / 60, 2)
    return int(value) if value == int(value) else value


def _role(role: Role) -> dict[str, Any]:
    return {"id": role.id, "name": _text(role.name), "prompt": _text(role.prompt)}


def step_draft(step: Step, use: str | None = None) -> dict[str, Any]:
    """One step as the page edits it: every field that applies to its kind."""
    out: dict[str, Any] = {"use": use, "id": step.id, "kind": step.kind.value,
                           "title": _text(step.title), "prompt": _text(step.prompt),
                           "minutes": _minutes(step.duration)}
    if step.kind in ANSWERED_KINDS:
        out["visibility"] = step.visibility.value
    if step.kind is StepKind.BREAKOUT:
        out |= {"group_size": step.group_size, "turn_minutes": _minutes(step.turn_seconds),
                "roles": [_role(r) for r in step.roles],
                "extra_role": _role(step.extra_role) if step.extra_role else None}
    if step.kind is StepKind.POLL:
        out |= {"options": [_text(o) for o in step.options], "multiple": step.multiple}
    if step.kind is StepKind.SCALE:
        out |= {"scale_min": step.scale_min, "scale_max": step.scale_max}
    if step.kind is StepKind.WORD_CLOUD:
        out["max_words"] = step.max_words
    return out


def draft_of(text: str, file: str, exercises: Mapping[str, Exercise]) -> dict[str, Any]:
    """The draft of a valid class file's text (placeholders kept, not filled).

    Raises ``ClassFileError`` when the text is not a valid class.
    """
    template = parse_class(text, file, exercises)
    raw = yaml.safe_load(text)
    script = template.script
    own = set((raw.get("parameters") or {}).keys())
    parameters = {p.name: {k: _text(v) for k, v in (("title", p.title), ("example", p.example),
                                                     ("default", p.default)) if v is not None}
                  for p in template.parameters if p.name in own}
    steps = [step_draft(step, item.get("use")) for step, item in zip(script.steps, raw["steps"])]
    return {"id": script.id, "title": _text(script.title), "description": _text(script.description),
            "minutes": _minutes(script.duration), "tags": _plain_tags(raw.get("tags")),
            "parameters": parameters, "steps": steps}


def _plain_tags(tags: object) -> list[str] | dict[str, list[str]]:
    if isinstance(tags, dict):
        return {str(k): [str(v) for v in (items or [])] for k, items in tags.items()}
    if isinstance(tags, list):
        return [str(v) for v in tags]
    return []


# -- from a draft to a file -------------------------------------------------------------------

class _Shape:
    """Collects the page's own problems while turning a draft into a file mapping."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str, message: str, code: str, **params: str | int | float) -> None:
        self.problems.append(Problem(DRAFT_FILE, 0, field, message, code,
                                     tuple(sorted(params.items()))))

    def mapping(self, value: object, path: str, allowed: frozenset[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.add(path, "expected a mapping", "wrong_type")
            return None
        for key in value:
            if key not in allowed:
                self.add(f"{path}.{key}" if path else str(key), f"unknown key {key!r}",
                         "unknown_key", key=str(key))
        return value

    def minutes(self, value: object, path: str, minimum: float, *,
                zero_allowed: bool = False) -> str | None:
        """The duration as a file writes it, from minutes; None (and a problem) if unfit."""
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            self.add(path, "expected a number of minutes", "minutes_number")
            return None
        if value == 0 and zero_allowed:
            return "0s"
        if value < minimum:
            self.add(path, f"expected at least {minimum:g} minutes"
                     + (" (or 0 for no timer)" if zero_allowed else ""),
                     "minutes_minimum_or_zero" if zero_allowed else "minutes_minimum",
                     min=minimum)
            return None
        return format_duration(round(float(value) * 60))


def _differs(exercise: Step, key: str, value: Any) -> bool:
    """Whether a ``use`` step's value differs from its exercise's (so must be written)."""
    current: Any = {"title": _text(exercise.title), "prompt": _text(exercise.prompt),
                    "duration": format_duration(exercise.duration),
                    "turn_duration": format_duration(exercise.turn_seconds),
                    "visibility": exercise.visibility.value, "group_size": exercise.group_size,
                    "multiple": exercise.multiple, "scale_min": exercise.scale_min,
                    "scale_max": exercise.scale_max, "max_words": exercise.max_words,
                    "options": [_text(o) for o in exercise.options],
                    "roles": [_role(r) for r in exercise.roles],
                    "extra_role": _role(exercise.extra_role) if exercise.extra_role else None}[key]
    return bool(current != value)


def _file_step(s: _Shape, raw: object, path: str,
               exercises: Mapping[str, Exercise]) -> dict[str, Any] | None:
    step = s.mapping(raw, path, _STEP_KEYS)
    if step is None:
        return None
    use = step.get("use")
    used = exercises.get(use) if isinstance(use, str) else None
    kind = used.step.kind.value if used is not None else step.get("kind")
    if used is not None and used.step.roles and "roles" in step and not step.get("roles"):
        # Without its roles the exercise is another step (a file cannot take away an
        # exercise's extra role): written out in full.
        step = dict(step, use=None, id=step.get("id") or used.id, kind=kind)
        use, used = None, None
    out: dict[str, Any] = {}
    if use is not None:
        out["use"] = use
        if step.get("id") is not None and (used is None or step.get("id") != used.id):
            out["id"] = step.get("id")
    else:
        out["id"] = step.get("id")
        out["kind"] = kind
    fields: dict[str, Any] = {}
    for key in ("title", "prompt"):
        if key in step:
            fields[key] = step[key]
    if "minutes" in step:
        breakout = kind == StepKind.BREAKOUT.value
        fields["duration"] = s.minutes(step["minutes"], f"{path}.duration",
                                       MINIMUMS["breakout" if breakout else "step"],
                                       zero_allowed=not breakout)
    applies = _applies(kind)
    for key in _PLAIN:
        if key in step and key in applies:
            fields[key] = step[key]
    if "options" in applies and "options" in step:
        options = step["options"]
        fields["options"] = list(options) if isinstance(options, list) else options
    roles = step.get("roles") if "roles" in applies else None
    if roles:
        fields["roles"] = roles
        if step.get("extra_role"):
            fields["extra_role"] = step["extra_role"]
        if "turn_minutes" in step:
            fields["turn_duration"] = s.minutes(step["turn_minutes"], f"{path}.turn_duration",
                                                MINIMUMS["turn"])
    for key, value in fields.items():
        if value is None:
            continue  # already a problem of the page's own
        if used is None or _differs(used.step, key, value):
            out[key] = value
    return out


def _applies(kind: object) -> frozenset[str]:
    if not isinstance(kind, str) or kind not in {k.value for k in StepKind}:
        return frozenset()
    k = StepKind(kind)
    keys = {"visibility"} if k in ANSWERED_KINDS else set()
    if k is StepKind.BREAKOUT:
        keys |= {"group_size", "roles", "extra_role", "turn_duration"}
    if k is StepKind.POLL:
        keys |= {"options", "multiple"}
    if k is StepKind.SCALE:
        keys |= {"scale_min", "scale_max"}
    if k is StepKind.WORD_CLOUD:
        keys.add("max_words")
    return frozenset(keys)


def _file(draft: object, version: int, exercises: Mapping[str, Exercise]
          ) -> tuple[dict[str, Any] | None, list[Problem]]:
    s = _Shape()
    top = s.mapping(draft, "", _CLASS_KEYS)
    if top is None:
        return None, s.problems
    out: dict[str, Any] = {"id": top.get("id"), "version": version,
                           "title": top.get("title"),
                           "description": top.get("description")}
    duration = s.minutes(top.get("minutes"), "duration", MINIMUMS["class"])
    if duration is not None:
        out["duration"] = duration
    if top.get("tags"):
        out["tags"] = top["tags"]
    if top.get("parameters"):
        out["parameters"] = top["parameters"]
    steps = top.get("steps")
    if not isinstance(steps, list):
        s.add("steps", "expected a list of steps", "wrong_type")
        return None, s.problems
    out["steps"] = [_file_step(s, item, f"steps[{i}]", exercises) for i, item in enumerate(steps)]
    if any(step is None for step in out["steps"]):
        return None, s.problems
    return out, s.problems


def draft_text(draft: object, version: int, exercises: Mapping[str, Exercise]) -> str | None:
    """The draft as a class file's text with ``version``; None when its shape is wrong."""
    mapping, _ = _file(draft, version, exercises)
    return None if mapping is None else _dump(mapping)


def _dump(mapping: Mapping[str, Any]) -> str:
    text: str = yaml.safe_dump(dict(mapping), allow_unicode=True, sort_keys=False, width=100,
                               default_flow_style=False)
    return text


def check_draft(draft: object, version: int, exercises: Mapping[str, Exercise]) -> DraftCheck:
    """Every problem of a draft: the page's rules, then the class file's, by field path.

    A field the page's rules refuse is left out of the file, so the reader
    may add "missing" for it: that one is dropped, the page's problem says more.
    """
    mapping, own = _file(draft, version, exercises)
    if mapping is None:
        return DraftCheck(None, None, tuple(own))
    text = _dump(mapping)
    r = Reader(DRAFT_FILE)
    root = compose(r, text)
    template = read_class(r, root, exercises) if root is not None else None
    refused = {p.field for p in own}
    found = own + [Problem(DRAFT_FILE, 0, p.field, p.message, p.code, p.params)
                   for p in r.problems if not (p.code == "missing" and p.field in refused)
                   and not _consequence(p, refused)]
    return DraftCheck(text, None if found else template, tuple(sorted_problems(_unique(found))))


def _consequence(p: Problem, refused: set[str]) -> bool:
    """A breakout "needs a duration" only because the page refused the one given."""
    return p.code == "breakout_duration" and p.field in refused


def _unique(problems: Sequence[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))

