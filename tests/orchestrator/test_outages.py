"""The Redis watcher: a store that refuses is away at once; one that is only
slow (a busy worker, a burst of joins holding every pooled connection) is away
only after ``SLOW_GRACE_S`` of timeouts in a row, so load alone never tells a
room that its answers cannot be saved. It is back only once the channel
between workers is too, every running pass's views re-sent before people hear
``store_up``; and it stops when cancelled, at any moment."""

from __future__ import annotations

from exercises import events as ev
from exercises.demo import demo_class
from exercises.state import Member
from orchestrator.outages import INTERVAL_S, SLOW_GRACE_S, Change, RedisWatch, transition
from orchestrator.readmodels import FacilitatorView, PassView, ServiceCode
from orchestrator.services import build_services
from orchestrator.settings import Settings
from tests.orchestrator.fakes import FakeClock, FakeSfu, MemoryStore, RecordingNotifier
from tests.waiting import stops_when_cancelled_at_every_step


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
    return RedisWatch(store, services.publisher, notifier,
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


def test_down_at_the_first_failed_ping_and_up_only_with_the_channel() -> None:
    assert transition(True, False, True) is Change.DOWN
    assert transition(True, False, False) is Change.DOWN
    assert transition(False, True, False) is Change.NONE, "the channel is not back yet"
    assert transition(False, False, True) is Change.NONE
    assert transition(False, True, True) is Change.UP
    assert transition(True, True, True) is Change.NONE


async def test_when_redis_is_back_every_running_pass_is_shown_again_before_store_up() -> None:
    clock, store, notifier = FakeClock(), FlakyStore(), RecordingNotifier()
    services = build_services(Settings(secret="s" * 40, redis_url="redis://x",
                                       livekit_url="ws://x"),
                              store, FakeSfu(clock=clock), RecordingNotifier(), clock=clock)
    state = await services.passes.create_pass(demo_class(), program="gym")
    await services.participants.invite(state.id, Member("p-anna", "Anna"))
    await services.participants.join(state.id, "p-anna")
    version = await services.passes.command(state.id, ev.Start(), "fac")
    channel = [True]
    watch = RedisWatch(store, services.publisher, notifier,
                       channel_up=lambda: channel[0], clock=clock)
    assert await watch.check() is Change.NONE  # it learns which passes run

    store.ping_fails, channel[0] = ConnectionError, False
    assert await watch.check() is Change.DOWN
    assert [(kind, getattr(item, "code", "")) for kind, item in notifier.sent] == [
        ("service", ServiceCode.STORE_DOWN), ("alert", "redis_unreachable")]
    assert notifier.sent[1][1].pass_id == state.id, "the pass's facilitators are alerted"
    assert notifier.sent[0][1].retry_after is not None
    assert watch.down
    notifier.sent.clear()

    store.ping_fails = None  # Redis answers, but this worker does not hear the others yet
    clock.advance(3)
    assert await watch.check() is Change.NONE
    assert notifier.sent == [] and watch.down, "back only once the channel is too"

    channel[0] = True
    clock.advance(0.2)
    assert await watch.check() is Change.UP
    kinds = [kind for kind, _ in notifier.sent]
    assert kinds == ["state", "facilitator", "service", "alert"], kinds
    shared, board = notifier.sent[0][1], notifier.sent[1][1]
    assert isinstance(shared, PassView) and shared.state.version == version
    assert isinstance(board, FacilitatorView) and board.state.version == version
    assert notifier.sent[2][1].code is ServiceCode.STORE_UP
    recovered = notifier.sent[3][1]
    assert (recovered.code, recovered.pass_id, recovered.detail["seconds"]) == (
        "redis_recovered", state.id, "3.2")
    assert not watch.down
    assert [change for _, change in watch.history] == [Change.DOWN, Change.UP]


async def test_the_watch_stops_when_cancelled_at_any_moment() -> None:
    """Cancelled as a ping ends, it must not go on (the worker's shutdown waits for it)."""
    await stops_when_cancelled_at_every_step(
        lambda: (RedisWatch(MemoryStore(), None, RecordingNotifier(),  # type: ignore[arg-type]
                            channel_up=lambda: True).run(), None))
