"""Erasure is final: after ``onlive person erase`` nothing anywhere knows the person.

The person takes part for real (a socket, a LiveKit connection, an answer in
the journal, a connection-quality report, an alert about them), then is
erased with the command. Their socket and LiveKit connection are dropped,
their join link is refused, and a scan of every Redis key and every
PostgreSQL table finds neither their name, nor their e-mail, nor their id;
neither does any log line written after the erasure, and no log line ever
names them.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis

from exercises.demo import demo_class
from signalling.media import ice as loopback
from signalling.media.lkpeer import LiveKitPeer, PeerOptions, PeerState
from signalling.media.tone import participant_frequency
from tests.conftest import LiveKitService, RedisService
from tests.harness import Client, OrchestratorProcess, service_for
from tests.integration.test_bad_input import refused
from tests.integration.test_revocation import dropped, onlive
from tests.integration.test_room_admission import in_room
from tests.integration.test_webhooks import post, signed
from tests.signalling.media.hygiene import loop_reports_nothing  # noqa: F401 - autouse here
from tests.waiting import eventually

pytestmark = pytest.mark.services

EMPLOYEE = "ZQ4711"
LIVE_ID = f"default/{EMPLOYEE}"
FIRST, LAST, EMAIL = "Annika", "Zetterqvist", "annika.zetterqvist@example.org"
NEEDLES = [EMPLOYEE, FIRST, LAST, EMAIL]


async def redis_dump(url: str) -> dict[str, bytes]:
    """Every key and everything in it, as bytes."""
    r = aioredis.from_url(url)
    out: dict[str, bytes] = {}
    try:
        async for raw_key in r.scan_iter(count=500):
            key = raw_key.decode()
            typed = await r.type(raw_key)
            kind = typed.decode() if isinstance(typed, bytes) else typed
            if kind == "string":
                body: Any = await r.get(raw_key)
            elif kind == "hash":
                body = await r.hgetall(raw_key)
            elif kind == "list":
                body = await r.lrange(raw_key, 0, -1)
            elif kind == "set":
                body = await r.smembers(raw_key)
            elif kind == "zset":
                body = await r.zrange(raw_key, 0, -1, withscores=True)
            elif kind == "stream":
                body = await r.xrange(raw_key)
            else:
                body = f"<{kind}>"
            out[key] = key.encode() + b" " + repr(body).encode() + b" " + _raw(body)
    finally:
        await r.aclose()
    return out


def _raw(value: Any) -> bytes:
    """Concatenated bytes of a nested value (repr() escapes UTF-8, this keeps it)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, dict):
        return b" ".join(_raw(k) + b"=" + _raw(v) for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return b" ".join(_raw(v) for v in value)
    return str(value).encode()


async def postgres_dump(url: str) -> dict[str, str]:
    """Every table of the schema, every row, as text."""
    conn = await asyncpg.connect(url)
    try:
        tables = [r["table_name"] for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE'")]
        return {t: "\n".join(str(dict(row)) for row in await conn.fetch(f'SELECT * FROM "{t}"'))
                for t in tables}
    finally:
        await conn.close()


def mentions(text: str | bytes) -> list[str]:
    data = text if isinstance(text, bytes) else text.encode()
    return [n for n in NEEDLES if n.encode() in data]


async def test_an_erased_person_is_gone_from_every_store_socket_room_alert_and_later_log(
        env: dict[str, str], orchestrator: OrchestratorProcess, livekit_server: LiveKitService,
        redis_server: RedisService) -> None:
    loopback.enable()
    for employee, first, last, email in ((EMPLOYEE, FIRST, LAST, EMAIL),
                                         ("BO0001", "Bo", "Ek", "bo.ek@example.org")):
        added = await onlive(env, "person", "add", employee, "--first-name", first,
                             "--last-name", last, "--email", email, "--department", "HR")
        assert added.returncode == 0, added.stderr
    async with service_for(env) as service:
        state = await service.create_pass(demo_class(), program="gym")
        other = await service.create_pass(demo_class(), program="gym")
        gym = service.services.gym
        ticket = await gym.roster.invite("default", state.id, EMPLOYEE)
        bo_ticket = await gym.roster.invite("default", state.id, "BO0001")
        fac_credential = service.facilitator_credential(state.id)
        ops_credential = service.ops_credential()
    base = orchestrator.base_url
    fac = Client(base, "/facilitator", {"credential": fac_credential})
    anna = Client(base, "/participant", {"ticket": ticket})
    bo = Client(base, "/participant", {"ticket": bo_ticket})
    ops = Client(base, "/ops", {"credential": ops_credential})
    peer = LiveKitPeer("erased", PeerOptions(tone_hz=participant_frequency(0),
                                             auto_subscribe=False))
    try:
        for client in (fac, anna, bo, ops):
            await client.connect()
            await client.wait_for("snapshot")
        assert (await fac.command("start"))["ok"]
        ack = await anna.call("answer", {"step_id": "check-in", "client_id": "c1",
                                         "value": {"energy": 4, "word": "glad"}})
        assert ack["ok"], ack
        assert (await anna.call("quality", {"level": "poor"}))["ok"]
        assignment = anna.received["snapshot"][0]["assignment"]
        await peer.connect(assignment["url"], assignment["token"])
        assert LIVE_ID in await in_room(livekit_server, state.main_room)
        # An alert about her: her identity joins another pass's room (refused, alerted).
        body = json.dumps({"event": "participant_joined", "id": "EV_erase",
                           "createdAt": str(int(time.time())),
                           "room": {"name": other.main_room}, "participant": {"identity": LIVE_ID}})
        assert post(f"{base}/webhooks/livekit", body,
                    signed(body, livekit_server.keys.key, livekit_server.keys.secret)) == 200
        alert = await ops.wait_for("alert", lambda a: a.get("person_id") == LIVE_ID)
        assert alert["code"] == "room_not_assigned"
        before = await redis_dump(redis_server.url)
        assert any(mentions(v) for v in before.values()), "the scan can find her"
        log_lines_before = len(Path(orchestrator.log_path).read_text().splitlines())

        start = time.monotonic()
        erased = await onlive(env, "person", "erase", EMPLOYEE, "--yes")
        assert erased.returncode == 0, erased.stderr
        took = time.monotonic() - start

        await eventually(lambda: dropped(anna), what="her socket is dropped", timeout=10)
        await eventually(lambda: peer.state is PeerState.CLOSED,
                         what="her LiveKit connection is closed", timeout=10)
        assert LIVE_ID not in await in_room(livekit_server, state.main_room)
        assert "revoked_credential" in await refused(base, "/participant", {"ticket": ticket})
        assert not dropped(bo) and (await bo.call("sync"))["ok"], "others stay"

        # Every Redis key, every PostgreSQL table.
        after = await redis_dump(redis_server.url)
        found = {key: mentions(value) for key, value in after.items() if mentions(value)}
        assert found == {}, f"Redis still knows her: {found}"
        tables = await postgres_dump(env["ONLIVE_DATABASE_URL"])
        assert "people" in tables and "personal_links" in tables
        found = {table: mentions(rows) for table, rows in tables.items() if mentions(rows)}
        assert found == {}, f"PostgreSQL still knows her: {found}"
        assert "BO0001" in tables["people"], "the scan reads real rows"
    finally:
        await asyncio.gather(peer.leave(), return_exceptions=True)
        for client in (fac, anna, bo, ops):
            await client.close()

    # Her socket's leave and everything after the erasure: no line names her, by id or name.
    lines = Path(orchestrator.log_path).read_text().splitlines()
    later = [line for line in lines[log_lines_before:] if mentions(line)]
    assert later == [], later
    ever = [line for line in lines if set(mentions(line)) & {FIRST, LAST, EMAIL}]
    assert ever == [], "logs carry ids, never names"
    print(f"erasure took {took:.2f} s (the command, start to end)")
