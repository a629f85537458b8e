"""Chaos: Redis killed and started again, LiveKit killed and started again.

Two real ``onlive serve`` workers behind a proxy. What users see is asserted
(the coded ``service`` notices and alerts the pages translate, ``try_again``
refusals, clients that missed a broadcast catching up), and that no
acknowledged answer is lost, the workers hear each other again within a
second of Redis, and no timer fires more than 1 s late (beyond the outage
itself for deadlines that fell inside it)."""

from __future__ import annotations

import asyncio
import signal
import time
import urllib.error
import urllib.request

import pytest
import socketio
from livekit import api

from exercises import events as ev
from exercises.state import Member
from tests.chaos.conftest import PEOPLE, TURN_S, Stack, TimedClient, cue_lateness, kill, metrics
from tests.chaos.test_worker_faults import _answering, _breakout, _close, _no_acked_answer_lost
from tests.harness import Client, service_for
from tests.waiting import eventually

pytestmark = pytest.mark.services


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/readyz", timeout=1) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _heard(clients: list[Client], code: str) -> bool:
    return all(code in c.services() for c in clients if isinstance(c, TimedClient))


def _alerted(client: Client, code: str) -> bool:
    return any(a.get("code") == code for a in client.received["alert"])


async def _command(client: Client, name: str, **args: object) -> dict[str, object]:
    """A facilitator's command, sent again while the server says try again."""
    while True:
        ack: dict[str, object] = await client.command(name, **args)
        if ack["ok"] or ack["error"]["code"] not in ("try_again", "shutting_down"):  # type: ignore[index]
            return ack
        await asyncio.sleep(0.1)


async def test_a_redis_outage_refuses_with_try_again_and_everyone_is_back_within_a_second(
        stack: Stack) -> None:
    talking = await stack.open_pass()
    answering, answerers, tasks = await _answering(stack)
    ops = await stack.ops()
    late_comer: TimedClient | None = None
    try:
        first = await _breakout(stack, talking)
        everyone = [*answering.participants, answering.facilitator, *talking.participants,
                    talking.facilitator, ops]
        async with service_for(stack.env) as service:
            ticket = await service.invite(answering.id, Member("late", "Sen"))
        late_comer = TimedClient(stack.url, "/participant", {"ticket": ticket})
        refused: list[object] = []
        late_comer.sio.on("connect_error", refused.append, namespace="/participant")
        kill(stack.redis)
        # Users are told plainly; facilitators and ops get an alert; answers are refused.
        await eventually(lambda: _heard(everyone, "store_down"), what="store_down heard")
        await eventually(lambda: _alerted(answering.facilitator, "redis_unreachable"),
                         what="the facilitator's Redis alert")
        await eventually(lambda: _alerted(ops, "redis_unreachable"), what="ops' Redis alert")
        await eventually(lambda: any("try_again" in a.refusals for a in answerers),
                         what="an answer refused with try_again")
        assert not any("internal" in a.refusals for a in answerers)
        assert not any(_ready(w.base_url) for w in stack.workers), "not ready without Redis"
        # The scraper still gets figures, and they say Redis is down.
        for worker in stack.workers:
            figures = metrics(worker, ops.credential)
            assert figures[("onlive_dependency_up", "redis")] == 0, worker.log_path
        with pytest.raises(socketio.exceptions.ConnectionError):
            await late_comer.connect()
        # One worker sleeps through Redis's return (SIGSTOP), so what is broadcast
        # meanwhile misses its clients: they must catch up once it is awake.
        behind = max(stack.workers, key=lambda w: len(stack.joined(w, answering.id)))
        awake = next(w for w in stack.workers if w is not behind)
        on_behind = [c for c, p in zip(answering.participants, PEOPLE)
                     if p.id in stack.joined(behind, answering.id)]
        assert on_behind and behind.process is not None
        behind.process.send_signal(signal.SIGSTOP)
        try:
            assert stack.redis.respawn is not None
            stack.redis = await asyncio.to_thread(stack.redis.respawn)
            back = time.time()
            await eventually(lambda: _ready(awake.base_url), what="the awake worker ready",
                             interval=0.05)
            ready_after = time.time() - back
            async with service_for(stack.env) as service:  # as the CLI would
                missed = await service.services.passes.command(answering.id, ev.Extend(30),
                                                               "chaos")
            assert isinstance(missed, int)
        finally:
            behind.process.send_signal(signal.SIGCONT)
        woke = time.time()
        await eventually(lambda: _ready(behind.base_url), what="the sleeper ready",
                         interval=0.05)
        woke_ready = time.time() - woke
        for client in on_behind:  # nothing else changes that pass: only a resync brings it
            await client.wait_view(lambda v: v["version"] >= missed, timeout=5)
        caught_up = time.time() - woke
        # Both workers hear each other again: a command reaches everyone at once.
        before = {id(c): max((v["version"] for v in c.received["state"]), default=0)
                  for c in answering.participants}
        ack = await _command(answering.facilitator, "extend", seconds=60)
        assert ack["ok"], ack
        version = int(ack["version"])  # type: ignore[call-overload]
        sent = time.time()
        for client in answering.participants:
            await client.wait_view(lambda v: v["version"] >= version, timeout=5)
        heard_after = time.time() - sent
        await eventually(lambda: _heard(everyone, "store_up"), what="store_up heard")
        await eventually(lambda: _alerted(ops, "redis_recovered"), what="ops' recovery alert")
        assert all(before[id(c)] < version for c in answering.participants)
        # Timers: turns that came due in the outage fire at once; later ones on time.
        talkers = [*talking.participants, talking.facilitator]
        await eventually(lambda: any(first + (t - 1) * TURN_S >= back + TURN_S
                                     for t in cue_lateness(talkers, first)),
                         what="turns after Redis is back", timeout=20)
        late = cue_lateness(talkers, first)
        after = {t: s for t, s in late.items() if first + (t - 1) * TURN_S >= back}
        print(f"redis back: ready after {ready_after:.2f} s (the sleeper {woke_ready:.2f} s "
              f"after it woke, its {len(on_behind)} clients caught up after {caught_up:.2f} s), "
              f"broadcast after {heard_after:.2f} s; turn lateness after {after}")
        assert ready_after <= 1.5 and woke_ready <= 1.5 and caught_up <= 1.5
        assert heard_after <= 1.0
        assert after and max(after.values()) <= 1.0, after
        # The page opened during the outage was refused with try_again; now it gets in.
        assert "try_again" in str(refused), refused
        await late_comer.connect()
        await late_comer.wait_for("snapshot")
        await _no_acked_answer_lost(stack, answering.id, answerers, tasks)
    finally:
        for a in answerers:
            a.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        if late_comer is not None:
            await late_comer.close()
        await ops.close()
        await _close(talking, answering)


async def test_a_livekit_outage_alerts_and_the_rooms_are_back_for_a_recall(stack: Stack) -> None:
    talking = await stack.open_pass()
    answering, answerers, tasks = await _answering(stack)
    ops = await stack.ops()
    lk = api.LiveKitAPI(f"http://127.0.0.1:{stack.livekit_port}",
                        stack.env["ONLIVE_LIVEKIT_API_KEY"], stack.env["ONLIVE_LIVEKIT_API_SECRET"])
    try:
        first = await _breakout(stack, talking)
        state = await stack.load(talking.id)
        assert state.breakout is not None
        rooms = {state.main_room, *state.breakout.rooms}
        fac = talking.facilitator
        kill(stack.livekit)
        killed = time.time()
        await eventually(lambda: _alerted(fac, "livekit_unreachable"),
                         what="the facilitator's LiveKit alert", interval=0.05)
        noticed = time.time() - killed
        await eventually(lambda: _alerted(ops, "livekit_unreachable"), what="ops' LiveKit alert")
        await eventually(lambda: _heard(talking.participants, "media_down"), what="media_down")
        assert stack.livekit.respawn is not None
        stack.livekit = await asyncio.to_thread(stack.livekit.respawn)
        back = time.time()

        async def rooms_back() -> bool:
            listed = await lk.room.list_rooms(api.ListRoomsRequest())
            return rooms <= {r.name for r in listed.rooms}
        await eventually(rooms_back, what="the round's rooms created again", interval=0.1)
        restored = time.time() - back
        await eventually(lambda: _alerted(fac, "livekit_recovered"), what="recovered alert")
        await eventually(lambda: _alerted(ops, "livekit_recovered"), what="ops' recovery alert")
        await eventually(lambda: _heard(talking.participants, "media_up"), what="media_up")
        # The round's turns kept their deadlines (an outage shorter than a turn has
        # none to show yet, so wait for the first role switch).
        await eventually(lambda: cue_lateness([*talking.participants, fac], first),
                         what="a role switch", timeout=10)
        # Recall right after: everyone is sent to the main room, which exists.
        ack = await fac.command("recall", countdown=0)
        assert ack["ok"], ack
        for client in talking.participants:
            await client.wait_for("assignment", lambda a: a["room"] == state.main_room,
                                  timeout=10)
        late = cue_lateness([*talking.participants, fac], first)
        print(f"livekit: noticed after {noticed:.2f} s, rooms back {restored:.2f} s after "
              f"it was; turn lateness {late}")
        assert noticed <= 2.0
        assert late and max(late.values()) <= 1.0, late
        # Answers never needed LiveKit: none was refused, none is lost.
        assert not any(a.refusals for a in answerers), [a.refusals for a in answerers]
        await _no_acked_answer_lost(stack, answering.id, answerers, tasks)
    finally:
        for a in answerers:
            a.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        await lk.aclose()
        await ops.close()
        await _close(talking, answering)
