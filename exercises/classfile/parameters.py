"""Parameters: texts the organisation supplies per pass, named in texts as ``{name}``.

A class or an exercise declares them, its texts name them as placeholders
(checked against the declarations when the file is read), and the values
are filled in when a pass is created, so one class serves every
organisation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import yaml

from exercises.classfile.limits import MAX_PARAMETER_CHARS
from exercises.classfile.problems import ClassFileError, Problem
from exercises.classfile.reader import PARAMETER_NAME, Reader, describe, join_path, line_of
from exercises.script import ClassScript, Role, Step
from exercises.text import Text

__all__ = ["Parameter", "check_placeholders", "fill_parameters", "read_parameters"]


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


def read_parameters(r: Reader, node: yaml.Node, path: str) -> tuple[Parameter, ...] | None:
    """The declared parameters; None when any declaration is invalid (``r`` has the problems)."""
    if not isinstance(node, yaml.MappingNode):
        r.add(line_of(node), path, f"expected a mapping of parameter names, got {describe(node)}")
        return None
    out: list[Parameter] = []
    ok = True
    seen: set[str] = set()
    for key_node, value in node.value:
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        where = join_path(path, str(name))
        if not isinstance(name, str) or not PARAMETER_NAME.match(name):
            r.add(line_of(key_node), where, "expected a parameter name of lower-case letters, "
                  f"digits and '_', like leadership_philosophy, got {describe(key_node)}")
            ok = False
            continue
        if name in seen:
            r.add(line_of(key_node), where, "duplicate parameter", "duplicate_id", id=name)
            ok = False
            continue
        seen.add(name)
        fields = r.mapping(value, where, ("title", "example", "default"), ("title",))
        if fields is None:
            ok = False
            continue
        before = len(r.placeholders)
        texts = {k: r.text(n, join_path(where, k)) for k, n in fields.items()}
        if len(r.placeholders) > before:
            for _, field_path, line in r.placeholders[before:]:
                r.add(line, field_path, "a parameter's own texts cannot use parameters",
                      "bad_placeholder", name="")
            del r.placeholders[before:]
            ok = False
        if any(t is None for t in texts.values()) or "title" not in texts:
            ok = False
            continue
        title = texts["title"]
        assert title is not None
        out.append(Parameter(name, title, texts.get("example"), texts.get("default"),
                             line_of(key_node)))
    return tuple(out) if ok else None


def check_placeholders(r: Reader, declared: Iterable[str]) -> None:
    """Report every placeholder ``r`` has read that names no declared parameter."""
    known = set(declared)
    for name, path, line in r.placeholders:
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            r.add(line, path, f"unknown parameter {{{name}}}: declare it under parameters "
                  f"(declared: {listed})", "unknown_parameter", name=name)


def fill_parameters(script: ClassScript, parameters: Sequence[Parameter],
                    params: Mapping[str, str], file: str) -> ClassScript:
    """``script`` with every placeholder filled from ``params`` or the parameter's default.

    Raises ``ClassFileError`` for a missing required, an unknown, an empty or
    an over-long parameter; ``file`` names the class in the problems.
    """
    problems: list[Problem] = []
    declared = {p.name: p for p in parameters}
    for name in sorted(set(params) - set(declared)):
        known = ", ".join(sorted(declared)) or "none"
        problems.append(Problem(file, 0, f"parameters.{name}",
                                f"the class has no parameter {name!r} (it declares: {known})"))
    sv: dict[str, str] = {}
    en: dict[str, str] = {}
    for p in parameters:
        given = params.get(p.name)
        where = f"parameters.{p.name}"
        if given is None:
            if p.default is None:
                problems.append(Problem(file, p.line, where,
                                        f"required parameter not given: {p.title.en}; "
                                        "supply it when the pass is created"))
                continue
            sv[p.name], en[p.name] = p.default.sv, p.default.en
        elif not isinstance(given, str) or not given.strip():
            problems.append(Problem(file, p.line, where, "expected a non-empty text"))
        elif len(given) > MAX_PARAMETER_CHARS:
            problems.append(Problem(file, p.line, where,
                                    f"is {len(given)} characters; at most {MAX_PARAMETER_CHARS}"))
        else:
            sv[p.name] = en[p.name] = given.strip()
    if problems:
        raise ClassFileError(problems)
    if not parameters:
        return script
    return replace(script, title=_fill(script.title, sv, en),
                   description=_fill(script.description, sv, en),
                   steps=tuple(_fill_step(s, sv, en) for s in script.steps))


def _fill(text: Text, sv: Mapping[str, str], en: Mapping[str, str]) -> Text:
    return Text(text.sv.format_map(sv), text.en.format_map(en))


def _fill_step(step: Step, sv: Mapping[str, str], en: Mapping[str, str]) -> Step:
    return replace(step, title=_fill(step.title, sv, en), prompt=_fill(step.prompt, sv, en),
                   roles=tuple(Role(r.id, _fill(r.name, sv, en), _fill(r.prompt, sv, en))
                               for r in step.roles),
                   extra_role=(Role(step.extra_role.id, _fill(step.extra_role.name, sv, en),
                                    _fill(step.extra_role.prompt, sv, en))
                               if step.extra_role else None),
                   options=tuple(_fill(o, sv, en) for o in step.options))
