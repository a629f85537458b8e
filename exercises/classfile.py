"""Class files: the YAML format facilitators write, read with line numbers.

A class file is one YAML mapping::

    id: listening-for-real          # letters, digits, '-' or '_'
    version: 1                      # a whole number; bump it when you change the class
    title: {sv: Att lyssna på riktigt, en: Listening for real}
    description: {sv: ..., en: ...}
    duration: 45m                   # the intended length of the pass
    tags:                           # a list of themes, or a mapping of these four lists
      themes: [listening]
      goals: [customer-focus]       # the organisation's business goals
      values: [openness]            # its values
      philosophy: [trust]           # its leadership philosophy
    parameters:                     # texts the organisation supplies per pass
      leadership_philosophy:
        title: {sv: ..., en: ...}
        example: {sv: ..., en: ...} # optional: shown as a hint
        default: {sv: ..., en: ...} # optional: a parameter without one is required
    steps:
      - use: tune-the-frequency     # a library exercise ...
        duration: 4m                # ... with any of its fields overridden
      - id: input                   # or a step written out in full
        kind: input
        title: {sv: ..., en: ...}
        prompt: {sv: "Vår filosofi: {leadership_philosophy}", en: "..."}
        duration: 5m

An exercise file (``exercises/library/exercises/*.yaml``) is one step written
out in full plus ``trains`` (what it trains, sv/en), optional ``tags`` and
optional ``parameters``. A class step with ``use: <exercise id>`` starts from
that exercise (its id defaults to the exercise's id) and replaces any field it
names; the exercise's parameters become the class's.

Step keys: ``id``, ``kind`` (check-in, input, breakout, reflection,
check-out, scale, poll, word-cloud, commitment, follow-up), ``title``,
``prompt``, ``duration``; for steps that ask an answer ``visibility``
(private, group, plenary, leadership); for breakouts ``group_size`` (2-4),
``roles`` (a list of ``{id, name, prompt}``) and ``turn_duration``; for polls
``options`` (a list of texts) and ``multiple``; for scales ``scale_min`` and
``scale_max``; for word clouds ``max_words``.

Durations are whole numbers with a unit, largest first: ``90s``, ``3m``,
``1h``, ``1m30s``, ``1h15m``. A bare number is refused because nobody can
tell whether ``90`` means seconds or minutes.

Every text is a mapping with a non-empty ``sv`` and ``en``. Texts may name a
parameter as ``{leadership_philosophy}``; write ``{{`` and ``}}`` for literal
braces.

Validation collects every problem in a file rather than stopping at the
first: each ``Problem`` names the file, the line, the field path
(``steps[2].duration``, 0-based) and what was expected. This is the only
module of the domain that imports ``yaml``.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from exercises.errors import InvalidScript
from exercises.script import (
    ANSWERED_KINDS,
    TURN_WARNING_SECONDS,
    ClassScript,
    Role,
    Step,
    StepKind,
    Visibility,
)
from exercises.text import LANGUAGES, Text

#: Files larger than this are refused before parsing (a class is a few KB).
MAX_FILE_BYTES = 256 * 1024
#: Problems reported per file; past this the file is hopeless anyway.
MAX_PROBLEMS = 100
#: The longest any duration in a class file may be.
MAX_DURATION_SECONDS = 8 * 3600.0
MAX_TITLE_CHARS = 120
MAX_TEXT_CHARS = 4000
MAX_PARAMETER_CHARS = 4000
MAX_OPTIONS = 10
MAX_SCALE_SPAN = 10
MAX_WORDS = 5
MAX_TAG_CHARS = 60

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_PARAMETER = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_DURATION = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")
_DURATION_HINT = "expected a duration like 90s, 3m or 1h"

_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
#: Turns int and bool scalars into values the way YAML 1.1 spells them (0x1F, 1_000, yes).
_SCALARS = yaml.constructor.SafeConstructor()

_STEP_KEYS = ("id", "kind", "title", "prompt", "duration", "visibility", "group_size", "roles",
              "turn_duration", "options", "multiple", "scale_min", "scale_max", "max_words")
_CLASS_KEYS = ("id", "version", "title", "description", "duration", "tags", "parameters", "steps")
_EXERCISE_KEYS = _STEP_KEYS + ("trains", "tags", "parameters")
_TAG_GROUPS = {"themes": "", "goals": "goal:", "values": "value:", "philosophy": "philosophy:"}
#: Keys that only make sense for some kinds of step.
_KIND_KEYS: dict[str, frozenset[StepKind]] = {
    "visibility": ANSWERED_KINDS,
    "group_size": frozenset({StepKind.BREAKOUT}),
    "roles": frozenset({StepKind.BREAKOUT}),
    "turn_duration": frozenset({StepKind.BREAKOUT}),
    "options": frozenset({StepKind.POLL}),
    "multiple": frozenset({StepKind.POLL}),
    "scale_min": frozenset({StepKind.SCALE}),
    "scale_max": frozenset({StepKind.SCALE}),
    "max_words": frozenset({StepKind.WORD_CLOUD}),
}


# --------------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file. ``line`` is 1-based; 0 means the whole file."""

    file: str
    line: int
    field: str
    message: str


def format_problem(p: Problem) -> str:
    """``file:line: field: message``, the form editors and CI logs link to."""
    where = f"{p.file}:{p.line}" if p.line else p.file
    return f"{where}: {p.field}: {p.message}" if p.field else f"{where}: {p.message}"


class ClassFileError(InvalidScript):
    """A class or exercise file (or the parameters given to it) is not valid."""

    code = "invalid_class_file"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(format_problem(p) for p in self.problems))


@dataclass(frozen=True, slots=True)
class Parameter:
    """A text the organisation supplies when a pass is created.

    The value goes into both languages (an organisation writes its leadership
    philosophy once). A parameter with a ``default`` is optional.
    """

    name: str
    title: Text
    example: Text | None = None
    default: Text | None = None
    line: int = 0

    @property
    def required(self) -> bool:
        return self.default is None


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


@dataclass(frozen=True, slots=True)
class ClassTemplate:
    """A valid class whose parameters are not filled in yet."""

    script: ClassScript
    parameters: tuple[Parameter, ...]
    file: str

    def fill(self, params: Mapping[str, str] = {}) -> ClassScript:
        """The runnable class. Raises ``ClassFileError`` for a missing or unknown parameter."""
        problems: list[Problem] = []
        declared = {p.name: p for p in self.parameters}
        for name in sorted(set(params) - set(declared)):
            known = ", ".join(sorted(declared)) or "none"
            problems.append(Problem(self.file, 0, f"parameters.{name}",
                                    f"the class has no parameter {name!r} (it declares: {known})"))
        sv: dict[str, str] = {}
        en: dict[str, str] = {}
        for p in self.parameters:
            given = params.get(p.name)
            where = f"parameters.{p.name}"
            if given is None:
                if p.default is None:
                    problems.append(Problem(self.file, p.line, where,
                                            f"required parameter not given: {p.title.en}; "
                                            "supply it when the pass is created"))
                    continue
                sv[p.name], en[p.name] = p.default.sv, p.default.en
            elif not isinstance(given, str) or not given.strip():
                problems.append(Problem(self.file, p.line, where, "expected a non-empty text"))
            elif len(given) > MAX_PARAMETER_CHARS:
                problems.append(Problem(self.file, p.line, where,
                                        f"is {len(given)} characters; at most {MAX_PARAMETER_CHARS}"))
            else:
                sv[p.name] = en[p.name] = given.strip()
        if problems:
            raise ClassFileError(problems)
        if not self.parameters:
            return self.script
        return replace(self.script, title=_fill(self.script.title, sv, en),
                       description=_fill(self.script.description, sv, en),
                       steps=tuple(_fill_step(s, sv, en) for s in self.script.steps))


def _fill(text: Text, sv: Mapping[str, str], en: Mapping[str, str]) -> Text:
    return Text(text.sv.format_map(sv), text.en.format_map(en))


def _fill_step(step: Step, sv: Mapping[str, str], en: Mapping[str, str]) -> Step:
    return replace(step, title=_fill(step.title, sv, en), prompt=_fill(step.prompt, sv, en),
                   roles=tuple(Role(r.id, _fill(r.name, sv, en), _fill(r.prompt, sv, en))
                               for r in step.roles),
                   options=tuple(_fill(o, sv, en) for o in step.options))


# --------------------------------------------------------------------------- durations


def parse_duration(text: str) -> float:
    """Seconds in ``90s``, ``3m``, ``1h``, ``1m30s`` or ``1h15m``.

    Units come largest first, each at most once, as whole numbers; spaces
    between parts are allowed (``1m 30s``). Raises ``InvalidScript`` with code
    ``invalid_duration`` for anything else, bare numbers included.
    """
    compact = text.strip().replace(" ", "") if isinstance(text, str) else ""
    match = _DURATION.match(compact)
    if not compact or match is None:
        raise InvalidScript(f"{_DURATION_HINT}, got {text!r}", code="invalid_duration")
    h, m, s = (int(match.group(k) or 0) for k in "hms")
    return float(h * 3600 + m * 60 + s)


def format_duration(seconds: float) -> str:
    """The inverse of ``parse_duration`` for whole seconds: 150 -> ``2m30s``."""
    total = int(round(seconds))
    if total == 0:
        return "0s"
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s")) if v)


# --------------------------------------------------------------------------- reading nodes


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "nothing"
    return repr(node.value)


class _Keyed(dict[str, yaml.Node]):
    """A mapping's value nodes by key, remembering the line of each key.

    Errors about a field point at its key: for a block list or mapping the
    value only starts on the next line.
    """

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[str, int] = {}


class _Reader:
    """Reads one file's nodes and collects every problem it finds."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        #: (parameter name, field path, line) for every placeholder in a text.
        self.placeholders: list[tuple[str, str, int]] = []

    def add(self, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(self.file, line, field, message))

    def mapping(self, node: yaml.Node, path: str, allowed: Sequence[str],
                required: Sequence[str] = (), what: str = "a mapping") -> _Keyed | None:
        """The mapping's values by key; unknown, duplicate and missing keys are problems."""
        if not isinstance(node, yaml.MappingNode):
            self.add(_line(node), path, f"expected {what}, got {_describe(node)}")
            return None
        found = _Keyed()
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            where = _join(path, str(key))
            if not isinstance(key, str) or key_node.tag == "tag:yaml.org,2002:merge":
                self.add(_line(key_node), path, f"expected a key name, got {_describe(key_node)}")
            elif key in found:
                self.add(_line(key_node), where,
                         f"duplicate key (first on line {found.key_lines[key]})")
            elif key not in allowed:
                self.add(_line(key_node), where, _unknown("key", key, allowed))
            else:
                found[key] = value
                found.key_lines[key] = _line(key_node)
        for key in required:
            if key not in found:
                self.add(_line(node), _join(path, key), "missing (required)")
        return found

    def sequence(self, node: yaml.Node, path: str, what: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.add(_line(node), path, f"expected {what}, got {_describe(node)}")
            return None
        return list(node.value)

    def scalar(self, node: yaml.Node, path: str, what: str) -> str | None:
        # Plain text is read raw so that `en: Yes` or `sv: no` stay words, not booleans.
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
            self.add(_line(node), path, f"expected {what}, got {_describe(node)}")
            return None
        return str(node.value)

    def ident(self, node: yaml.Node, path: str) -> str | None:
        value = self.scalar(node, path, "an id")
        if value is not None and not _ID.match(value):
            self.add(_line(node), path, "expected an id of letters, digits, '-' or '_' "
                     f"(at most 64, starting with a letter or digit), got {value!r}")
            return None
        return value

    def integer(self, node: yaml.Node, path: str, low: int, high: int) -> int | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _INT:
            self.add(_line(node), path,
                     f"expected a whole number from {low} to {high}, got {_describe(node)}")
            return None
        value = int(_SCALARS.construct_yaml_int(node))
        if not low <= value <= high:
            self.add(_line(node), path, f"expected a whole number from {low} to {high}, got {value}")
            return None
        return value

    def boolean(self, node: yaml.Node, path: str) -> bool | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL:
            self.add(_line(node), path, f"expected true or false, got {_describe(node)}")
            return None
        return bool(_SCALARS.construct_yaml_bool(node))

    def duration(self, node: yaml.Node, path: str) -> float | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _INT:
            self.add(_line(node), path, f"{_DURATION_HINT}, got {node.value} "
                     f"(add a unit: {node.value}s or {node.value}m)")
            return None
        raw = self.scalar(node, path, "a duration like 90s, 3m or 1h")
        if raw is None:
            return None
        try:
            seconds = parse_duration(raw)
        except InvalidScript:
            self.add(_line(node), path, f"{_DURATION_HINT}, got {raw!r}")
            return None
        if seconds > MAX_DURATION_SECONDS:
            self.add(_line(node), path, f"{raw} is longer than the longest allowed "
                     f"({format_duration(MAX_DURATION_SECONDS)})")
            return None
        return seconds

    def choice(self, node: yaml.Node, path: str, choices: Sequence[str]) -> str | None:
        value = self.scalar(node, path, "one of " + ", ".join(choices))
        if value is not None and value not in choices:
            self.add(_line(node), path, _unknown("value", value, choices))
            return None
        return value

    def text(self, node: yaml.Node, path: str, limit: int = MAX_TEXT_CHARS) -> Text | None:
        """A ``{sv: ..., en: ...}`` mapping with both languages filled in."""
        if isinstance(node, yaml.ScalarNode) and node.tag != _NULL:
            self.add(_line(node), path, "expected a text in Swedish and English "
                     "({sv: ..., en: ...}), got a single string")
            return None
        fields = self.mapping(node, path, LANGUAGES, what="a text in Swedish and English "
                              "({sv: ..., en: ...})")
        if fields is None:
            return None
        values: dict[str, str] = {}
        for language in LANGUAGES:
            where = _join(path, language)
            value_node = fields.get(language)
            if value_node is None:
                self.add(_line(node), where, f"missing translation ({_LANGUAGE_NAMES[language]})")
                continue
            value = value_node.value if isinstance(value_node, yaml.ScalarNode) else None
            if value_node.tag == _NULL or not isinstance(value, str) or not value.strip():
                self.add(_line(value_node), where,
                         f"missing translation ({_LANGUAGE_NAMES[language]}): expected a "
                         f"non-empty text, got {_describe(value_node)}")
                continue
            if len(value) > limit:
                self.add(_line(value_node), where, f"is {len(value)} characters; at most {limit}")
                continue
            if self._placeholders(value, where, _line(value_node)):
                values[language] = value.strip()
        if len(values) != len(LANGUAGES):
            return None
        return Text(values["sv"], values["en"])

    def _placeholders(self, value: str, path: str, line: int) -> bool:
        try:
            parts = list(string.Formatter().parse(value))
        except ValueError as error:
            self.add(line, path, f"{error}; write {{{{ and }}}} for literal braces")
            return False
        ok = True
        for _, name, spec, conversion in parts:
            if name is None:
                continue
            if not _PARAMETER.match(name) or spec or conversion:
                self.add(line, path, f"expected a parameter like {{leadership_philosophy}}, got "
                         f"{{{name}{'!' + conversion if conversion else ''}"
                         f"{':' + spec if spec else ''}}}; write {{{{ and }}}} for literal braces")
                ok = False
            else:
                self.placeholders.append((name, path, line))
        return ok


_LANGUAGE_NAMES = {"sv": "Swedish", "en": "English"}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _unknown(what: str, value: str, allowed: Iterable[str], *, brief: bool = False) -> str:
    """Name the unknown value, the closest known one and (unless ``brief`` and close) all."""
    allowed = list(allowed)
    close = difflib.get_close_matches(value, allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    if brief and close:
        return f"unknown {what} {value!r}{hint}"
    return f"unknown {what} {value!r}{hint} (expected one of: {', '.join(allowed)})"


# --------------------------------------------------------------------------- steps


@dataclass(frozen=True, slots=True)
class _Fields:
    """Step fields read from one mapping, with the line of each."""

    values: dict[str, Any]
    lines: dict[str, int]


def _read_step_fields(r: _Reader, fields: _Keyed, path: str,
                      kind: StepKind | None) -> _Fields:
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key, node in fields.items():
        if key not in _STEP_KEYS or key in ("id", "kind"):
            continue
        where = _join(path, key)
        lines[key] = fields.key_lines[key]
        kinds = _KIND_KEYS.get(key)
        if kind is not None and kinds is not None and kind not in kinds:
            names = ", ".join(sorted(k.value for k in kinds))
            r.add(lines[key], where, f"does not apply to a {kind.value} step "
                  f"(only to: {names})")
            continue
        value = _read_step_field(r, key, node, where)
        if value is not None:
            values[key] = value
    return _Fields(values, lines)


def _read_step_field(r: _Reader, key: str, node: yaml.Node, where: str) -> Any:
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
    raise AssertionError(f"no reader for step key {key!r}")


def _read_roles(r: _Reader, node: yaml.Node, path: str) -> tuple[Role, ...] | None:
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
            r.add(_line(fields["id"]), f"{where}.id",
                  f"duplicate role id {role_id!r} (first on line {seen[role_id]})")
            role_id = None
        if role_id is None or name is None or prompt is None:
            ok = False
            continue
        seen[role_id] = _line(fields["id"])
        roles.append(Role(role_id, name, prompt))
    return tuple(roles) if ok else None


def _read_kind(r: _Reader, fields: Mapping[str, yaml.Node], path: str) -> StepKind | None:
    node = fields.get("kind")
    if node is None:
        return None
    value = r.choice(node, _join(path, "kind"), [k.value for k in StepKind])
    return None if value is None else StepKind(value)


def _build_step(r: _Reader, path: str, line: int, step_id: str, kind: StepKind,
                f: _Fields) -> Step | None:
    """Check the rules that tie fields together, then build the step."""
    v, before = f.values, len(r.problems)

    def bad(key: str, message: str) -> None:
        r.add(f.lines.get(key, line), _join(path, key), message)

    for key in ("title", "prompt"):
        if key not in v and key not in f.lines:
            bad(key, "missing (required)")
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
                if "duration" not in f.lines else "a breakout needs a duration longer than 0s")
        if roles and not 2 <= len(roles) <= group_size:
            bad("roles", f"expected 2 to {group_size} roles for groups of {group_size}, "
                f"got {len(roles)} (change group_size or the roles)")
        if roles and turn <= 0:
            bad("turn_duration" if "turn_duration" in f.lines else "roles",
                "roles need a turn_duration, the time each turn takes, like 3m")
        if turn > 0 and not roles:
            bad("turn_duration", "a turn_duration needs roles to rotate")
        if roles and turn > 0:
            if turn <= TURN_WARNING_SECONDS:
                bad("turn_duration", f"a turn must be longer than the "
                    f"{TURN_WARNING_SECONDS:g}s warning, got {format_duration(turn)}")
            if duration > 0 and turn * len(roles) > duration:
                # Blame the field that was written here (an override or an edit).
                edited = "turn_duration" in f.lines or "duration" not in f.lines
                bad("turn_duration" if edited else "duration", f"impossible timing: {len(roles)} turns of "
                    f"{format_duration(turn)} take {format_duration(turn * len(roles))}, longer "
                    f"than the exercise ({format_duration(duration)})")
    if kind is StepKind.POLL and "options" not in failed:
        count = len(v.get("options", ()))
        if "options" not in f.lines and count == 0:
            bad("options", "missing: a poll needs at least two options")
        elif not 2 <= count <= MAX_OPTIONS:
            bad("options", f"expected 2 to {MAX_OPTIONS} options, got {count}")
    if kind is StepKind.SCALE and not failed & {"scale_min", "scale_max"}:
        low, high = v.get("scale_min", 1), v.get("scale_max", 5)
        if not low < high or high - low > MAX_SCALE_SPAN:
            bad("scale_max" if "scale_max" in f.lines else "scale_min",
                f"expected scale_min below scale_max and at most {MAX_SCALE_SPAN} apart, "
                f"got {low} to {high}")
    visibility = v.get("visibility", Visibility.PRIVATE)
    if kind is StepKind.COMMITMENT and visibility is not Visibility.PRIVATE:
        bad("visibility", "a commitment is private: only its author ever sees it")
    if len(r.problems) > before or failed:
        return None
    try:
        return Step(id=step_id, kind=kind, title=v["title"], prompt=v["prompt"],
                    duration=duration, visibility=visibility,
                    group_size=v.get("group_size", 2), roles=v.get("roles", ()),
                    turn_seconds=v.get("turn_duration", 0.0), options=v.get("options", ()),
                    multiple=v.get("multiple", False), scale_min=v.get("scale_min", 1),
                    scale_max=v.get("scale_max", 5), max_words=v.get("max_words", 1))
    except InvalidScript as error:  # the model's own invariants, as a last net
        r.add(line, path, str(error))
        return None


def _step_values(step: Step) -> dict[str, Any]:
    """A built step's fields under their file names, to layer overrides on."""
    return {"title": step.title, "prompt": step.prompt, "duration": step.duration,
            "visibility": step.visibility, "group_size": step.group_size, "roles": step.roles,
            "turn_duration": step.turn_seconds, "options": step.options,
            "multiple": step.multiple, "scale_min": step.scale_min, "scale_max": step.scale_max,
            "max_words": step.max_words}


# --------------------------------------------------------------------------- files


def _compose(r: _Reader, text: str) -> yaml.Node | None:
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        r.add(0, "", f"file is larger than {MAX_FILE_BYTES // 1024} KB; a class is a few KB")
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        context = ""
        if error.context and error.context_mark is not None:
            context = f" ({error.context} on line {int(error.context_mark.line) + 1})"
        elif error.context:
            context = f" ({error.context})"
        # The usual cause is a text with ': ', '?', ',' or '#' in it, so say so.
        r.add(int(mark.line) + 1 if mark else 0, "", f"YAML syntax error: {error.problem}"
              f"{context}; put texts that contain : ? , # {{ }} [ ] in quotes")
        return None
    except yaml.YAMLError as error:
        r.add(0, "", f"YAML syntax error: {error}")
        return None
    if node is None:
        r.add(1, "", "file is empty; expected a mapping with id, version, title, ... and steps")
        return None
    return node


def _read_tags(r: _Reader, node: yaml.Node, path: str) -> tuple[str, ...] | None:
    def plain(items_node: yaml.Node, where: str, prefix: str) -> list[str] | None:
        items = r.sequence(items_node, where, "a list of tags")
        if items is None:
            return None
        out: list[str] = []
        for i, item in enumerate(items):
            value = r.scalar(item, f"{where}[{i}]", "a tag")
            if value is not None and not 0 < len(value.strip()) <= MAX_TAG_CHARS:
                r.add(_line(item), f"{where}[{i}]", f"expected a tag of 1 to {MAX_TAG_CHARS} "
                      f"characters, got {value!r}")
            elif value is not None:
                out.append(prefix + value.strip())
        return out if len(out) == len(items) else None

    if isinstance(node, yaml.MappingNode):
        groups = r.mapping(node, path, tuple(_TAG_GROUPS))
        if groups is None:
            return None
        tags: list[str] = []
        for group, items_node in groups.items():
            found = plain(items_node, _join(path, group), _TAG_GROUPS[group])
            if found is None:
                return None
            tags += found
        return tuple(dict.fromkeys(tags))
    found = plain(node, path, "")
    return None if found is None else tuple(dict.fromkeys(found))


def _read_parameters(r: _Reader, node: yaml.Node, path: str) -> tuple[Parameter, ...] | None:
    if not isinstance(node, yaml.MappingNode):
        r.add(_line(node), path, f"expected a mapping of parameter names, got {_describe(node)}")
        return None
    out: list[Parameter] = []
    ok = True
    seen: set[str] = set()
    for key_node, value in node.value:
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        where = _join(path, str(name))
        if not isinstance(name, str) or not _PARAMETER.match(name):
            r.add(_line(key_node), where, "expected a parameter name of lower-case letters, "
                  f"digits and '_', like leadership_philosophy, got {_describe(key_node)}")
            ok = False
            continue
        if name in seen:
            r.add(_line(key_node), where, "duplicate parameter")
            ok = False
            continue
        seen.add(name)
        fields = r.mapping(value, where, ("title", "example", "default"), ("title",))
        if fields is None:
            ok = False
            continue
        before = len(r.placeholders)
        texts = {k: r.text(n, _join(where, k)) for k, n in fields.items()}
        if len(r.placeholders) > before:
            for _, field_path, line in r.placeholders[before:]:
                r.add(line, field_path, "a parameter's own texts cannot use parameters")
            del r.placeholders[before:]
            ok = False
        if any(t is None for t in texts.values()) or "title" not in texts:
            ok = False
            continue
        title = texts["title"]
        assert title is not None
        out.append(Parameter(name, title, texts.get("example"), texts.get("default"),
                             _line(key_node)))
    return tuple(out) if ok else None


def _check_placeholders(r: _Reader, declared: Iterable[str]) -> None:
    known = set(declared)
    for name, path, line in r.placeholders:
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            r.add(line, path, f"unknown parameter {{{name}}}: declare it under parameters "
                  f"(declared: {listed})")


def _read_exercise(r: _Reader, root: yaml.Node) -> Exercise | None:
    fields = r.mapping(root, "", _EXERCISE_KEYS, ("id", "kind", "title", "prompt", "duration",
                                                  "trains"),
                       what="an exercise (a mapping with id, kind, title, prompt, duration, trains)")
    if fields is None:
        return None
    step_id = r.ident(fields["id"], "id") if "id" in fields else None
    kind = _read_kind(r, fields, "")
    trains = r.text(fields["trains"], "trains") if "trains" in fields else None
    tags = _read_tags(r, fields["tags"], "tags") if "tags" in fields else ()
    params = _read_parameters(r, fields["parameters"], "parameters") \
        if "parameters" in fields else ()
    step_fields = _read_step_fields(r, fields, "", kind)
    if "duration" in step_fields.values and step_fields.values["duration"] <= 0:
        r.add(step_fields.lines["duration"], "duration",
              "an exercise says how long it takes: expected more than 0s")
    _check_placeholders(r, [p.name for p in params or ()])
    if step_id is None or kind is None:
        return None
    step = _build_step(r, "", _line(root), step_id, kind, step_fields)
    if step is None or trains is None or tags is None or params is None or r.problems:
        return None
    return Exercise(step, trains, params, tags, r.file)


def _read_class(r: _Reader, root: yaml.Node, library: Mapping[str, Exercise]) -> ClassTemplate | None:
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
        r.add(_line(fields["duration"]), "duration", "expected the pass's length, more than 0s")
    tags = _read_tags(r, fields["tags"], "tags") if "tags" in fields else ()
    own = _read_parameters(r, fields["parameters"], "parameters") if "parameters" in fields else ()
    parameters: dict[str, Parameter] = {p.name: p for p in own or ()}
    steps: list[Step] = []
    ok = True
    items = r.sequence(fields["steps"], "steps", "a list of steps") if "steps" in fields else None
    if items is not None and not items:
        r.add(_line(fields["steps"]), "steps", "expected at least one step")
    seen: dict[str, int] = {}
    for i, item in enumerate(items or ()):
        path = f"steps[{i}]"
        step_fields = r.mapping(item, path, _STEP_KEYS + ("use",), what="a step (a mapping)")
        if step_fields is None:
            ok = False
            continue
        step_id, step, used = _read_class_step(r, step_fields, path, _line(item), library)
        for p in used.parameters if used is not None else ():
            # Point a missing value at the step that brought the parameter in.
            parameters.setdefault(p.name, replace(p, line=_line(step_fields["use"])))
        id_line = _line(step_fields.get("id", step_fields.get("use", item)))
        if step_id is not None and step_id in seen:
            hint = " (a second use of an exercise needs its own id:)" if "id" not in step_fields else ""
            r.add(id_line, f"{path}.id", f"duplicate step id {step_id!r} (first on line "
                  f"{seen[step_id]}){hint}")
            ok = False
        elif step_id is not None:
            seen[step_id] = id_line
        if step is None:
            ok = False
        else:
            steps.append(step)
    if own is not None:
        _check_placeholders(r, parameters)
    if ok and steps and duration is not None and duration > 0:
        total = sum(s.duration for s in steps)
        if total > duration:
            r.add(_line(fields["duration"]), "duration",
                  f"impossible timing: the steps add up to {format_duration(total)}, longer "
                  f"than the class ({format_duration(duration)})")
    if r.problems or class_id is None or version is None or title is None \
            or description is None or duration is None or tags is None or not steps:
        return None
    try:
        script = ClassScript(id=class_id, version=version, title=title, description=description,
                             steps=tuple(steps), duration=duration, tags=tags)
    except InvalidScript as error:
        r.add(_line(root), "", str(error))
        return None
    return ClassTemplate(script, tuple(parameters.values()), r.file)


def _read_class_step(r: _Reader, fields: _Keyed, path: str, line: int,
                     library: Mapping[str, Exercise]
                     ) -> tuple[str | None, Step | None, Exercise | None]:
    """The step's id (when readable), the step (when valid) and the exercise it uses."""
    used: Exercise | None = None
    if "use" in fields:
        name = r.scalar(fields["use"], f"{path}.use", "an exercise id")
        if name is not None:
            used = library.get(name)
            if used is None:
                r.add(_line(fields["use"]), f"{path}.use", _unknown("exercise", name, sorted(library),
                                                                  brief=True))
        if "kind" in fields:
            r.add(_line(fields["kind"]), f"{path}.kind",
                  "the kind comes from the exercise; remove kind or remove use")
    elif "kind" not in fields:
        r.add(line, f"{path}.kind", "missing: give a kind, or use: an exercise id")
    step_id = r.ident(fields["id"], f"{path}.id") if "id" in fields else None
    if "use" not in fields and "id" not in fields:
        r.add(line, f"{path}.id", "missing (required)")
    if used is not None and "id" not in fields:
        step_id = used.id
    kind = used.step.kind if used is not None else (_read_kind(r, fields, path)
                                                     if "use" not in fields else None)
    own = _read_step_fields(r, fields, path, kind)
    if kind is None or step_id is None:
        return step_id, None, used
    if used is not None:
        own = _Fields(_step_values(used.step) | own.values, own.lines)
    return step_id, _build_step(r, path, line, step_id, kind, own), used


# --------------------------------------------------------------------------- public API


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    ordered = sorted(problems, key=lambda p: p.line)
    if len(ordered) > MAX_PROBLEMS:
        extra = len(ordered) - MAX_PROBLEMS
        ordered = ordered[:MAX_PROBLEMS] + [Problem(ordered[0].file, 0, "",
                                                    f"{extra} more problems not shown")]
    return ordered


def _builtin_exercises() -> Mapping[str, Exercise]:
    # Imported here because the library itself reads its files through this module.
    from exercises import library

    return library.exercise_index()


def _is_exercise(root: yaml.Node) -> bool:
    """An exercise file is one step; a class file has steps (or is neither)."""
    if not isinstance(root, yaml.MappingNode):
        return False
    keys = {k.value for k, _ in root.value if isinstance(k, yaml.ScalarNode)}
    return "steps" not in keys and bool(keys & {"kind", "trains"})


def parse_class(text: str, filename: str,
                exercises: Mapping[str, Exercise] | None = None) -> ClassTemplate:
    """Read a class file's text; raises ``ClassFileError`` listing every problem.

    ``use:`` references resolve against ``exercises`` (the built-in library
    when None).
    """
    r = _Reader(filename)
    root = _compose(r, text)
    template = None
    if root is not None:
        template = _read_class(r, root, _builtin_exercises() if exercises is None else exercises)
    if r.problems or template is None:
        raise ClassFileError(_sorted(r.problems) or [Problem(filename, 0, "", "not a valid class")])
    return template


def parse_exercise(text: str, filename: str) -> Exercise:
    """Read an exercise file's text; raises ``ClassFileError`` listing every problem."""
    r = _Reader(filename)
    root = _compose(r, text)
    exercise = _read_exercise(r, root) if root is not None else None
    if r.problems or exercise is None:
        raise ClassFileError(_sorted(r.problems) or [Problem(filename, 0, "",
                                                             "not a valid exercise")])
    return exercise


def load_class_text(text: str, filename: str, params: Mapping[str, str] = {}, *,
                    exercises: Mapping[str, Exercise] | None = None) -> ClassScript:
    """The runnable class in ``text``, parameters filled; raises ``ClassFileError``."""
    return parse_class(text, filename, exercises).fill(params)


def load_class(path: str | Path, params: Mapping[str, str] = {}, *,
               exercises: Mapping[str, Exercise] | None = None) -> ClassScript:
    """The runnable class in the file at ``path``; raises ``ClassFileError``."""
    return load_class_text(_read_text(Path(path)), str(path), params, exercises=exercises)


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ClassFileError([Problem(str(path), 0, "", f"file is larger than "
                                          f"{MAX_FILE_BYTES // 1024} KB; a class is a few KB")])
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ClassFileError([Problem(str(path), 0, "", f"not UTF-8 text ({error.reason} at "
                                      f"byte {error.start})")]) from error
    except OSError as error:
        raise ClassFileError([Problem(str(path), 0, "",
                                      f"cannot read the file: {error.strerror}")]) from error


def _expand(paths: Iterable[str | Path], problems: list[Problem]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
            if not found:
                # An empty directory is a wrong path far more often than an empty library.
                problems.append(Problem(str(path), 0, "", "no .yaml or .yml files in this directory"))
            yield from found
        else:
            yield path


def validate_files(paths: Iterable[str | Path]) -> list[Problem]:
    """Every problem in the given class and exercise files (directories are searched).

    A file with ``steps`` is a class; one with ``kind`` or ``trains`` and no
    ``steps`` is an exercise. Class ``use:`` references resolve against the
    built-in library, as ``load_class`` does. Parameters are not required
    here: they are given when a pass is created. An empty result means every
    file is valid.
    """
    problems: list[Problem] = []
    ids: dict[tuple[str, str], str] = {}
    library: Mapping[str, Exercise] | None = None
    for path in _expand(paths, problems):
        try:
            text = _read_text(path)
        except ClassFileError as error:
            problems += error.problems
            continue
        r = _Reader(str(path))
        root = _compose(r, text)
        found: str | None = None
        what = "class"
        if root is not None and _is_exercise(root):
            what = "exercise"
            exercise = _read_exercise(r, root)
            found = exercise.id if exercise is not None else None
        elif root is not None:
            if library is None:
                try:
                    library = _builtin_exercises()
                except ClassFileError as error:
                    problems += error.problems
                    library = {}
            template = _read_class(r, root, library)
            found = template.script.id if template is not None else None
        if found is not None and (what, found) in ids:
            r.add(_id_line(root), "id", f"duplicate {what} id {found!r} (also in "
                  f"{ids[(what, found)]})")
        elif found is not None:
            ids[(what, found)] = str(path)
        problems += _sorted(r.problems)
    return problems


def run_validate(paths: Sequence[str | Path], write: Callable[[str], None]) -> int:
    """``onlive class validate FILE…``: write every problem, return the exit status.

    0 only when every file (directories are searched) is valid; 1 when any
    problem was found; 2 when no path was given.
    """
    if not paths:
        write("usage: onlive class validate FILE_OR_DIRECTORY...")
        return 2
    problems = validate_files(paths)
    for problem in problems:
        write(format_problem(problem))
    files = len({p.file for p in problems})
    write(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {files} "
          f"file{'s' if files != 1 else ''}" if problems else "all files are valid")
    return 1 if problems else 0


def edit_step(script: ClassScript, step_id: str, *, title: Text | None = None,
              prompt: Text | None = None, duration: str | float | None = None) -> ClassScript:
    """A copy of ``script`` with one step's text or duration changed, checked like a file.

    This is how a facilitator adapts a class before a pass starts; the class
    file is never touched. ``duration`` is seconds or a text like ``5m``.
    Raises ``ClassFileError`` whose problems name ``steps[i].<field>`` (line 0:
    the edit has no file) and say what was expected.
    """
    r = _Reader(f"class {script.id}")
    try:
        index = script.index_of(step_id)
    except InvalidScript:
        known = ", ".join(s.id for s in script.steps)
        raise ClassFileError([Problem(r.file, 0, "steps", f"no step {step_id!r} "
                                      f"(steps: {known})")]) from None
    step, path = script.steps[index], f"steps[{index}]"
    values = _step_values(step)
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
            r.add(0, f"{path}.duration", f"{_DURATION_HINT}, got {duration!r}")
            duration = None
    if duration is not None:
        if not 0 <= duration <= MAX_DURATION_SECONDS:
            r.add(0, f"{path}.duration", f"expected 0s to "
                  f"{format_duration(MAX_DURATION_SECONDS)}, got {duration:g}s")
        else:
            values["duration"], edited_keys["duration"] = float(duration), 0
    edited = None if r.problems else _build_step(r, path, 0, step.id, step.kind,
                                                 _Fields(values, edited_keys))
    if edited is not None and script.duration > 0:
        total = sum(s.duration for s in script.steps) - step.duration + edited.duration
        if total > script.duration:
            r.add(0, f"{path}.duration", f"impossible timing: the steps would add up to "
                  f"{format_duration(total)}, longer than the class "
                  f"({format_duration(script.duration)}); shorten another step first")
    if r.problems or edited is None:
        raise ClassFileError(r.problems)
    return script.with_step(edited)


def _id_line(root: yaml.Node | None) -> int:
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "id":
                return _line(value)
    return 0
