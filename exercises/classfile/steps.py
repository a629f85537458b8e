"""Steps as a file writes them: each field read, then the rules that tie fields together.

A step written out in a class, an exercise (one step plus what it trains)
and a facilitator's edit all go through :func:`build_step`, so the three
are checked alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from exercises.classfile.durations import format_duration
from exercises.classfile.limits import MAX_OPTIONS, MAX_SCALE_SPAN, MAX_TITLE_CHARS, MAX_WORDS
from exercises.classfile.reader import Keyed, Reader, join_path, line_of
from exercises.errors import InvalidScript
from exercises.script import ANSWERED_KINDS, TURN_WARNING_SECONDS, Role, Step, StepKind, Visibility

__all__ = ["STEP_KEYS", "Fields", "build_step", "read_kind", "read_step_fields", "step_values"]

STEP_KEYS = ("id", "kind", "title", "prompt", "duration", "visibility", "group_size", "roles",
             "extra_role", "turn_duration", "options", "multiple", "scale_min", "scale_max", "max_words")
#: Keys that only make sense for some kinds of step.
_KIND_KEYS: dict[str, frozenset[StepKind]] = {
    "visibility": ANSWERED_KINDS,
    "group_size": frozenset({StepKind.BREAKOUT}),
    "roles": frozenset({StepKind.BREAKOUT}),
    "extra_role": frozenset({StepKind.BREAKOUT}),
    "turn_duration": frozenset({StepKind.BREAKOUT}),
    "options": frozenset({StepKind.POLL}),
    "multiple": frozenset({StepKind.POLL}),
    "scale_min": frozenset({StepKind.SCALE}),
    "scale_max": frozenset({StepKind.SCALE}),
    "max_words": frozenset({StepKind.WORD_CLOUD}),
}


@dataclass(frozen=True, slots=True)
class Fields:
    """Step fields read from one mapping, with the line of each."""

    values: dict[str, Any]
    lines: dict[str, int]


def read_step_fields(r: Reader, fields: Keyed, path: str, kind: StepKind | None) -> Fields:
    """Every step field in ``fields`` that applies to ``kind``, read (problems go to ``r``)."""
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key, node in fields.items():
        if key not in STEP_KEYS or key in ("id", "kind"):
            continue
        where = join_path(path, key)
        lines[key] = fields.key_lines[key]
        kinds = _KIND_KEYS.get(key)
        if kind is not None and kinds is not None and kind not in kinds:
            names = ", ".join(sorted(k.value for k in kinds))
            r.add(lines[key], where, f"does not apply to a {kind.value} step "
                  f"(only to: {names})", "not_for_kind", kind=kind.value)
            continue
        value = _read_step_field(r, key, node, where)
        if value is not None:
            values[key] = value
    return Fields(values, lines)


def _read_step_field(r: Reader, key: str, node: yaml.Node, where: str) -> Any:
    if key == "title":
        return r.text(node, where, MAX_TITLE_CHARS)
    if key == "prompt":
        return r.text(node, where)
    if key in ("duration", "turn_duration"):
        return r.duration(node, where)
    if key == "visibility":
        value = r.choice(node, where, [v.value for v in Visibility])
        return None if value is None else Visibility(value)
    if key == "group_size":
        return r.integer(node, where, 2, 4)
    if key in ("scale_min", "scale_max"):
        return r.integer(node, where, -100, 100)
    if key == "max_words":
        return r.integer(node, where, 1, MAX_WORDS)
    if key == "multiple":
        return r.boolean(node, where)
    if key == "options":
        items = r.sequence(node, where, "a list of texts")
        if items is None:
            return None
        options = [r.text(item, f"{where}[{i}]", MAX_TITLE_CHARS) for i, item in enumerate(items)]
        return None if any(o is None for o in options) else tuple(options)
    if key == "roles":
        return _read_roles(r, node, where)
    if key == "extra_role":
        return _read_role(r, node, where)
    raise AssertionError(f"no reader for step key {key!r}")


def _read_role(r: Reader, node: yaml.Node, where: str) -> Role | None:
    """The role of a group's members beyond the roles (a trio in a pair exercise)."""
    fields = r.mapping(node, where, ("id", "name", "prompt"), ("id", "name", "prompt"),
                       what="a role ({id, name, prompt}) for members beyond the roles")
    if fields is None:
        return None
    role_id = r.ident(fields["id"], f"{where}.id") if "id" in fields else None
    name = r.text(fields["name"], f"{where}.name", MAX_TITLE_CHARS) if "name" in fields else None
    prompt = r.text(fields["prompt"], f"{where}.prompt") if "prompt" in fields else None
    if role_id is None or name is None or prompt is None:
        return None
    return Role(role_id, name, prompt)


def _read_roles(r: Reader, node: yaml.Node, path: str) -> tuple[Role, ...] | None:
    items = r.sequence(node, path, "a list of roles ({id, name, prompt})")
    if items is None:
        return None
    roles: list[Role] = []
    seen: dict[str, int] = {}
    ok = True
    for i, item in enumerate(items):
        where = f"{path}[{i}]"
        fields = r.mapping(item, where, ("id", "name", "prompt"), ("id", "name", "prompt"),
                           what="a role ({id, name, prompt})")
        if fields is None:
            ok = False
            continue
        role_id = r.ident(fields["id"], f"{where}.id") if "id" in fields else None
        name = r.text(fields["name"], f"{where}.name", MAX_TITLE_CHARS) if "name" in fields else None
        prompt = r.text(fields["prompt"], f"{where}.prompt") if "prompt" in fields else None
        if role_id is not None and role_id in seen:
            r.add(line_of(fields["id"]), f"{where}.id",
                  f"duplicate role id {role_id!r} (first on line {seen[role_id]})",
                  "duplicate_id", id=role_id)
            role_id = None
        if role_id is None or name is None or prompt is None:
            ok = False
            continue
        seen[role_id] = line_of(fields["id"])
        roles.append(Role(role_id, name, prompt))
    return tuple(roles) if ok else None


def read_kind(r: Reader, fields: Mapping[str, yaml.Node], path: str) -> StepKind | None:
    """The step's ``kind``, when given and known."""
    node = fields.get("kind")
    if node is None:
        return None
    value = r.choice(node, join_path(path, "kind"), [k.value for k in StepKind])
    return None if value is None else StepKind(value)


def build_step(r: Reader, path: str, line: int, step_id: str, kind: StepKind,
                f: Fields) -> Step | None:
    """Check the rules that tie fields together, then build the step."""
    v, before = f.values, len(r.problems)

    def bad(key: str, message: str, code: str, **params: str | int | float) -> None:
        r.add(f.lines.get(key, line), join_path(path, key), message, code, **params)

    for key in ("title", "prompt"):
        if key not in v and key not in f.lines:
            bad(key, "missing (required)", "missing")
    # A field that did not parse is already reported; rules that need it are skipped.
    failed = {k for k in f.lines if k not in v}
    duration = v.get("duration", 0.0)
    if kind is StepKind.BREAKOUT and not failed & {"duration", "group_size", "roles",
                                                   "turn_duration"}:
        group_size = v.get("group_size", 2)
        roles = v.get("roles", ())
        turn = v.get("turn_duration", 0.0)
        if duration <= 0:
            bad("duration", "missing: a breakout needs a duration, like 10m"
                if "duration" not in f.lines else "a breakout needs a duration longer than 0s",
                "breakout_duration")
        if roles and not 2 <= len(roles) <= group_size:
            bad("roles", f"expected 2 to {group_size} roles for groups of {group_size}, "
                f"got {len(roles)} (change group_size or the roles)", "roles_count",
                group_size=group_size)
        if roles and turn <= 0:
            bad("turn_duration" if "turn_duration" in f.lines else "roles",
                "roles need a turn_duration, the time each turn takes, like 3m", "turn_needed")
        if turn > 0 and not roles:
            bad("turn_duration", "a turn_duration needs roles to rotate", "turn_without_roles")
        extra = v.get("extra_role")
        if extra is not None and not roles:
            bad("extra_role", "an extra_role needs roles: it is the role of members beyond them",
                "extra_role_without_roles")
        elif extra is not None and extra.id in {role.id for role in roles}:
            bad("extra_role", f"the extra_role's id {extra.id!r} is one of the roles; give it "
                "its own id, so no role is held by two people at once", "extra_role_is_a_role",
                role=extra.id)
        if roles and turn > 0:
            if turn <= TURN_WARNING_SECONDS:
                bad("turn_duration", f"a turn must be longer than the "
                    f"{TURN_WARNING_SECONDS:g}s warning, got {format_duration(turn)}",
                    "turn_too_short", seconds=TURN_WARNING_SECONDS)
            if duration > 0 and turn * len(roles) > duration:
                # Blame the field that was written here (an override or an edit).
                edited = "turn_duration" in f.lines or "duration" not in f.lines
                bad("turn_duration" if edited else "duration", f"impossible timing: {len(roles)} turns of "
                    f"{format_duration(turn)} take {format_duration(turn * len(roles))}, longer "
                    f"than the exercise ({format_duration(duration)})", "turns_too_long",
                    turns=len(roles), turn_seconds=turn, total_seconds=turn * len(roles),
                    duration_seconds=duration)
    if kind is StepKind.POLL and "options" not in failed:
        count = len(v.get("options", ()))
        if "options" not in f.lines and count == 0:
            bad("options", "missing: a poll needs at least two options", "poll_options",
                max=MAX_OPTIONS)
        elif not 2 <= count <= MAX_OPTIONS:
            bad("options", f"expected 2 to {MAX_OPTIONS} options, got {count}", "poll_options",
                max=MAX_OPTIONS)
    if kind is StepKind.SCALE and not failed & {"scale_min", "scale_max"}:
        low, high = v.get("scale_min", 1), v.get("scale_max", 5)
        if not low < high or high - low > MAX_SCALE_SPAN:
            bad("scale_max" if "scale_max" in f.lines else "scale_min",
                f"expected scale_min below scale_max and at most {MAX_SCALE_SPAN} apart, "
                f"got {low} to {high}", "scale_range", span=MAX_SCALE_SPAN)
    visibility = v.get("visibility", Visibility.PRIVATE)
    if kind is StepKind.COMMITMENT and visibility is not Visibility.PRIVATE:
        bad("visibility", "a commitment is private: only its author ever sees it",
            "commitment_private")
    if len(r.problems) > before or failed:
        return None
    try:
        return Step(id=step_id, kind=kind, title=v["title"], prompt=v["prompt"],
                    duration=duration, visibility=visibility,
                    group_size=v.get("group_size", 2), roles=v.get("roles", ()),
                    extra_role=v.get("extra_role"),
                    turn_seconds=v.get("turn_duration", 0.0), options=v.get("options", ()),
                    multiple=v.get("multiple", False), scale_min=v.get("scale_min", 1),
                    scale_max=v.get("scale_max", 5), max_words=v.get("max_words", 1))
    except InvalidScript as error:  # the model's own invariants, as a last net
        r.add(line, path, str(error))
        return None


def step_values(step: Step) -> dict[str, Any]:
    """A built step's fields under their file names, to layer overrides on."""
    return {"title": step.title, "prompt": step.prompt, "duration": step.duration,
            "visibility": step.visibility, "group_size": step.group_size, "roles": step.roles,
            "extra_role": step.extra_role, "turn_duration": step.turn_seconds, "options": step.options,
            "multiple": step.multiple, "scale_min": step.scale_min, "scale_max": step.scale_max,
            "max_words": step.max_words}
