"""The ops monitor's findings (pure): alone in a breakout, stuck reconnecting."""

from __future__ import annotations

from exercises import events as ev
from exercises.demo import demo_class
from exercises.reducer import reduce
from exercises.state import Member, PassState
from orchestrator.monitor import ALONE_AFTER_S, MISPLACED_AFTER_S, STUCK_AFTER_S, findings
from tests.waiting import stops_when_cancelled_at_every_step


def running_breakout() -> PassState:
    state = PassState(id="p1", program="g", script=demo_class(), main_room="onlive_p1_main")
    for i in range(4):
        state, _ = reduce(state, ev.Join(Member(f"u{i}", f"U{i}")), 0.0)
    for event in (ev.Start(), ev.Next(), ev.Next(),
                  ev.OpenBreakouts(((("u0", "u1"), ()), (("u2", "u3"), ())))):
        state, _ = reduce(state, event, 0.0)
    return state


def test_someone_alone_in_a_breakout_is_reported_after_a_while() -> None:
    state = running_breakout()
    presence = {"u0": "onlive_p1_r1_g1", "u2": "onlive_p1_r1_g2", "u3": "onlive_p1_r1_g2",
                "u1": "onlive_p1_main"}
    found, seen = findings(state, presence, {}, 100.0)
    assert found == []
    found, seen = findings(state, presence, seen, 100.0 + ALONE_AFTER_S)
    assert [(f.code, f.room) for f in found] == [("participant_alone", "onlive_p1_r1_g1"),
                                                 ("room_not_assigned", "onlive_p1_main")]
    assert found[0].person_id == "u0"
    assert "U0" not in found[0].message, "alerts carry ids, never names"


def test_a_participant_in_no_media_room_is_stuck_after_30_seconds() -> None:
    state = running_breakout()
    presence = {"u0": "onlive_p1_r1_g1", "u1": "onlive_p1_r1_g1", "u2": "onlive_p1_r1_g2"}
    found, seen = findings(state, presence, {}, 10.0)
    found, seen = findings(state, presence, seen, 10.0 + STUCK_AFTER_S - 1)
    assert [f for f in found if f.code == "participant_stuck"] == []
    found, _ = findings(state, presence, seen, 10.0 + STUCK_AFTER_S)
    codes = [(f.code, f.key) for f in found]
    assert ("participant_stuck", "stuck:u3") in codes
    # u2 is alone in the room too (u3 never arrived).
    assert ("participant_alone", "alone:onlive_p1_r1_g2:u2") in codes


def test_a_condition_that_cleared_starts_counting_again() -> None:
    state = running_breakout()
    alone = {"u0": "onlive_p1_r1_g1", "u2": "onlive_p1_r1_g2", "u3": "onlive_p1_r1_g2",
             "u1": "elsewhere"}
    _, seen = findings(state, alone, {}, 0.0)
    together = dict(alone, u1="onlive_p1_r1_g1")
    _, seen = findings(state, together, seen, 5.0)
    found, seen = findings(state, alone, seen, 10.0)
    found, _ = findings(state, alone, seen, 10.0 + ALONE_AFTER_S - 1)
    assert not [f for f in found if f.code == "participant_alone"]


class _Keeper:
    def __init__(self) -> None:
        self.restored: list[str] = []
        self.refreshed: list[str] = []

    async def restore(self, pass_id: str) -> int:
        self.restored.append(pass_id)
        return 3

    async def refresh(self, pass_id: str) -> None:
        self.refreshed.append(pass_id)


async def test_a_livekit_outage_alerts_ops_and_facilitators_once_and_rooms_come_back() -> None:
    from orchestrator.monitor import LIVEKIT_FAILURES, Monitor
    from tests.orchestrator.fakes import FakeSfu, MemoryStore, RecordingNotifier

    store, sfu, notifier, keeper = MemoryStore(), FakeSfu(), RecordingNotifier(), _Keeper()
    await store.create_pass(running_breakout())
    await store.set_presence("p1", "u0", "onlive_p1_r1_g1")
    monitor = Monitor(store, sfu, notifier, rooms=keeper)
    other = Monitor(store, sfu, RecordingNotifier(), rooms=_Keeper())  # a second worker
    sfu.down = True
    for _ in range(LIVEKIT_FAILURES - 1):
        await monitor.check_livekit()
    assert not monitor.livekit_down, "one failed ask is not an outage"
    await monitor.check_livekit()
    for _ in range(LIVEKIT_FAILURES):
        await other.check_livekit()
    assert monitor.livekit_down
    sent = [(kind, getattr(item, "code", "")) for kind, item in notifier.sent]
    assert ("service", "media_down") in sent
    assert [(a.code, a.pass_id) for a in store.alerts] == [("livekit_unreachable", None)], \
        "one alert per outage, for ops and every facilitator"
    assert await store.presence("p1") == {}, "nobody is in a room of a LiveKit that went away"
    assert keeper.refreshed == ["p1"]

    sfu.down = False
    await monitor.check_livekit()
    assert keeper.restored == ["p1"] and not monitor.livekit_down
    assert ("service", "media_up") in [(k, getattr(i, "code", "")) for k, i in notifier.sent]
    assert [a.code for a in store.alerts][-2:] == ["livekit_recovered", "rooms_restored"]
    assert store.alerts[-1].pass_id == "p1" and store.alerts[-1].detail["rooms"] == "3"


def test_someone_left_in_a_room_no_longer_theirs_is_reported_for_removal() -> None:
    state = running_breakout()
    group = state.breakout.groups[0]  # type: ignore[union-attr]
    person = group.members[0]
    presence = {person: state.main_room, "facilitator-fac": group.room}
    found, seen = findings(state, presence, {}, 0.0)
    assert not [f for f in found if f.code == "room_not_assigned"]
    found, _ = findings(state, presence, seen, MISPLACED_AFTER_S)
    assert [(f.code, f.room, f.person_id) for f in found
            if f.code == "room_not_assigned"] == [("room_not_assigned", state.main_room, person)]


async def test_the_monitor_stops_when_cancelled_at_any_moment() -> None:
    """Cancelled as a LiveKit ask ends, it must not go on (the worker's shutdown waits)."""

    from orchestrator.monitor import Monitor
    from tests.orchestrator.fakes import FakeSfu, MemoryStore, RecordingNotifier

    await stops_when_cancelled_at_every_step(
        lambda: (Monitor(MemoryStore(), FakeSfu(), RecordingNotifier()).run(), None))
