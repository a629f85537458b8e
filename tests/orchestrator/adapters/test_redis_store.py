"""The Redis store on the real server: optimistic concurrency, leases, idempotent answers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import redis.asyncio as aioredis

from exercises import events as ev
from exercises.demo import demo_class
from exercises.errors import IllegalCommand
from exercises.gym.attendance import PresenceLog
from exercises.reducer import reduce
from exercises.script import ClassScript
from exercises.state import Member, PassState
from orchestrator.adapters import redis_passes, redis_wire
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.adapters.redis_wire import MuxWire
from orchestrator.codec import to_plain
from orchestrator.ports import Step
from orchestrator.readmodels import AlertCode
from tests.waiting import eventually

pytestmark = pytest.mark.services


def sent_to_redis(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """What every client and wire sends to Redis from now on, one entry per round trip."""
    sent: list[object] = []
    original = aioredis.connection.AbstractConnection.send_packed_command

    async def counting(self, command, check_health=True):  # type: ignore[no-untyped-def]
        sent.append(command)
        return await original(self, command, check_health)

    monkeypatch.setattr(aioredis.connection.AbstractConnection, "send_packed_command", counting)
    original_send = redis_wire._Connection.send

    def counting_mux(self, payload, count):  # type: ignore[no-untyped-def]
        sent.append(payload)
        return original_send(self, payload, count)

    monkeypatch.setattr(redis_wire._Connection, "send", counting_mux)
    return sent


@pytest.fixture(params=["pipeline", "mux"])
async def store(redis_server, request) -> AsyncIterator[RedisStore]:  # type: ignore[no-untyped-def]
    """The store as tests and tools make it (the client's pipeline) and as a worker
    does (a join's reads and write on a ``MuxWire``)."""
    client = aioredis.from_url(redis_server.url)
    await client.flushdb()
    wire = MuxWire.from_url(redis_server.url) if request.param == "mux" else None
    if wire is not None:
        await wire.execute(("PING",))  # connected, as a worker's is after its first join
    yield RedisStore(client, wire=wire)
    if wire is not None:
        await wire.aclose()
    await client.aclose()


async def test_concurrent_writers_never_lose_an_update(store: RedisStore, redis_server) -> None:  # type: ignore[no-untyped-def]
    await store.create_pass(PassState(id="p1", program="g", script=demo_class(), main_room="m"))
    # Two workers, each with its own connection pool, race on the same pass.
    other_client = aioredis.from_url(redis_server.url)
    workers = [store, RedisStore(other_client)]

    async def join(i: int) -> None:
        member = Member(f"u{i}", f"U{i}")
        await workers[i % 2].update("p1", lambda s: reduce(s, ev.Join(member), 1.0))

    await asyncio.gather(*(join(i) for i in range(40)))
    await other_client.aclose()
    state = await store.load("p1")
    assert state.present == frozenset(f"u{i}" for i in range(40))
    assert state.version == 40, "each join bumped the version exactly once"


async def test_the_deadline_index_is_written_with_the_change_that_moves_it(  # type: ignore[no-untyped-def]
        store: RedisStore, redis_server) -> None:
    # No effect is run here: the index is part of the stored change itself.
    await store.create_pass(PassState(id="t1", program="g", script=demo_class(), main_room="m"))
    await store.update("t1", lambda s: reduce(s, ev.Join(Member("u1", "U1")), 1.0))
    assert await store.deadline_of("t1") is None, "nothing is due in the lobby"
    started = await store.update("t1", lambda s: reduce(s, ev.Start(), 10.0))  # one-call write
    assert started.after.deadline is not None
    assert await store.deadline_of("t1") == started.after.deadline
    other_client = aioredis.from_url(redis_server.url)
    try:  # another worker's write (the watched path), then this one's after it
        await RedisStore(other_client).update("t1", lambda s: reduce(s, ev.Pause(), 20.0))
        assert await store.deadline_of("t1") is None, "nothing fires while paused"
    finally:
        await other_client.aclose()
    resumed = await store.update("t1", lambda s: reduce(s, ev.Resume(), 50.0))
    assert resumed.after.deadline == started.after.deadline + 30
    assert await store.deadline_of("t1") == resumed.after.deadline
    # An index that says otherwise is put right from the stored pass.
    await store.set_deadline("t1", 1.0)
    await store.settle_deadline("t1")
    assert await store.deadline_of("t1") == resumed.after.deadline


async def test_a_refused_event_writes_nothing(store: RedisStore) -> None:
    await store.create_pass(PassState(id="p2", program="g", script=demo_class(), main_room="m"))
    with pytest.raises(Exception, match="cannot go to the next step"):
        await store.update("p2", lambda s: reduce(s, ev.Next(), 1.0), audit={"command": "next"})
    assert (await store.load("p2")).version == 0
    assert await store.pass_audit("p2") == []


async def test_only_one_worker_holds_a_pass_lease_until_it_lapses(store: RedisStore) -> None:
    # Leases that must hold are long, so a loaded machine cannot lapse them
    # between two lines; the holder then renews to a short one that lapses.
    assert await store.acquire_lease("p", "w1", 60_000)
    assert not await store.acquire_lease("p", "w2", 60_000)
    assert await store.acquire_lease("p", "w1", 200), "the holder renews"
    await eventually(lambda: store.acquire_lease("p", "w2", 60_000),
                     what="a lapsed lease is taken over", interval=0.05)
    await store.release_lease("p", "w1")
    assert await store.lease_holder("p") == "w2", "only the holder can release"


async def test_an_answer_retry_with_the_same_client_id_is_stored_once(store: RedisStore) -> None:
    assert await store.store_answer("p", "s", "u1", "c1", {"word": "glad"}, 1.0)
    assert not await store.store_answer("p", "s", "u1", "c1", {"word": "glad"}, 2.0)
    assert await store.store_answer("p", "s", "u1", "c2", {"word": "trött"}, 3.0), \
        "a new answer (new client id) replaces the old one"
    answers = await store.answers("p", "s")
    assert answers == {"u1": {"cid": "c2", "value": {"word": "trött"}, "at": 3.0}}


async def test_presence_logs_follow_joins_and_leaves_and_close_once(store: RedisStore) -> None:
    await store.mark_joined("p9", "acme/E1", 100.0)
    await store.mark_joined("p9", "acme/E1", 130.0)  # a second tab
    await store.mark_left("p9", "acme/E1", 700.0)
    await store.mark_joined("p9", "acme/E1", 1000.0)
    await store.mark_joined("p9", "acme/E2", 200.0)
    await store.mark_left("p9", "acme/E2", 400.5)
    await store.mark_left("p9", "acme/E3", 400.0)  # never joined: nothing
    ended, logs = await store.close_presence("p9", 1600.0)
    assert ended == 1600.0
    assert logs["acme/E1"] == PresenceLog(100.0, 1000.0, 600.0, 700.0)
    assert logs["acme/E2"] == PresenceLog(200.0, None, 200.5, 400.5)
    assert "acme/E3" not in logs
    await store.mark_left("p9", "acme/E1", 1700.0)  # after the end: ignored
    again, later = await store.close_presence("p9", 9999.0)
    assert again == 1600.0 and later == logs


async def test_a_join_opens_its_attendance_stay_in_the_same_write(  # type: ignore[no-untyped-def]
        store: RedisStore, redis_server, monkeypatch: pytest.MonkeyPatch) -> None:
    await store.create_pass(PassState(id="p14", program="g", script=demo_class(),
                                      main_room="m"))
    anna, bo = Member("anna", "Anna"), Member("bo", "Bo")
    await store.update("p14", lambda s: reduce(s, ev.Join(anna), 100.0),
                       attending=("anna", 100.0))
    # A second tab changes nothing in the pass and leaves the open stay as it is
    # (and Redis now has the script).
    await store.update("p14", lambda s: reduce(s, ev.Join(anna), 105.0),
                       attending=("anna", 105.0))
    sent = sent_to_redis(monkeypatch)
    await store.update("p14", lambda s: reduce(s, ev.Join(bo), 110.0), attending=("bo", 110.0))
    assert len(sent) == 1, "the join and its attendance: one script call"
    await store.update("p14", lambda s: reduce(s, ev.Join(bo), 130.0), attending=("bo", 130.0))
    monkeypatch.undo()
    await store.mark_left("p14", "bo", 200.0)
    # Another worker wrote meanwhile: the watched way marks it too.
    other_client = aioredis.from_url(redis_server.url)
    await RedisStore(other_client).update("p14", lambda s: reduce(s, ev.Leave("anna"), 210.0))
    await other_client.aclose()
    await store.update("p14", lambda s: reduce(s, ev.Join(bo), 300.0), attending=("bo", 300.0))
    # A join the pass refuses marks nothing.
    await store.update("p14", lambda s: reduce(s, ev.End(), 400.0))
    with pytest.raises(IllegalCommand):
        await store.update("p14", lambda s: reduce(s, ev.Join(Member("cy", "Cy")), 500.0),
                           attending=("cy", 500.0))
    _, logs = await store.close_presence("p14", 600.0)
    assert logs["anna"] == PresenceLog(100.0, 100.0, 0.0, None)
    assert logs["bo"] == PresenceLog(110.0, 300.0, 90.0, 200.0)
    assert "cy" not in logs


async def test_expected_people_are_kept_beside_the_pass(store: RedisStore) -> None:
    anna, bo = Member("acme/E1", "Anna", "HR"), Member("acme/E2", "Bo", "IT")
    await store.expect("p8", [anna, bo])
    await store.unexpect("p8", "acme/E2")
    assert await store.expected("p8") == {"acme/E1": anna}
    assert await store.erase_person_records("acme/E1") >= 1
    assert await store.expected("p8") == {}


async def test_the_pairing_history_keeps_only_the_newest_meetings_of_a_program(
        store: RedisStore) -> None:
    from breakout import Meeting

    store.history_max = 5
    await store.append_history("g", [Meeting(f"a{i}", f"b{i}", "p", float(i)) for i in range(4)])
    await store.append_history("g", [Meeting(f"a{i}", f"b{i}", "p", float(i))
                                     for i in range(4, 8)])
    assert [m.a for m in await store.history("g")] == ["a3", "a4", "a5", "a6", "a7"]


async def test_alert_and_audit_streams_drop_entries_older_than_the_retention(
        store: RedisStore) -> None:
    old_ms = int((__import__("time").time() - 91 * 86400) * 1000)
    await store.r.xadd("onlive:alerts", {"code": "ancient", "message": "m", "at": "0"},
                       id=f"{old_ms}-0")
    await store.r.xadd("onlive:audit", {"action": "ancient", "at": "0"}, id=f"{old_ms}-0")
    await store.alert(AlertCode.PARTICIPANT_STUCK, "m")
    await store.audit("fresh")
    assert [a.code for a in await store.recent_alerts()] == ["participant_stuck"]
    assert [e["action"] for e in await store.audit_entries()] == ["fresh"]


async def test_an_archived_pass_expires_with_every_key_under_it(store: RedisStore) -> None:
    state = PassState(id="p9", program="g", script=demo_class(), main_room="m")
    await store.create_pass(state)
    await store.mark_joined("p9", "u1", 1.0)
    await store.close_presence("p9", 2.0)
    await store.expect("p9", [Member("u1", "U1")])
    await store.set_deadline("p9", 5.0)
    await store.update("p9", lambda s: reduce(s, ev.Join(Member("u1", "U1")), 1.0),
                       audit={"command": "join"})
    assert await store.expire_pass("p9", 3600) >= 5
    for key in ("", ":attendance", ":ended", ":expected", ":audit"):
        assert 0 < await store.r.ttl(f"onlive:pass:p9{key}") <= 3600, key
    assert await store.deadline_of("p9") is None and "p9" not in await store.live_passes()


async def _join_cost(store: RedisStore, n: int) -> tuple[dict[str, int], int]:
    """Redis commands (by name) and bytes in and out of one join into a pass of ``n``."""
    pass_id = f"cost{n}"
    await store.create_pass(PassState(id=pass_id, program="g", script=demo_class(),
                                      main_room="m"))
    crowd = [Member(f"u{i}", f"Deltagare {i}", "IT", "Umeå") for i in range(n)]

    def everyone(state: PassState) -> tuple[PassState, list[object]]:
        return replace(state, roster={m.id: m for m in crowd},
                       present=frozenset(m.id for m in crowd), version=state.version + 1), []

    await store.update(pass_id, everyone)  # type: ignore[arg-type]
    await store.load(pass_id)
    newcomer = Member("late", "Sen Ankomst", "HR", "Malmö")
    await store.r.config_resetstat()
    before = await store.r.info("stats")
    after_state = (await store.update(pass_id, lambda s: reduce(s, ev.Join(newcomer), 2.0))).after
    after = await store.r.info("stats")
    commands = {k.removeprefix("cmdstat_"): int(v["calls"])
                for k, v in (await store.r.info("commandstats")).items()}
    commands.pop("info", None)
    commands.pop("config|resetstat", None)
    moved = sum(int(after[k]) - int(before[k])
                for k in ("total_net_input_bytes", "total_net_output_bytes"))
    assert "late" in after_state.present and after_state.roster["late"] == newcomer
    # A second process sees the same pass, roster and presence.
    reread = await RedisStore(store.r).load(pass_id)
    assert reread == after_state
    return commands, moved


async def test_a_join_costs_the_same_redis_work_at_ten_and_at_a_thousand(
        store: RedisStore) -> None:
    small_commands, small_bytes = await _join_cost(store, 10)
    large_commands, large_bytes = await _join_cost(store, 1000)
    assert large_commands == small_commands, "the same commands, whatever the pass's size"
    assert "hgetall" not in large_commands and "smembers" not in large_commands
    # Ids in keys are a few characters longer at n = 1000; nothing grows with n.
    assert large_bytes <= small_bytes + 64, (small_bytes, large_bytes)


async def test_a_join_into_a_thousand_compares_no_other_member(
        store: RedisStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a join writes of the roster comes from what the join set, not from comparing
    a thousand members before and after; a roster changed any other way is compared."""
    await store.create_pass(PassState(id="p21", program="g", script=demo_class(),
                                      main_room="m"))
    crowd = {f"u{i}": Member(f"u{i}", f"Deltagare {i}") for i in range(1000)}

    def everyone(state: PassState) -> tuple[PassState, list[object]]:
        return replace(state, roster=dict(crowd), present=frozenset(crowd),
                       version=state.version + 1), []

    await store.update("p21", everyone)  # type: ignore[arg-type]
    await store.update("p21", lambda s: reduce(s, ev.Join(Member("a", "Ada")), 1.0))
    compared: list[int] = []
    walk = redis_passes._changed_keys

    def counting(old: Any, new: Any) -> list[str]:
        compared.append(len(new))
        return walk(old, new)

    monkeypatch.setattr(redis_passes, "_changed_keys", counting)
    joined = (await store.update("p21", lambda s: reduce(s, ev.Join(Member("b", "Bo")), 2.0)))
    renamed = (await store.update("p21", lambda s: reduce(s, ev.Join(Member("a", "Adam")), 3.0)))
    assert compared == [], "two joins, no member compared"
    assert (await RedisStore(store.r).load("p21")) == renamed.after
    assert renamed.after.roster["a"].name == "Adam" and "b" in joined.after.roster

    def rename_u7(s: PassState) -> tuple[PassState, list[object]]:
        roster = dict(s.roster)
        roster["u7"] = Member("u7", "Sju")
        return replace(s, roster=roster, version=s.version + 1), []

    after = (await store.update("p21", rename_u7)).after  # type: ignore[arg-type]
    assert compared == [1002], "a roster from elsewhere is compared with the one before"
    assert (await RedisStore(store.r).load("p21")).roster == after.roster
    assert after.roster["u7"].name == "Sju"


async def test_a_worker_reads_a_pass_another_worker_changed(store: RedisStore, redis_server) -> None:  # type: ignore[no-untyped-def]
    await store.create_pass(PassState(id="p9", program="g", script=demo_class(), main_room="m"))
    other_client = aioredis.from_url(redis_server.url)
    other = RedisStore(other_client)
    await store.update("p9", lambda s: reduce(s, ev.Join(Member("a", "A")), 1.0))
    assert (await other.load("p9")).present == {"a"}
    await other.update("p9", lambda s: reduce(s, ev.Leave("a"), 2.0))
    await other.update("p9", lambda s: reduce(s, ev.Join(Member("b", "B")), 3.0))
    seen = await store.load("p9")
    assert seen.present == {"b"} and set(seen.roster) == {"a", "b"} and seen.version == 3
    await other_client.aclose()


async def test_a_worker_keeps_one_copy_of_a_class_script_another_worker_did_not_change(  # type: ignore[no-untyped-def]
        store: RedisStore, redis_server, monkeypatch: pytest.MonkeyPatch) -> None:
    await store.create_pass(PassState(id="p7", program="g", script=demo_class(), main_room="m"))
    other_client = aioredis.from_url(redis_server.url)
    other = RedisStore(other_client)
    made_plain: list[object] = []

    def counting(value: object) -> object:
        if isinstance(value, ClassScript):
            made_plain.append(value)
        return to_plain(value)

    def join(who: str, now: float) -> Step:
        return lambda s: reduce(s, ev.Join(Member(who, who.upper())), now)

    monkeypatch.setattr(redis_passes, "to_plain", counting)
    seen = []
    for i in range(4):
        # The workers take turns: each reads what the other wrote, then writes.
        await store.update("p7", join(f"a{i}", 1.0))
        seen.append((await other.load("p7")).script)
        await other.update("p7", join(f"b{i}", 2.0))
    assert all(script is seen[0] for script in seen), "one script object, however often replayed"
    assert len(made_plain) <= 2, "each worker made the script's stored form once"
    # An edited step is seen by the other worker, as edited.
    edited = replace(demo_class().steps[0], duration=90)
    await store.update("p7", lambda s: reduce(s, ev.EditStep(edited), 3.0))
    script = (await other.load("p7")).script
    assert script.steps[0].duration == 90 and script is not seen[0]
    await other_client.aclose()


async def _calls(store: RedisStore) -> dict[str, int]:
    return {k.removeprefix("cmdstat_"): int(v["calls"])
            for k, v in (await store.r.info("commandstats")).items()}


async def test_a_worker_replays_the_joins_of_another_instead_of_reading_the_roster(  # type: ignore[no-untyped-def]
        store: RedisStore, redis_server) -> None:
    await store.create_pass(PassState(id="p8", program="g", script=demo_class(), main_room="m"))
    other_client = aioredis.from_url(redis_server.url)
    other = RedisStore(other_client)
    crowd = [Member(f"u{i}", f"U{i}", "IT") for i in range(300)]
    def join(member: Member, now: float) -> Step:
        return lambda s: reduce(s, ev.Join(member), now)

    for member in crowd[:150]:
        await store.update("p8", join(member, 1.0))
    await other.load("p8")
    await store.r.config_resetstat()
    sent_before = int((await store.r.info("stats"))["total_net_output_bytes"])
    # Joins, a leave and a change of department, alternating between the workers.
    for i, member in enumerate(crowd[150:]):
        worker = (store, other)[i % 2]
        await worker.update("p8", join(member, 2.0))
    sent = int((await store.r.info("stats"))["total_net_output_bytes"]) - sent_before
    # A worker one join behind reads the snapshot and about that one entry of the
    # log, not all the log keeps.
    snapshot = len(await store.r.get("onlive:pass:p8") or b"")
    assert sent < 150 * (snapshot + 1024), (sent, snapshot)
    await other.update("p8", lambda s: reduce(s, ev.Leave("u3"), 3.0))
    await other.update("p8", lambda s: reduce(s, ev.Join(replace(crowd[4], department="HR")), 4.0))
    mine, theirs = await store.load("p8"), await other.load("p8")
    assert "hgetall" not in await _calls(store), "no worker read the whole roster again"
    whole = await RedisStore(store.r).load("p8")  # a worker that knew nothing reads it whole
    assert mine == theirs == whole
    assert len(whole.roster) == 300 and "u3" not in whole.present
    assert whole.roster["u4"].department == "HR"
    # Erasing someone deletes the logs (they carry names); workers then read whole.
    await other.erase_person_records("u7")
    assert await store.r.exists("onlive:pass:p8:changes") == 0
    await other.update("p8", lambda s: reduce(s, ev.Leave("u8"), 5.0))
    assert "u8" not in (await store.load("p8")).present
    await other_client.aclose()


async def test_presence_qualities_and_expected_are_read_again_only_once_someone_changed_them(  # type: ignore[no-untyped-def]
        store: RedisStore, redis_server) -> None:
    other_client = aioredis.from_url(redis_server.url)
    other = RedisStore(other_client)
    await store.expect("p7", [Member(f"u{i}", f"U{i}") for i in range(50)])
    await store.set_presence("p7", "u1", "main")
    assert await store.presence("p7") == {"u1": "main"} and len(await store.expected("p7")) == 50
    await store.r.config_resetstat()
    for _ in range(5):
        assert await store.presence("p7") == {"u1": "main"}
        assert await store.qualities("p7") == {}
        assert len(await store.expected("p7")) == 50
    calls = {k.removeprefix("cmdstat_"): int(v["calls"])
             for k, v in (await store.r.info("commandstats")).items()}
    assert "hgetall" not in calls, "nothing changed: the hashes were not read again"
    # Every kind of change by another worker is seen at the next read.
    await other.set_presence("p7", "u2", "onlive_p7_r1_g1")
    assert await store.presence("p7") == {"u1": "main", "u2": "onlive_p7_r1_g1"}
    await other.set_quality("p7", "u2", "poor")
    assert await store.qualities("p7") == {"u2": "poor"}
    assert await other.leave_presence("p7", "u1", "main")
    assert await store.presence("p7") == {"u2": "onlive_p7_r1_g1"}
    await other.unexpect("p7", "u3")
    assert "u3" not in await store.expected("p7")
    await other.erase_person_records("u2")
    assert await store.presence("p7") == {} and await store.qualities("p7") == {}
    await other_client.aclose()


async def test_an_update_of_the_pass_this_process_wrote_last_takes_one_round_trip(  # type: ignore[no-untyped-def]
        store: RedisStore, redis_server, monkeypatch: pytest.MonkeyPatch) -> None:
    await store.create_pass(PassState(id="p10", program="g", script=demo_class(),
                                      main_room="m"))
    await store.update("p10", lambda s: reduce(s, ev.Join(Member("a", "A")), 1.0),
                       audit={"command": "join"})
    sent = sent_to_redis(monkeypatch)
    await store.update("p10", lambda s: reduce(s, ev.Join(Member("b", "B")), 2.0),
                       audit={"command": "join"})
    assert len(sent) == 1, "one script call: compare, store the snapshot, roster, presence, audit"
    # Another worker writes in between: the next update finds out and applies to the newest.
    other_client = aioredis.from_url(redis_server.url)
    await RedisStore(other_client).update("p10", lambda s: reduce(s, ev.Join(Member("c", "C")),
                                                                  3.0))
    await other_client.aclose()
    applied = await store.update("p10", lambda s: reduce(s, ev.Join(Member("d", "D")), 4.0))
    assert applied.before.present == {"a", "b", "c"} and applied.after.version == 4
    fresh = await RedisStore(store.r).load("p10")
    assert fresh == applied.after and set(fresh.roster) == {"a", "b", "c", "d"}
    assert [e["command"] for e in await store.pass_audit("p10")] == ["join", "join"]


async def test_a_step_refusing_an_out_of_date_state_is_judged_again_on_the_stored_one(  # type: ignore[no-untyped-def]
        store: RedisStore, redis_server) -> None:
    await store.create_pass(PassState(id="p11", program="g", script=demo_class(),
                                      main_room="m"))
    await store.update("p11", lambda s: reduce(s, ev.Join(Member("a", "A")), 1.0))
    other_client = aioredis.from_url(redis_server.url)
    await RedisStore(other_client).update("p11", lambda s: reduce(s, ev.Start(), 2.0))
    await other_client.aclose()
    # This process still holds the lobby, where "next" is refused; the pass has started.
    applied = await store.update("p11", lambda s: reduce(s, ev.Next(), 3.0))
    assert applied.after.step_index == 1


async def test_letting_a_participant_in_reads_revocations_pass_and_person_in_one_round_trip(
        store: RedisStore, monkeypatch: pytest.MonkeyPatch) -> None:
    await store.create_pass(PassState(id="p12", program="g", script=demo_class(),
                                      main_room="m"))
    anna = Member("anna", "Anna")
    await store.save_person(anna)
    await store.update("p12", lambda s: reduce(s, ev.Join(Member("bo", "Bo")), 1.0))
    sent = sent_to_redis(monkeypatch)
    admitted = await store.admission("p12", "anna", ["cred:t1", "holder:h1"])
    assert len(sent) == 1, "one pipeline: is it revoked, the pass, the person"
    assert not admitted.revoked and admitted.member == anna
    assert admitted.state is not None
    assert admitted.state.version == 1 and admitted.state.present == {"bo"}
    await store.revoke("holder:h1", time.time() + 60)
    assert (await store.admission("p12", "anna", ["cred:t1", "holder:h1"])).revoked
    assert not (await store.admission("p12", "anna", ["cred:t2"])).revoked
    assert (await store.admission("p12", "nobody", [])).member is None
    assert (await store.admission("no-such-pass", "anna", [])).state is None


async def test_a_member_removed_or_replaced_is_removed_or_replaced_in_the_stored_roster(
        store: RedisStore) -> None:
    people = [Member(p, p.title()) for p in ("ada", "bo", "cy")]
    await store.create_pass(PassState(id="p13", program="g", script=demo_class(),
                                      main_room="m"))
    for m in people:
        await store.update("p13", lambda s, m=m: reduce(s, ev.Join(m), 1.0))  # type: ignore[misc]

    def remove_bo_rename_cy(s: PassState) -> tuple[PassState, list[Any]]:
        roster = {k: v for k, v in s.roster.items() if k != "bo"}
        roster["cy"] = Member("cy", "Cyrus")
        return replace(s, roster=roster, present=s.present - {"bo"},
                       version=s.version + 1), []

    after = (await store.update("p13", remove_bo_rename_cy)).after
    fresh = await RedisStore(store.r).load("p13")
    assert fresh == after
    assert fresh.roster == {"ada": people[0], "cy": Member("cy", "Cyrus")}


async def test_a_write_after_redis_forgot_its_scripts_loads_the_script_and_is_stored(
        store: RedisStore, monkeypatch: pytest.MonkeyPatch) -> None:
    await store.create_pass(PassState(id="p15", program="g", script=demo_class(),
                                      main_room="m"))
    await store.update("p15", lambda s: reduce(s, ev.Join(Member("a", "A")), 1.0))
    await store.r.script_flush()  # as after a restart of redis-server
    sent = sent_to_redis(monkeypatch)
    applied = await store.update("p15", lambda s: reduce(s, ev.Join(Member("b", "B")), 2.0))
    assert len(sent) == 3, "the call refused (NOSCRIPT), the script loaded, the call again"
    monkeypatch.undo()
    assert await RedisStore(store.r).load("p15") == applied.after
    assert applied.after.present == {"a", "b"}
