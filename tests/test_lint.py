"""The code passes the lint gate: pyflakes, pycodestyle and import order (ruff,
pyproject.toml), and the house rule ruff cannot see: event names and
namespaces come from the one enum (``signalling/wirenames.py``)."""

from __future__ import annotations

import re
import subprocess
import sys

from signalling.wirenames import FACILITATOR, OPS, PARTICIPANT, Command, Event
from tests.harness import ROOT

PACKAGES = ("breakout", "exercises", "orchestrator", "signalling")
_NAMES = "|".join(sorted({e.value for e in Event} | {c.value for c in Command}))
_SPACES = "|".join(re.escape(n) for n in (PARTICIPANT, FACILITATOR, OPS))
#: An event named by a literal where Socket.IO takes it (not ``node.call``: the
#: benchmarks' Node helper, ``harness.Node``, takes verbs of its own), a namespace,
#: or a command by its name.
_COMMANDS = "|".join(sorted(c.value for c in Command))
_LITERAL = re.compile(rf"""(?<!\bnode)\.(?:emit|on|call)\(\s*["'](?:{_NAMES})["']"""
                      rf"""|namespaces?=\[?\s*["'](?:{_SPACES})["']"""
                      rf"""|["']name["']:\s*["'](?:{_COMMANDS})["']|\bcommand\(\s*["'](?:{_COMMANDS})["']""")


def test_the_code_passes_the_linter() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def literal_names(text: str) -> list[int]:
    """The lines of ``text`` that name an event, a namespace or a command by a literal."""
    return [n for n, line in enumerate(text.splitlines(), start=1) if _LITERAL.search(line)]


def test_event_names_and_namespaces_come_from_the_one_enum() -> None:
    # Tests play the client and pin the wire's words, like golden fixtures: not checked.
    found = [f"{path.relative_to(ROOT)}:{n}" for pkg in PACKAGES
             for path in sorted((ROOT / pkg).rglob("*.py")) if path.name != "wirenames.py"
             for n in literal_names(path.read_text(encoding="utf-8"))]
    assert found == [], "use signalling.wirenames (Event, Command, PARTICIPANT, ...)"


def test_the_literal_check_sees_the_usual_forms() -> None:
    assert literal_names('sio.on("snapshot", f, namespace=PARTICIPANT)') == [1]
    assert literal_names('x\nawait c.call("answer", {}, namespace=NS)') == [2]
    assert literal_names('await c.connect(url, namespaces=["/ops"])') == [1]
    assert literal_names('await sio.emit(Event.STATE, p, namespace="/participant")') == [1]
    assert literal_names('EXTEND = {"name": "extend", "seconds": 1}') == [1]
    assert literal_names('await command("recall", countdown=0)') == [1]
    assert literal_names('sio.on(Event.SNAPSHOT, f, namespace=PARTICIPANT)') == []
    assert literal_names('Member("p-anna", name="Anna")') == []
    assert literal_names('self._pc.on("track", f)') == []
    assert literal_names('await node.call("command", command={"name": Command.START})') == []
