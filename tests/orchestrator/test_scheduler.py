"""The scheduler's pure sleep decision."""

from __future__ import annotations

from orchestrator.scheduler import sleep_for


def test_the_scheduler_sleeps_until_the_next_deadline_within_bounds() -> None:
    assert sleep_for(None, 10.0) == 1.0
    assert sleep_for(10.25, 10.0) == 0.25
    assert sleep_for(5.0, 10.0) == 0.005
    assert sleep_for(99.0, 10.0) == 1.0
