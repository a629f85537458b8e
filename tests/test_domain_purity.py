"""The domain packages import only the standard library (and YAML for class files)."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"asyncio", "redis", "aiohttp", "socketio", "engineio", "livekit", "aiortc",
             "msgpack", "networkx", "orchestrator", "signalling"}
#: Extra imports allowed per package directory: YAML only where class files are read.
ALLOWED_EXTRA = {"exercises/classfile": {"yaml"}}


# Read line by line rather than with ast: CPython 3.11.7 can raise a spurious
# "AST constructor recursion depth mismatch" late in a long test session.
_IMPORT = re.compile(r"^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import\b|import\s+([\w.,\s]+))")


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for line in path.read_text().splitlines():
        match = _IMPORT.match(line)
        if match is None:
            continue
        if match.group(1):
            roots.add(match.group(1).split(".")[0])
        else:
            roots |= {name.strip().split(".")[0].split()[0]
                      for name in match.group(2).split(",") if name.strip()}
    return roots


def allowed_extra(rel: str) -> set[str]:
    """The extra imports of the package that holds ``rel`` (its own directory, not a parent)."""
    return ALLOWED_EXTRA.get(str(PurePosixPath(rel).parent), set())


def test_breakout_and_exercises_import_no_io_library() -> None:
    offenders = {}
    files = sorted((ROOT / "breakout").rglob("*.py")) + sorted((ROOT / "exercises").rglob("*.py"))
    assert len(files) > 5
    for path in files:
        rel = str(path.relative_to(ROOT))
        bad = (imported_roots(path) & FORBIDDEN) | (
            imported_roots(path) & {"yaml"} - allowed_extra(rel))
        if bad:
            offenders[rel] = sorted(bad)
    assert offenders == {}
