"""signalling/media imports neither the application service, the Socket.IO edge nor the CLI."""

from __future__ import annotations

import re
from pathlib import Path

MEDIA = Path(__file__).resolve().parents[3] / "signalling" / "media"
# The one orchestrator module media may use: a small utility, not the application.
ALLOWED_ORCHESTRATOR = {"orchestrator.taskset"}
EDGE = {"signalling.namespaces", "signalling.wire", "signalling.views", "signalling.notifier",
        "signalling.transport"}

# Read line by line rather than with ast (see tests/test_domain_purity.py); indented
# lines count too, so an import inside a function is caught.
_IMPORT = re.compile(r"^\s*(?:from\s+([A-Za-z_][\w.]*)\s+import\s+([\w\s,()]+)|import\s+([\w.,\s]+))")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, ``from a import b`` counting as both ``a`` and ``a.b``."""
    found: set[str] = set()
    # A parenthesised name list becomes one line.
    text = re.sub(r"import\s*\(([^)]*)\)", lambda m: "import " + " ".join(m.group(1).split()),
                  path.read_text())
    for line in text.splitlines():
        match = _IMPORT.match(line)
        if match is None:
            continue
        if match.group(1):
            found.add(match.group(1))
            found |= {f"{match.group(1)}.{name.strip()}"
                      for name in match.group(2).strip("() ").split(",") if name.strip()}
        else:
            found |= {name.strip().split()[0] for name in match.group(3).split(",") if name.strip()}
    return found


def forbidden(module: str) -> bool:
    if module == "orchestrator" or module.startswith("orchestrator."):
        return not any(module == allowed or module.startswith(f"{allowed}.")
                       for allowed in ALLOWED_ORCHESTRATOR)
    return any(module == edge or module.startswith(f"{edge}.") for edge in EDGE)


def test_media_imports_no_service_no_edge_and_no_cli() -> None:
    files = sorted(MEDIA.glob("*.py"))
    assert len(files) >= 8
    offenders = {path.name: sorted(m for m in imported_modules(path) if forbidden(m))
                 for path in files}
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_the_rule_catches_what_it_names() -> None:
    assert [m for m in ("orchestrator.service", "orchestrator.cli", "orchestrator",
                        "signalling.namespaces", "signalling.wire.Event", "orchestrator.taskset",
                        "signalling.media.ice", "exercises.errors") if forbidden(m)] == [
        "orchestrator.service", "orchestrator.cli", "orchestrator", "signalling.namespaces",
        "signalling.wire.Event"]
