"""The Redis watcher: a store that refuses is away at once; one that is only
slow (a busy worker, a burst of joins holding every pooled connection) is away
only after ``SLOW_GRACE_S`` of timeouts in a row, so load alone never tells a
room that its answers cannot be saved."""

from __future__ import annotations

from orchestrator.health import Health
from orchestrator.outages import INTERVAL_S, SLOW_GRACE_S, Change, RedisWatch
from orchestrator.services import build_services
from orchestrator.settings import Settings
from tests.orchestrator.fakes import FakeClock, FakeSfu, MemoryStore, RecordingNotifier


class FlakyStore(MemoryStore):
    """A live store whose ping answers, times out or is refused, as the test says."""

    def __init__(self) -> None:
        super().__init__()
        self.ping_fails: type[Exception] | None = None

    async def ping(self) -> None:
        if self.ping_fails is not None:
            raise self.ping_fails("the live store did not answer")


def watch_over(store: FlakyStore, clock: FakeClock) -> tuple[RedisWatch, RecordingNotifier]:
    notifier = RecordingNotifier()
    services = build_services(Settings(secret="s" * 40, redis_url="redis://x",
                                       livekit_url="ws://x"),
                              store, FakeSfu(clock=clock), notifier, clock=clock)
    return RedisWatch(store, services.publisher, notifier, Health(),
                      channel_up=lambda: True, clock=clock), notifier


async def test_a_refused_store_is_away_at_once_and_everyone_is_told() -> None:
    clock, store = FakeClock(), FlakyStore()
    watch, told = watch_over(store, clock)
    assert await watch.check() is Change.NONE
    store.ping_fails = ConnectionError
    assert await watch.check() is Change.DOWN
    assert [n.code for n in told.of("service")] == ["store_down"]
    assert told.of("alert"), "ops and facilitators are alerted"


async def test_slow_pings_under_load_are_not_an_outage_until_the_grace_has_passed() -> None:
    clock, store = FakeClock(), FlakyStore()
    watch, told = watch_over(store, clock)
    store.ping_fails = TimeoutError
    changes = []
    while clock.now - 1_000.0 < SLOW_GRACE_S - INTERVAL_S:
        changes.append(await watch.check())
        clock.advance(INTERVAL_S)
    assert set(changes) == {Change.NONE}
    assert told.of("service") == [] and told.of("alert") == []
    store.ping_fails = None  # it answers again: the slow spell is forgotten
    assert await watch.check() is Change.NONE
    store.ping_fails = TimeoutError
    assert await watch.check() is Change.NONE
    clock.advance(SLOW_GRACE_S)
    assert await watch.check() is Change.DOWN
    assert [n.code for n in told.of("service")] == ["store_down"]
    store.ping_fails = None
    assert await watch.check() is Change.UP
    assert [n.code for n in told.of("service")] == ["store_down", "store_up"]
