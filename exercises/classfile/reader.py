"""Reading YAML nodes with their line numbers, collecting every problem on the way.

PyYAML's node API (``yaml.compose``) keeps the line of every key and value,
which ``yaml.safe_load`` throws away. Every check here records a
:class:`~exercises.classfile.problems.Problem` and reads on, so one pass
over a file reports everything wrong with it.
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Iterable, Sequence

import yaml

from exercises.classfile.durations import DURATION_HINT, format_duration, parse_duration
from exercises.classfile.limits import MAX_DURATION_SECONDS, MAX_FILE_BYTES, MAX_TEXT_CHARS
from exercises.classfile.problems import Problem
from exercises.errors import InvalidScript
from exercises.text import LANGUAGES, Text

__all__ = [
    "PARAMETER_NAME",
    "Keyed",
    "Reader",
    "compose",
    "describe",
    "join_path",
    "line_of",
    "unknown",
]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
PARAMETER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
#: Turns int and bool scalars into values the way YAML 1.1 spells them (0x1F, 1_000, yes).
_SCALARS = yaml.constructor.SafeConstructor()


def line_of(node: yaml.Node) -> int:
    """The 1-based line ``node`` starts on."""
    return int(node.start_mark.line) + 1


def describe(node: yaml.Node) -> str:
    """What ``node`` holds, for the "got ..." half of a problem."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "nothing"
    return repr(node.value)


class Keyed(dict[str, yaml.Node]):
    """A mapping's value nodes by key, remembering the line of each key.

    Errors about a field point at its key: for a block list or mapping the
    value only starts on the next line.
    """

    def __init__(self) -> None:
        super().__init__()
        self.key_lines: dict[str, int] = {}


class Reader:
    """Reads one file's nodes and collects every problem it finds."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        #: (parameter name, field path, line) for every placeholder in a text.
        self.placeholders: list[tuple[str, str, int]] = []

    def add(self, line: int, field: str, message: str, code: str = "invalid",
            **params: str | int | float) -> None:
        self.problems.append(Problem(self.file, line, field, message, code,
                                     tuple(sorted(params.items()))))

    def mapping(self, node: yaml.Node, path: str, allowed: Sequence[str],
                required: Sequence[str] = (), what: str = "a mapping") -> Keyed | None:
        """The mapping's values by key; unknown, duplicate and missing keys are problems."""
        if not isinstance(node, yaml.MappingNode):
            self.add(line_of(node), path, f"expected {what}, got {describe(node)}", "wrong_type")
            return None
        found = Keyed()
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            where = join_path(path, str(key))
            if not isinstance(key, str) or key_node.tag == "tag:yaml.org,2002:merge":
                self.add(line_of(key_node), path, f"expected a key name, got {describe(key_node)}",
                         "wrong_type")
            elif key in found:
                self.add(line_of(key_node), where,
                         f"duplicate key (first on line {found.key_lines[key]})", "duplicate_key",
                         key=key)
            elif key not in allowed:
                self.add(line_of(key_node), where, unknown("key", key, allowed), "unknown_key",
                         key=key)
            else:
                found[key] = value
                found.key_lines[key] = line_of(key_node)
        for key in required:
            if key not in found:
                self.add(line_of(node), join_path(path, key), "missing (required)", "missing")
        return found

    def sequence(self, node: yaml.Node, path: str, what: str) -> list[yaml.Node] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.add(line_of(node), path, f"expected {what}, got {describe(node)}", "wrong_type")
            return None
        return list(node.value)

    def scalar(self, node: yaml.Node, path: str, what: str) -> str | None:
        # Plain text is read raw so that `en: Yes` or `sv: no` stay words, not booleans.
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
            self.add(line_of(node), path, f"expected {what}, got {describe(node)}", "wrong_type")
            return None
        return str(node.value)

    def ident(self, node: yaml.Node, path: str) -> str | None:
        value = self.scalar(node, path, "an id")
        if value is not None and not _ID.match(value):
            self.add(line_of(node), path, "expected an id of letters, digits, '-' or '_' "
                     f"(at most 64, starting with a letter or digit), got {value!r}", "bad_id")
            return None
        return value

    def integer(self, node: yaml.Node, path: str, low: int, high: int) -> int | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _INT:
            self.add(line_of(node), path,
                     f"expected a whole number from {low} to {high}, got {describe(node)}",
                     "out_of_range", low=low, high=high)
            return None
        value = int(_SCALARS.construct_yaml_int(node))
        if not low <= value <= high:
            self.add(line_of(node), path, f"expected a whole number from {low} to {high}, got {value}",
                     "out_of_range", low=low, high=high)
            return None
        return value

    def boolean(self, node: yaml.Node, path: str) -> bool | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL:
            self.add(line_of(node), path, f"expected true or false, got {describe(node)}", "wrong_type")
            return None
        return bool(_SCALARS.construct_yaml_bool(node))

    def duration(self, node: yaml.Node, path: str) -> float | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _INT:
            self.add(line_of(node), path, f"{DURATION_HINT}, got {node.value} "
                     f"(add a unit: {node.value}s or {node.value}m)", "bad_duration")
            return None
        raw = self.scalar(node, path, "a duration like 90s, 3m or 1h")
        if raw is None:
            return None
        try:
            seconds = parse_duration(raw)
        except InvalidScript:
            self.add(line_of(node), path, f"{DURATION_HINT}, got {raw!r}", "bad_duration")
            return None
        if seconds > MAX_DURATION_SECONDS:
            self.add(line_of(node), path, f"{raw} is longer than the longest allowed "
                     f"({format_duration(MAX_DURATION_SECONDS)})", "duration_too_long",
                     max_seconds=MAX_DURATION_SECONDS)
            return None
        return seconds

    def choice(self, node: yaml.Node, path: str, choices: Sequence[str]) -> str | None:
        value = self.scalar(node, path, "one of " + ", ".join(choices))
        if value is not None and value not in choices:
            self.add(line_of(node), path, unknown("value", value, choices), "unknown_value",
                     value=value)
            return None
        return value

    def text(self, node: yaml.Node, path: str, limit: int = MAX_TEXT_CHARS) -> Text | None:
        """A ``{sv: ..., en: ...}`` mapping with both languages filled in."""
        if isinstance(node, yaml.ScalarNode) and node.tag != _NULL:
            self.add(line_of(node), path, "expected a text in Swedish and English "
                     "({sv: ..., en: ...}), got a single string", "wrong_type")
            return None
        fields = self.mapping(node, path, LANGUAGES, what="a text in Swedish and English "
                              "({sv: ..., en: ...})")
        if fields is None:
            return None
        values: dict[str, str] = {}
        for language in LANGUAGES:
            where = join_path(path, language)
            value_node = fields.get(language)
            if value_node is None:
                self.add(line_of(node), where, f"missing translation ({_LANGUAGE_NAMES[language]})",
                         "missing_text", language=language)
                continue
            value = value_node.value if isinstance(value_node, yaml.ScalarNode) else None
            if value_node.tag == _NULL or not isinstance(value, str) or not value.strip():
                self.add(line_of(value_node), where,
                         f"missing translation ({_LANGUAGE_NAMES[language]}): expected a "
                         f"non-empty text, got {describe(value_node)}", "missing_text",
                         language=language)
                continue
            if len(value) > limit:
                self.add(line_of(value_node), where, f"is {len(value)} characters; at most {limit}",
                         "too_long", limit=limit)
                continue
            if self._placeholders(value, where, line_of(value_node)):
                values[language] = value.strip()
        if len(values) != len(LANGUAGES):
            return None
        return Text(values["sv"], values["en"])

    def _placeholders(self, value: str, path: str, line: int) -> bool:
        try:
            parts = list(string.Formatter().parse(value))
        except ValueError as error:
            self.add(line, path, f"{error}; write {{{{ and }}}} for literal braces", "braces")
            return False
        ok = True
        for _, name, spec, conversion in parts:
            if name is None:
                continue
            if not PARAMETER_NAME.match(name) or spec or conversion:
                self.add(line, path, f"expected a parameter like {{leadership_philosophy}}, got "
                         f"{{{name}{'!' + conversion if conversion else ''}"
                         f"{':' + spec if spec else ''}}}; write {{{{ and }}}} for literal braces",
                         "bad_placeholder", name=name)
                ok = False
            else:
                self.placeholders.append((name, path, line))
        return ok


_LANGUAGE_NAMES = {"sv": "Swedish", "en": "English"}


def join_path(path: str, key: str) -> str:
    """The field path of ``key`` inside ``path`` (``steps[2]`` + ``duration``)."""
    return f"{path}.{key}" if path else key


def unknown(what: str, value: str, allowed: Iterable[str], *, brief: bool = False) -> str:
    """Name the unknown value, the closest known one and (unless ``brief`` and close) all."""
    allowed = list(allowed)
    close = difflib.get_close_matches(value, allowed, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    if brief and close:
        return f"unknown {what} {value!r}{hint}"
    return f"unknown {what} {value!r}{hint} (expected one of: {', '.join(allowed)})"


def compose(r: Reader, text: str) -> yaml.Node | None:
    """The root node of ``text``, or None with the problem recorded in ``r``
    (too large, not YAML, empty)."""
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        r.add(0, "", f"file is larger than {MAX_FILE_BYTES // 1024} KB; a class is a few KB",
              "file_too_large", kb=MAX_FILE_BYTES // 1024)
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
              f"{context}; put texts that contain : ? , # {{ }} [ ] in quotes", "yaml_syntax")
        return None
    except yaml.YAMLError as error:
        r.add(0, "", f"YAML syntax error: {error}", "yaml_syntax")
        return None
    if node is None:
        r.add(1, "", "file is empty; expected a mapping with id, version, title, ... and steps",
              "empty_file")
        return None
    return node
