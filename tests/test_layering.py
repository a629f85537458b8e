"""Imports run one way: root -> edge -> application -> domain; adapters serve the application.

Every module's imports are read (line by line, so lazy imports inside
functions count too) and checked against the layering of DESIGN.md. A
failure names ``file:line`` and the rule it breaks.

Layers:
- domain: ``breakout``, ``exercises`` (standard library only; YAML only in
  the class-file parser ``exercises/classfile/``),
- application: ``orchestrator`` minus ``orchestrator.adapters`` and
  ``orchestrator.root``,
- adapters: ``orchestrator.adapters`` (Redis, LiveKit, ...),
- edge: ``signalling`` minus ``signalling.media``,
- media: ``signalling.media`` (aiortc; of the edge, only the wire's names),
- root: ``orchestrator.root`` (CLI, ``create_app``, ``onlive dev``, benchmarks)
  and ``python -m orchestrator``.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("breakout", "exercises", "orchestrator", "signalling")
#: Libraries of the adapters and the edge that the application must not know.
IO_LIBRARIES = frozenset({"redis", "aiohttp", "socketio", "engineio", "livekit", "aiortc",
                          "aioice", "av", "asyncpg", "aiosmtplib", "authlib",
                          "prometheus_client"})
#: The one module of the edge that media may import: the wire's names (the synthetic
#: participants are a Socket.IO client); standard library only.
MEDIA_MAY_USE = frozenset({"signalling.wirenames"})
#: What the pure domain may import besides the standard library and itself.
DOMAIN_EXTRA = {"exercises.classfile": frozenset({"yaml"})}
#: Standard-library modules that would give the domain I/O or a clock of its own:
#: its decisions take ``now`` and an ``rng`` as arguments instead.
DOMAIN_FORBIDDEN = frozenset({"asyncio", "socket", "subprocess", "threading",
                              "multiprocessing", "http", "urllib", "time"})

#: Lines a module may hold ("most modules a few hundred lines", STYLE.md).
MAX_MODULE_LINES = 600
#: Modules allowed to be longer, each for implementing one external protocol.
LONGER_ALLOWED = {"signalling/media/lkpeer.py": "LiveKit's client signalling protocol"}
#: The pass service keeps the write path and the commands, nothing else.
SERVICE = "orchestrator/service.py"
MAX_SERVICE_LINES = 399

# Read line by line rather than with ast: CPython 3.11.7 can raise a spurious
# "AST constructor recursion depth mismatch" late in a long test session.
_FROM = re.compile(r"^\s*from\s+([A-Za-z_][\w.]*)\s+import\s+\(?\s*([\w\s,*]*)")
_IMPORT = re.compile(r"^\s*import\s+([\w.,\s]+?)\s*(?:#.*)?$")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (a submodule when ``from pkg import mod``)
    path: Path
    line: int

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    return {module_of(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports_of(path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    source = module_of(path)
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if (match := _FROM.match(text)) is not None:
            base = match.group(1)
            names = [n.strip().split()[0] for n in match.group(2).split(",") if n.strip()]
            submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in modules]
            for target in submodules or [base]:
                yield Import(source, target, path, number)
        elif (match := _IMPORT.match(text)) is not None:
            for name in match.group(1).split(","):
                if name.strip():
                    yield Import(source, name.strip().split()[0], path, number)


def layer(module: str) -> str:
    top = module.split(".")[0]
    if top in ("breakout", "exercises"):
        return "domain"
    if module == "orchestrator.__main__" or _within(module, "orchestrator.root"):
        return "root"
    if _within(module, "orchestrator.adapters"):
        return "adapters"
    if top == "orchestrator":
        return "application"
    if _within(module, "signalling.media"):
        return "media"
    if top == "signalling":
        return "edge"
    return "external"


def _stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violation(imp: Import) -> str | None:
    """The rule ``imp`` breaks, or None."""
    src, dst = layer(imp.source), layer(imp.target)
    top = imp.target.split(".")[0]
    if src == "domain":
        if top in DOMAIN_FORBIDDEN:
            return f"the domain never imports {top} (decisions take now and rng as arguments)"
        if _stdlib(imp.target) or dst == "domain":
            return None
        extra = next((allowed for pkg, allowed in DOMAIN_EXTRA.items()
                      if _within(imp.source, pkg)), frozenset())
        return None if top in extra else "the domain imports only the standard library"
    if dst == "root" and src != "root":
        return "only the root imports root modules"
    if imp.source in MEDIA_MAY_USE and not _stdlib(imp.target):
        return "the wire's names import the standard library only (media imports them)"
    if src == "application":
        if dst in ("edge", "media"):
            return "the application never imports the edge"
        if dst == "adapters":
            return "the application knows the adapters only through its ports"
        if top in IO_LIBRARIES:
            return f"the application never imports {top} (an adapter's or the edge's library)"
    if src == "adapters" and dst in ("edge", "media"):
        return "adapters never import the edge"
    if src == "media":
        if dst == "edge" and imp.target not in MEDIA_MAY_USE:
            return "media never imports the namespaces or the rest of the edge"
        if dst == "application" and imp.target != "orchestrator.taskset":
            return "media never imports the service (only orchestrator.taskset)"
    return None


def graph() -> tuple[dict[str, list[Import]], dict[str, Path]]:
    modules = our_modules()
    return {m: list(imports_of(p, modules)) for m, p in modules.items()}, modules


def cycles(edges: dict[str, list[Import]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for imp in edges.get(v, []):
            w = imp.target
            if w not in edges:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_every_import_follows_the_layering() -> None:
    edges, modules = graph()
    assert len(modules) > 40, "the walk found the packages"
    problems = [f"{imp.where()}: {imp.source} imports {imp.target}: {rule}"
                for imports in edges.values() for imp in imports
                if (rule := violation(imp)) is not None]
    assert problems == []


def test_there_are_no_import_cycles() -> None:
    edges, _ = graph()
    described = []
    for component in cycles(edges):
        members = set(component)
        links = [f"{i.where()} ({i.source} -> {i.target})" for m in component
                 for i in edges[m] if i.target in members]
        described.append("cycle: " + "; ".join(links))
    assert described == []


def test_the_rules_catch_what_they_forbid() -> None:
    """The checker itself: each rule fires on a made-up import that breaks it."""
    here = ROOT / "orchestrator" / "service.py"
    cases: dict[tuple[str, str], str | None] = {
        ("exercises.reducer", "asyncio"): "never imports asyncio",
        ("exercises.reducer", "dataclasses"): None,
        ("exercises.reducer", "breakout.rooms"): None,
        ("exercises.reducer", "redis"): "the domain",
        ("exercises.classfile.nodes", "yaml"): None,
        ("exercises.reducer", "yaml"): "the domain",
        ("orchestrator.service", "signalling.views"): "never imports the edge",
        ("orchestrator.service", "redis.asyncio"): "never imports redis",
        ("orchestrator.service", "orchestrator.adapters.redis_store"): "through its ports",
        ("orchestrator.service", "orchestrator.root.cli"): "only the root",
        ("signalling.views", "orchestrator.root.app"): "only the root",
        ("orchestrator.adapters.livekit", "signalling.wire"): "adapters never",
        ("signalling.media.echo", "orchestrator.service"): "media never imports the service",
        ("signalling.media.echo", "signalling.namespaces"): "media never imports",
        ("signalling.media.synthetic", "signalling.wire"): "media never imports",
        ("signalling.media.synthetic", "signalling.wirenames"): None,
        ("signalling.wirenames", "orchestrator.errors"): "the standard library only",
        ("signalling.wirenames", "enum"): None,
        ("signalling.media.echo", "orchestrator.taskset"): None,
        ("orchestrator.root.app", "signalling.namespaces"): None,
        ("signalling.namespaces", "orchestrator.services"): None,
    }
    for (source, target), expected in cases.items():
        rule = violation(Import(source, target, here, 1))
        if expected is None:
            assert rule is None, (source, target, rule)
        else:
            assert rule is not None and expected in rule, (source, target, rule)
    loop = {"a": [Import("a", "b", here, 1)], "b": [Import("b", "a", here, 2)], "c": []}
    assert cycles(loop) == [["a", "b"]]


def python_files() -> Iterator[Path]:
    """Every Python file of the project, tests and scripts too (not the virtualenv,
    node_modules, or anything under a hidden folder)."""
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "node_modules")
        yield from (Path(folder) / name for name in sorted(files) if name.endswith(".py"))


def size_problems(lines: dict[str, int]) -> list[str]:
    """The size rules ``lines`` (path -> line count) breaks, each naming the file."""
    problems = [f"{path}: {n} lines, more than {MAX_MODULE_LINES}: split it by reason to change"
                for path, n in sorted(lines.items())
                if n > MAX_MODULE_LINES and path not in LONGER_ALLOWED]
    if lines.get(SERVICE, 0) > MAX_SERVICE_LINES:
        problems.append(f"{SERVICE}: {lines[SERVICE]} lines, more than {MAX_SERVICE_LINES}: "
                        "only the write path and the commands belong there")
    return problems


def test_no_module_outgrows_its_room() -> None:
    lines = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
             for p in python_files()}
    assert SERVICE in lines and "tests/test_layering.py" in lines, "the walk found the files"
    assert ".venv" not in {Path(p).parts[0] for p in lines}
    assert size_problems(lines) == []


def test_the_size_rules_name_the_files_they_refuse() -> None:
    lines = {"orchestrator/big.py": 601, "signalling/media/lkpeer.py": 900,
             "orchestrator/fine.py": 600, SERVICE: 400}
    assert size_problems(lines) == [
        "orchestrator/big.py: 601 lines, more than 600: split it by reason to change",
        f"{SERVICE}: 400 lines, more than 399: only the write path and the commands belong there"]
    assert size_problems({SERVICE: 399}) == []
