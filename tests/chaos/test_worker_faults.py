"""Chaos: a worker killed mid-breakout, and workers stopped with SIGTERM while a timer is due.

Two real ``onlive serve`` workers behind a proxy, real Redis and LiveKit.
One pass turns roles every 1.5 s in a breakout (a deadline every 1.5 s),
another has its participants answering all the time. What users see is
asserted (they come back on the other worker with the right step and room,
or hear ``restarting`` first), and that no acknowledged answer is lost and
no timer fires more than 1 s late.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from typing import Any

import pytest

from tests.chaos.conftest import (
    PEOPLE,
    TURN_S,
    TURNS,
    Answerer,
    Stack,
    TimedClient,
    cue_lateness,
    kill,
    stored_answer,
)
from tests.harness import Client, OpenPass
from tests.waiting import eventually

pytestmark = pytest.mark.services

#: How many SIGTERMs in a row (the issue asks for 20).
SIGTERM_RUNS = int(os.environ.get("ONLIVE_CHAOS_SIGTERM_RUNS", "20"))


async def _breakout(stack: Stack, opened: OpenPass) -> float:
    """Start the turning breakout; the first turn's deadline."""
    fac = opened.facilitator
    for name in ("start", "next", "open_breakouts"):
        assert (await fac.command(name))["ok"], name
    state = await stack.load(opened.id)
    assert state.breakout is not None and state.breakout.turn_deadline is not None
    return float(state.breakout.turn_deadline)


async def _answering(stack: Stack) -> tuple[OpenPass, list[Answerer], list[asyncio.Task[None]]]:
    opened = await stack.open_pass()
    assert (await opened.facilitator.command("start"))["ok"]
    answerers = [Answerer(c, p.id) for c, p in zip(opened.participants, PEOPLE)]
    tasks = [asyncio.create_task(a.run()) for a in answerers]
    await eventually(lambda: all(a.count >= 1 for a in answerers), what="first answers acked")
    return opened, answerers, tasks


async def _no_acked_answer_lost(stack: Stack, pass_id: str, answerers: list[Answerer],
                                tasks: list[asyncio.Task[None]]) -> None:
    for a in answerers:
        a.stop()
    await asyncio.gather(*tasks)
    for a in answerers:
        assert a.acked is not None
        stored = await stored_answer(stack.redis_url, pass_id, a.person)
        assert stored is not None and stored["cid"] == a.acked[0], (a.person, stored, a.acked)
        assert stored["value"] == a.acked[1]


async def _next_turn_after(first: float, margin: float) -> float:
    """The next turn deadline at least ``margin`` seconds away; waits until ``margin`` before it."""
    now = time.time()
    k = max(1, int((now + margin - first) / TURN_S) + 1)
    due = first + (k - 1) * TURN_S
    await eventually(lambda: time.time() >= due - margin, what="just before a turn deadline",
                     interval=0.01, timeout=10)
    return due


async def _close(*opened: OpenPass) -> None:
    for o in opened:
        await o.close()


async def test_killing_the_lease_holder_mid_breakout_fires_the_next_turns_within_a_second(
        stack: Stack) -> None:
    talking = await stack.open_pass()
    answering, answerers, tasks = await _answering(stack)
    try:
        first = await _breakout(stack, talking)
        holder = await eventually(lambda: stack.lease_holder(talking.id),
                                  what="a worker holds the pass's lease")
        due = await _next_turn_after(first, 0.3)
        kill(holder)  # kill -9, 0.3 s before a turn deadline
        stack.forget(holder)
        killed_at = time.time()
        clients: list[Client] = [*talking.participants, talking.facilitator]
        last_turn = int((due - first) / TURN_S) + 1 + 3
        await eventually(lambda: max(cue_lateness(clients, first), default=0) >= last_turn,
                         what="three more turns after the kill", timeout=30)
        late = cue_lateness(clients, first)
        after_kill = {t: s for t, s in late.items() if first + (t - 1) * TURN_S >= killed_at}
        print(f"turn lateness after kill -9 (s): {after_kill}")
        assert after_kill and max(after_kill.values()) <= 1.0, after_kill
        # Everyone who was on the dead worker is back, on the other, in the right room.
        state = await stack.load(talking.id)
        assert state.breakout is not None
        room_of = {m: g.room for g in state.breakout.groups for m in g.members}
        moved = [c for c in talking.participants if isinstance(c, TimedClient) and c.disconnects]
        assert moved, "some participants were on the killed worker"
        for client, person in zip(talking.participants, PEOPLE):
            if client in moved:
                snap = await client.wait_for(
                    "snapshot", lambda s: (s["state"]["step"] or {}).get("id") == "talk"
                    and s["state"]["rooms"]["state"] == "open", timeout=20)
                assert snap["assignment"]["room"] == room_of[person.id]
        await _no_acked_answer_lost(stack, answering.id, answerers, tasks)
    finally:
        for a in answerers:
            a.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        await _close(talking, answering)


async def test_sigterm_with_a_timer_due_hands_over_and_exits_every_time(stack: Stack) -> None:
    talking = await stack.open_pass()
    answering, answerers, tasks = await _answering(stack)
    lateness: list[float] = []
    took: list[float] = []
    told = 0  # participants of a stopped worker checked for "restarting"
    moved: list[float] = []  # from SIGTERM until they were all connected again
    try:
        first = await _breakout(stack, talking)
        clients: list[Client] = [*talking.participants, talking.facilitator]
        for run in range(SIGTERM_RUNS):
            if (time.time() - first) / TURN_S > TURNS - 15:  # open a fresh round in time
                assert (await talking.facilitator.command("recall", countdown=0))["ok"]
                assert (await talking.facilitator.command("open_breakouts"))["ok"]
                state = await stack.load(talking.id)
                assert state.breakout is not None and state.breakout.turn_deadline is not None
                first = float(state.breakout.turn_deadline)
                for c in clients:
                    c.received["cue"].clear()
            holder = await eventually(lambda: stack.lease_holder(talking.id),
                                      what="a worker holds the pass's lease")
            # A facilitator's second socket straight on a worker that stays: it hears
            # the turn's cue however quickly the stopped worker's clients move.
            other = next(w for w in stack.workers if w is not holder)
            observer = TimedClient(other.base_url, "/facilitator",
                                   talking.facilitator.auth, headers={"Origin": stack.url})
            await observer.connect()
            await observer.wait_for("snapshot")
            due = await _next_turn_after(first, 0.3)
            turn = int(round((due - first) / TURN_S)) + 1
            on_holder = [c for c, p in zip(talking.participants, PEOPLE)
                         if isinstance(c, TimedClient) and p.id in stack.joined(holder, talking.id)]
            heard = {id(c): c.services().count("restarting") for c in on_holder}
            start = time.monotonic()
            assert holder.process is not None
            holder.process.send_signal(signal.SIGTERM)  # a timer is due in 0.3 s
            stack.forget(holder)
            code = await asyncio.to_thread(holder.process.wait, 10)
            took.append(time.monotonic() - start)
            assert code == 0, f"run {run}: exit code {code}"
            assert took[-1] <= float(stack.env.get("ONLIVE_DRAIN_TIMEOUT", "4")), took
            # Every phase ended by itself: nothing was left for the drain timeout to cut.
            slow = [e for e in holder.log_entries() if e.get("level") in ("error", "critical")
                    and "drain" in str(e.get("msg"))]
            assert slow == [], f"run {run}: {slow}"
            # Its clients heard "restarting" and came back on the other worker...
            for client in on_holder:
                assert client.services().count("restarting") > heard[id(client)], f"run {run}"
                await eventually(_connected(client), what="reconnected", timeout=15,
                                 interval=0.01)
            moved.append(time.monotonic() - start)
            told += len(on_holder)
            watching = [observer, *clients]
            await eventually(lambda: turn in cue_lateness(watching, first),
                             what=f"run {run}: turn {turn} fired", timeout=15)
            lateness.append(cue_lateness(watching, first)[turn])
            # ...and see the turn that came due meanwhile (its cue may have fallen
            # between their two connections).
            for client in on_holder:
                await client.wait_view(lambda v: (v["rooms"]["turn_deadline"] or 0) > due,
                                       timeout=10)
            await observer.close()
            stack.workers.remove(holder)
            await stack.add_worker()
        refusals = Counter(r for a in answerers for r in a.refusals)
        print(f"SIGTERM x{SIGTERM_RUNS}: exit within {max(took):.2f} s, "
              f"turn lateness max {max(lateness):.3f} s, all {sorted(round(x, 3) for x in lateness)}; "
              f"{told} participants told to reconnect, all back within {max(moved):.2f} s "
              f"(median {sorted(moved)[len(moved) // 2]:.2f} s); answers refused: {dict(refusals)}")
        # On time as a rule (the lease is handed over at once); never past the 1 s every
        # fault test holds to, even with both cores busy (one run in 20 met 0.52 s there).
        assert sorted(lateness)[len(lateness) // 2] <= 0.1, lateness
        assert max(lateness) <= 1.0, lateness
        assert told >= SIGTERM_RUNS // 2, "the stopped workers served participants"
        await _no_acked_answer_lost(stack, answering.id, answerers, tasks)
    finally:
        for a in answerers:
            a.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        await _close(talking, answering)


def _connected(client: Client) -> Any:
    return lambda: client.sio.connected
