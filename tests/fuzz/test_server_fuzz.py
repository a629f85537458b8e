"""The real server under hostile input: no crash, no change on a refusal, no error logged.

At least 10,000 cases a run (``FUZZ_CASES``), drawn by Hypothesis with a fixed
seed from ``orchestrator.root.bench.fuzzcases`` and run by the same runner as
``onlive bench fuzz``, on long-lived connections.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from orchestrator.root.bench.fuzz import (
    FUZZ_ENV,
    ThreadedRunner,
    drive,
    prepare,
    report,
    server_errors,
)
from tests.conftest import run_apart
from tests.harness import OrchestratorProcess, settings_for

pytestmark = pytest.mark.services

FUZZ_CASES = int(os.environ.get("ONLIVE_FUZZ_CASES", "10000"))


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    return {**env, **FUZZ_ENV}


def test_hostile_events_frames_and_requests_get_coded_refusals_and_change_nothing(
        env: dict[str, str], orchestrator: OrchestratorProcess, tmp_path: Path) -> None:
    targets = run_apart(lambda: prepare(settings_for(env)))
    runner = ThreadedRunner(targets)
    start = time.monotonic()
    try:
        drive(runner, FUZZ_CASES)
    finally:
        runner.close()
    tally = runner.tally
    report(tally, server_errors(orchestrator.log_path), time.monotonic() - start)
    assert tally.cases >= FUZZ_CASES
    assert tally.by_kind["EventCase"] > FUZZ_CASES // 2 and tally.by_kind["HttpCase"] > 0
    assert tally.by_kind["FrameCase"] > 0 and tally.refused > tally.cases // 3
    assert tally.crashes == 0, tally.examples
    assert tally.state_changes_on_error == 0, tally.examples
    assert server_errors(orchestrator.log_path) == []
