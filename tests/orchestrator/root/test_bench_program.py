"""``onlive bench program`` runs its stages against its own PostgreSQL and ends in JSON.

Figures are printed, never asserted: tests do not judge wall-clock speed.
"""

from __future__ import annotations

import json

import pytest

from exercises.gym.roster import Level, parse_roster
from orchestrator.root.bench import program

pytestmark = pytest.mark.services


def test_the_synthetic_organisation_is_a_valid_roster_with_a_management_chain() -> None:
    roster = parse_roster(program.synthetic_roster(2000, 7), "synthetic.csv")
    levels = [p.level for p in roster.people]
    assert len(roster.people) == 2000
    assert levels.count(Level.TOP) == 10 and levels.count(Level.MANAGER) == 199
    later = parse_roster(program.synthetic_roster(2000, 7, changed=0.05, left=0.01), "later")
    assert 1950 < len(later.people) < 2000


def test_the_benchmark_prints_a_table_and_its_figures_as_the_last_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert program.run(["--people", "300"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["what", "figure", "target"]
    figures = json.loads(lines[-1])
    assert figures["people"] == 300
    assert {"import_300_s", "reimport_300_s", "import_300_changes_s", "parse_300_s"} <= set(figures)
    assert "300 added" in "\n".join(lines) and "300 unchanged" in "\n".join(lines)
