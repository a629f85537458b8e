"""The domain packages import only the standard library (and YAML for class files)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"asyncio", "redis", "aiohttp", "socketio", "engineio", "livekit", "aiortc",
             "msgpack", "networkx", "orchestrator", "signalling"}
ALLOWED_EXTRA = {"exercises/classfile.py": {"yaml"}}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_breakout_and_exercises_import_no_io_library() -> None:
    offenders = {}
    files = sorted((ROOT / "breakout").rglob("*.py")) + sorted((ROOT / "exercises").rglob("*.py"))
    assert len(files) > 5
    for path in files:
        rel = str(path.relative_to(ROOT))
        bad = (imported_roots(path) & FORBIDDEN) | (
            imported_roots(path) & {"yaml"} - ALLOWED_EXTRA.get(rel, set()))
        if bad:
            offenders[rel] = sorted(bad)
    assert offenders == {}
