"""The scheduler's pure sleep decision, and leases handed over and taken over."""

from __future__ import annotations

from typing import Any

from orchestrator.metrics import LeaseEvent
from orchestrator.scheduler import BLOCKED_POLL, Scheduler, sleep_for
from orchestrator.settings import Settings
from tests.orchestrator.fakes import MemoryStore
from tests.waiting import stops_when_cancelled_at_every_step


def test_the_scheduler_sleeps_until_the_next_deadline_within_bounds() -> None:
    assert sleep_for(None, 10.0) == 1.0
    assert sleep_for(10.25, 10.0) == 0.25
    assert sleep_for(5.0, 10.0) == 0.005
    assert sleep_for(99.0, 10.0) == 1.0


def test_held_leases_are_renewed_before_they_lapse() -> None:
    assert sleep_for(None, 10.0, renew_in=0.2) == 0.2
    assert abs(sleep_for(10.1, 10.0, renew_in=0.3) - 0.1) < 1e-9
    assert sleep_for(None, 10.0, renew_in=-1.0) == 0.005


def test_a_due_pass_held_by_another_worker_is_looked_at_again_soon_without_spinning() -> None:
    assert sleep_for(5.0, 10.0, blocked=True) == BLOCKED_POLL
    assert sleep_for(5.0, 10.0, blocked=True, renew_in=0.05) == 0.05


def test_default_lease_lets_a_successor_fire_within_one_second() -> None:
    s = Settings()
    assert s.lease_ms / 1000 + BLOCKED_POLL <= 1.0
    assert s.lease_renew_ms * 2 <= s.lease_ms


class _Ticks:
    def __init__(self) -> None:
        self.on_schedule = lambda at: None
        self.ticked: list[str] = []

    async def tick(self, pass_id: str) -> None:
        self.ticked.append(pass_id)


class _Leases:
    """The ``Metrics`` a scheduler records its lease events into."""

    def __init__(self) -> None:
        self.leases: list[LeaseEvent] = []

    def command(self, name: str, outcome: object, seconds: float) -> None:
        return None

    def broadcast(self, view: str, recipients: int, seconds: float) -> None:
        return None

    def lease(self, event: LeaseEvent) -> None:
        self.leases.append(event)

    def loop_lag(self, seconds: float) -> None:
        return None


async def test_hand_over_releases_every_lease_so_another_worker_fires_at_once() -> None:
    store = MemoryStore()
    await store.set_deadline("p1", 0.0)
    first_service, second_service = _Ticks(), _Ticks()
    first_events, second_events = _Leases(), _Leases()
    first = Scheduler(store, first_service, lease_ms=700, clock=lambda: 1.0,  # type: ignore[arg-type]
                      worker_id="w1", metrics=first_events)
    second = Scheduler(store, second_service, lease_ms=700, clock=lambda: 1.0,  # type: ignore[arg-type]
                       worker_id="w2", metrics=second_events)
    await first._round()
    await second._round()
    assert first_service.ticked == ["p1"] and second_service.ticked == []
    assert second._blocked, "the other worker looks again soon"
    assert await first.hand_over() == 1
    await second._round()
    assert second_service.ticked == ["p1"] and second.owned == {"p1"}
    assert first.handovers == 1 and second.takeovers == 1
    # What /metrics counts (onlive_lease_events_total) on each worker.
    assert first_events.leases == [LeaseEvent.TAKEN, LeaseEvent.HANDED_OVER]
    assert second_events.leases == [LeaseEvent.TAKEN]


async def test_the_scheduler_stops_when_cancelled_at_any_moment() -> None:
    """Cancelled as it is woken, it must not go on (the worker's shutdown waits for it)."""

    def start() -> tuple[Any, Any]:
        scheduler = Scheduler(MemoryStore(), _Ticks(), lease_ms=700)  # type: ignore[arg-type]
        return scheduler.run(), scheduler.poke

    await stops_when_cancelled_at_every_step(start)
