"""The production layout runs: a pass through nginx on two workers and two LiveKit nodes,
and a worker killed mid-breakout costs nobody their step or their room.

Starts everything of compose.yaml as processes (see ``tests.production.layout``):
nginx with sticky sessions in front of two ``onlive serve`` workers, Redis with
AOF, two LiveKit nodes in multi-node mode on their own Redis, PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from exercises.demo import demo_class
from exercises.state import Member
from signalling.media import Bot
from signalling.media.tone import participant_frequency
from tests.harness import Client, Setup, service_for
from tests.production.layout import Layout, start_layout
from tests.signalling.media.hygiene import loop_reports_nothing  # noqa: F401 - autouse here
from tests.waiting import eventually

pytestmark = pytest.mark.services

PEOPLE = [Member(f"w{i}", f"Deltagare {i}", ("IT", "HR", "Ekonomi")[i % 3]) for i in range(6)]
#: The sticky cookie nginx sets (scripts/deploy/onlive.nginx.conf.template).
COOKIE = "onlive_route"


@pytest.fixture
def layout(tmp_path: Path) -> Iterator[Layout]:
    started = start_layout(tmp_path)
    try:
        yield started
    finally:
        started.stop()


def connections(layout: Layout, worker: int, ops: str) -> dict[str, float]:
    """A worker's sockets per namespace, from its own /metrics (not through the proxy)."""
    request = urllib.request.Request(f"{layout.worker_url(worker)}/metrics",
                                     headers={"Authorization": f"Bearer {ops}"})
    with urllib.request.urlopen(request, timeout=10) as r:
        text = r.read().decode()
    return {s.labels["namespace"]: s.value for family in text_string_to_metric_families(text)
            for s in family.samples if s.name == "onlive_connections"}


async def route_to_each_worker(layout: Layout, ops: str) -> list[str]:
    """A sticky-cookie value that nginx sends to worker 0, and one for worker 1."""
    found: dict[int, str] = {}
    for attempt in range(64):
        route = f"route-{attempt}"
        probe = Client(layout.proxy_url, "/ops", {"credential": ops},
                       headers={"Cookie": f"{COOKIE}={route}"})
        await probe.connect()
        try:
            where = [connections(layout, w, ops).get("/ops", 0) for w in (0, 1)]
        finally:
            await probe.close()
        found.setdefault(where.index(1), route)
        await eventually(lambda: all(connections(layout, w, ops).get("/ops", 0) == 0
                                     for w in (0, 1)), what="the probe's socket is gone")
        if len(found) == 2:
            return [found[0], found[1]]
    pytest.fail(f"64 routes all went to one worker: {found}")


def rooms_by_node(layout: Layout, rooms: list[str]) -> dict[str, str]:
    """Which LiveKit node hosts each room (LiveKit's own Redis keeps the map)."""
    client = redis.Redis.from_url(layout.livekit_redis_url, decode_responses=True)
    try:
        hosts = {str(k): str(v) for k, v in client.hgetall("room_node_map").items()}
    finally:
        client.close()
    return {room: hosts.get(room, "") for room in rooms}


def joined_on(layout: Layout, worker: int) -> list[str]:
    """Participants a worker welcomed (its log), in order."""
    path = layout.workers[worker].log_path
    ids = []
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("msg") == "participant joined":
            ids.append(entry["participant_id"])
    return ids


@pytest.fixture
async def setup(layout: Layout) -> AsyncIterator[Setup]:
    async with service_for(layout.worker_env[0]) as service:
        yield service


async def test_a_pass_through_the_proxy_survives_a_killed_worker(
        layout: Layout, setup: Setup) -> None:
    ops = setup.ops_credential()
    # Redis for onlive keeps an append-only file; LiveKit runs two nodes on its own Redis.
    onlive_redis = redis.Redis.from_url(layout.redis_url)
    assert onlive_redis.config_get("appendonly") == {"appendonly": "yes"}
    # An acknowledged answer is on disk before its ack (README: durability).
    assert onlive_redis.config_get("appendfsync") == {"appendfsync": "always"}
    onlive_redis.close()
    livekit_redis = redis.Redis.from_url(layout.livekit_redis_url)
    assert livekit_redis.hlen("nodes") == 2
    livekit_redis.close()

    # A browser's first Socket.IO request gets its route in a cookie from nginx.
    handshake = f"{layout.proxy_url}/socket.io/?EIO=4&transport=polling"
    with urllib.request.urlopen(handshake, timeout=10) as r:
        cookie = r.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "Secure" not in cookie
    routes = await route_to_each_worker(layout, ops)
    state = await setup.create_pass(demo_class(), program="layout")
    tones = {m.id: participant_frequency(i) for i, m in enumerate(PEOPLE)}
    # Every other participant on each worker; the facilitator on worker 0, the one killed.
    bots = [Bot(layout.proxy_url, await setup.invite(state.id, m), m.id, tones[m.id], tones,
                index=i, listen_in_main=False, headers={"Cookie": f"{COOKIE}={routes[i % 2]}"})
            for i, m in enumerate(PEOPLE)]
    fac = Client(layout.proxy_url, "/facilitator",
                 {"credential": setup.facilitator_credential(state.id)},
                 headers={"Cookie": f"{COOKIE}={routes[0]}"})
    try:
        await fac.connect()
        await fac.wait_for("snapshot")
        await asyncio.gather(*(b.start() for b in bots))
        await asyncio.gather(*(b.settled() for b in bots))
        assert [connections(layout, w, ops).get("/participant") for w in (0, 1)] == [3, 3]
        assert connections(layout, 0, ops).get("/facilitator") == 1

        assert (await fac.command("start"))["ok"]

        async def answered(step: str) -> bool:
            return len(await setup.store.answers(state.id, step)) == len(PEOPLE)

        await eventually(lambda: answered("check-in"), what="everyone checked in")
        assert (await fac.command("next"))["ok"]  # input
        assert (await fac.command("next"))["ok"]  # pairs
        # Breakout rooms go to a LiveKit node at random: open rounds until one round's
        # rooms are on both nodes (each round on one node only: 1 in 4).
        nodes: set[str] = set()
        for round_no in range(1, 9):
            ack = await fac.command("open_breakouts")
            assert ack["ok"], ack
            await eventually(lambda: all(b.moves[-1].kind == "breakout" and b.moves[-1].heard
                                         for b in bots),
                             what=f"every bot hears its partner in round {round_no}")
            rooms = sorted({b.assignment["room"] for b in bots})  # type: ignore[index]
            hosts = rooms_by_node(layout, rooms)
            assert all(hosts.values()), hosts
            nodes = set(hosts.values())
            if len(nodes) == 2:
                break
            assert (await fac.command("recall", countdown=0))["ok"]
            await eventually(lambda: all(b.assignment["kind"] == "main"  # type: ignore[index]
                                         for b in bots), what="everyone is back in the main room")
        assert len(nodes) == 2, "eight rounds of breakout rooms all went to one LiveKit node"
        await asyncio.gather(*(b.peer.wait_hearing_exactly(b.expected(), 15) for b in bots))
        before = {b.person_id: b.assignment["room"] for b in bots}  # type: ignore[index]
        moves_before = {b.person_id: len(b.moves) for b in bots}
        on_worker_0 = [b.person_id for b in bots[0::2]]
        joined_before = len(joined_on(layout, 1))
        snapshots_before = len(fac.received["snapshot"])

        layout.kill_worker(0)
        # Everyone on the dead worker comes back through nginx to the other one...
        await eventually(lambda: connections(layout, 1, ops).get("/participant") == 6
                         and connections(layout, 1, ops).get("/facilitator") == 1,
                         what="every client reconnected to worker 1 through the proxy",
                         timeout=30)
        await eventually(lambda: set(on_worker_0) <= set(joined_on(layout, 1)[joined_before:]),
                         what="worker 1 welcomed the participants of worker 0")
        # ...with the step and the room they had: nobody was moved, everyone still hears
        # exactly their partner.
        for b in bots:
            assert b.view is not None and b.view["step"]["id"] == "pairs"
            assert b.assignment is not None and b.assignment["room"] == before[b.person_id]
            assert len(b.moves) == moves_before[b.person_id], b.moves
        await asyncio.gather(*(b.peer.wait_hearing_exactly(b.expected(), 15) for b in bots))
        await eventually(lambda: len(fac.received["snapshot"]) > snapshots_before,
                         what="the facilitator got a fresh snapshot from worker 1")
        assert fac.last("snapshot")["step"]["id"] == "pairs"

        # The surviving worker runs the rest of the pass.
        assert (await fac.command("recall", countdown=0))["ok"]
        await eventually(lambda: all(b.assignment["kind"] == "main"  # type: ignore[index]
                                     for b in bots), what="everyone is sent back to the main room")
        await asyncio.gather(*(b.settled() for b in bots))
        assert (await fac.command("next"))["ok"]  # reflection: everyone answers on worker 1
        await eventually(lambda: answered("reflection"),
                         what="every participant's reflection is stored")
        assert (await fac.command("end"))["ok"]
        assert [e for b in bots for e in b.errors] == []
    finally:
        await asyncio.gather(*(b.stop() for b in bots), return_exceptions=True)
        await fac.close()

