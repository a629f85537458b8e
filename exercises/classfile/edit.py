"""Adapting a class before a pass: one step's text or duration, checked like a file."""

from __future__ import annotations

from exercises.classfile.durations import DURATION_HINT, format_duration, parse_duration
from exercises.classfile.limits import MAX_DURATION_SECONDS, MAX_TEXT_CHARS, MAX_TITLE_CHARS
from exercises.classfile.problems import ClassFileError, Problem
from exercises.classfile.reader import Reader
from exercises.classfile.steps import Fields, build_step, step_values
from exercises.errors import InvalidScript
from exercises.script import ClassScript
from exercises.text import Text

__all__ = ["edit_step"]


def edit_step(script: ClassScript, step_id: str, *, title: Text | None = None,
              prompt: Text | None = None, duration: str | float | None = None) -> ClassScript:
    """A copy of ``script`` with one step's text or duration changed, checked like a file.

    This is how a facilitator adapts a class before a pass starts; the class
    file is never touched. ``duration`` is seconds or a text like ``5m``.
    Raises ``ClassFileError`` whose problems name ``steps[i].<field>`` (line 0:
    the edit has no file) and say what was expected.
    """
    r = Reader(f"class {script.id}")
    try:
        index = script.index_of(step_id)
    except InvalidScript:
        known = ", ".join(s.id for s in script.steps)
        raise ClassFileError([Problem(r.file, 0, "steps", f"no step {step_id!r} "
                                      f"(steps: {known})")]) from None
    step, path = script.steps[index], f"steps[{index}]"
    values = step_values(step)
    edited_keys: dict[str, int] = {}
    for key, text, limit in (("title", title, MAX_TITLE_CHARS), ("prompt", prompt, MAX_TEXT_CHARS)):
        if text is None:
            continue
        if max(len(text.sv), len(text.en)) > limit:
            r.add(0, f"{path}.{key}", f"expected at most {limit} characters per language")
        else:
            values[key], edited_keys[key] = text, 0
    if isinstance(duration, str):
        try:
            duration = parse_duration(duration)
        except InvalidScript:
            r.add(0, f"{path}.duration", f"{DURATION_HINT}, got {duration!r}")
            duration = None
    if duration is not None:
        if not 0 <= duration <= MAX_DURATION_SECONDS:
            r.add(0, f"{path}.duration", f"expected 0s to "
                  f"{format_duration(MAX_DURATION_SECONDS)}, got {duration:g}s")
        else:
            values["duration"], edited_keys["duration"] = float(duration), 0
    edited = None if r.problems else build_step(r, path, 0, step.id, step.kind,
                                                 Fields(values, edited_keys))
    if edited is not None and script.duration > 0:
        total = sum(s.duration for s in script.steps) - step.duration + edited.duration
        if total > script.duration:
            r.add(0, f"{path}.duration", f"impossible timing: the steps would add up to "
                  f"{format_duration(total)}, longer than the class "
                  f"({format_duration(script.duration)}); shorten another step first")
    if r.problems or edited is None:
        raise ClassFileError(r.problems)
    return script.with_step(edited)
