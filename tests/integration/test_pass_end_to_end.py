"""A whole pass with seven Socket.IO participants on the real Redis and LiveKit."""

from __future__ import annotations

import base64
import json
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from livekit import api

from exercises.demo import demo_class
from exercises.script import ClassScript, Step, StepKind
from exercises.state import Member
from exercises.text import Text
from tests.conftest import LiveKitService, RedisService
from tests.harness import OrchestratorProcess, open_pass, service_for
from tests.waiting import eventually

pytestmark = pytest.mark.services

PEOPLE = [
    Member(f"p{i}", name, dept, site, None, 1)
    for i, (name, dept, site) in enumerate([
        ("Anna", "Ekonomi", "Stockholm"), ("Björn", "IT", "Göteborg"), ("Cecilia", "HR", "Malmö"),
        ("David", "Produktion", "Luleå"), ("Elin", "Försäljning", "Stockholm"),
        ("Farid", "IT", "Malmö"), ("Greta", "Ledning", "Stockholm")])
]


def jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def validate_status(livekit_server: Any, token: str) -> int:
    url = f"{livekit_server.http_url}/rtc/validate?access_token={token}"
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


async def test_seven_participants_run_a_whole_pass(
        env: dict[str, str], orchestrator: OrchestratorProcess, livekit_server: LiveKitService,
        redis_server: RedisService) -> None:
    opened = await open_pass(env, orchestrator.base_url, demo_class(), PEOPLE)
    pass_id, fac, clients = opened.id, opened.facilitator, opened.participants
    lk = api.LiveKitAPI(livekit_server.http_url, livekit_server.keys.key,
                        livekit_server.keys.secret)
    store = aioredis.from_url(redis_server.url)
    try:
        for c in clients:
            snap = c.last("snapshot")
            assert snap["state"]["phase"] == "lobby"
            assert snap["assignment"]["room"] == f"onlive_{pass_id}_main"
            assert snap["assignment"]["kind"] == "main"

        ack = await fac.command("start")
        assert ack["ok"], ack
        started = ack["version"]
        for c in clients:
            view = await c.wait_for("state", lambda v: v["version"] >= started)
            assert view["step"]["kind"] == "check-in"
            assert view["timer"]["deadline"] > view["server_now"]

        # Check-in answers: stored before the ack; a retry never duplicates.
        for i, c in enumerate(clients):
            answer = {"step_id": "check-in", "client_id": f"c{i}",
                      "value": {"energy": 1 + i % 5, "word": f"ord{i}"}}
            ack = await c.call("answer", answer)
            assert ack == {"ok": True, "stored": True, "duplicate": False, "client_id": f"c{i}"}
            again = await c.call("answer", answer)
            assert again["ok"] and again["duplicate"] is True
        stored = await store.hgetall(f"onlive:pass:{pass_id}:answers:check-in")
        assert len(stored) == len(PEOPLE)

        assert (await fac.command("next"))["ok"]
        assert (await fac.command("next"))["ok"]
        ack = await fac.command("open_breakouts")
        assert ack["ok"], ack

        assignments = [await c.wait_for("assignment", lambda a: a["kind"] == "breakout")
                       for c in clients]
        rooms: dict[str, list[str]] = {}
        for person, a in zip(PEOPLE, assignments, strict=True):
            assert person.id in [m["id"] for m in a["members"]]
            assert a["url"] == livekit_server.url and a["role"] == "participant"
            rooms.setdefault(a["room"], []).append(person.id)
        sizes = sorted(len(members) for members in rooms.values())
        assert sizes == [2, 2, 3], "seven people make two pairs and one trio"

        listed = {r.name: r for r in (await lk.room.list_rooms(api.ListRoomsRequest())).rooms}
        for room, members in rooms.items():
            assert listed[room].max_participants == len(members) + 1

        for a in assignments:
            claims = jwt_claims(a["token"])
            video = claims["video"]
            assert video["room"] == a["room"] and video["roomJoin"] is True
            assert video.get("canPublishData") is False
            assert sorted(video["canPublishSources"]) == ["camera", "microphone"]
            for forbidden in ("roomRecord", "recorder", "agent", "roomCreate", "roomAdmin"):
                assert not video.get(forbidden)
            assert claims["exp"] - claims["nbf"] <= 15 * 60
            assert validate_status(livekit_server, a["token"]) == 200
        # A token altered to name another room no longer validates.
        a, b = assignments[0], next(x for x in assignments if x["room"] != assignments[0]["room"])
        header, payload, sig = a["token"].split(".")
        claims = jwt_claims(a["token"])
        claims["video"]["room"] = b["room"]
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        assert validate_status(livekit_server, f"{header}.{forged}.{sig}") == 401

        # A reconnecting participant gets the current snapshot: same room, same step.
        await clients[0].close()
        clients[0].received.clear()
        await clients[0].connect()
        snap = await clients[0].wait_for("snapshot")
        assert snap["assignment"]["room"] == assignments[0]["room"]
        assert snap["state"]["step"]["id"] == "pairs"
        assert snap["state"]["rooms"]["state"] == "open"

        ack = await fac.command("broadcast", text="Två minuter kvar")
        assert ack["ok"]
        for c in clients:
            # Part of the shared view, for every room of the round (none listed),
            # also rooms opened later: shown once, as a card, not as a cue too.
            view = await c.wait_view(lambda v: (v.get("message") or {}).get("text")
                                     == "Två minuter kvar")
            assert view["message"]["rooms"] == []
            assert not [q for q in c.received["cue"] if q["kind"] == "message"]

        ack = await fac.command("recall", countdown=1)
        assert ack["ok"]
        for c in clients:
            await c.wait_for("cue", lambda q: q["kind"] == "recall")
            await c.wait_for("assignment", lambda a: a["kind"] == "main"
                             and a["version"] > ack["version"])
        async def rooms_left() -> set[str]:
            names = {r.name for r in (await lk.room.list_rooms(api.ListRoomsRequest())).rooms}
            return names if not names & set(rooms) else set()

        names = await eventually(rooms_left, what="recall deletes every breakout room")
        assert f"onlive_{pass_id}_main" in names

        assert (await fac.command("next"))["ok"]
        for i, c in enumerate(clients):
            ack = await c.call("answer", {"step_id": "reflection", "client_id": f"r{i}",
                                          "value": {"text": "Jag lyssnade mer än jag trodde."}})
            assert ack["ok"], ack
        assert (await fac.command("next"))["ok"]
        for i, c in enumerate(clients):
            ack = await c.call("answer", {"step_id": "check-out", "client_id": f"o{i}",
                                          "value": {"word": "nyfiken"}})
            assert ack["ok"], ack
        ack = await fac.command("end")
        assert ack["ok"]
        for c in clients:
            view = await c.wait_for("state", lambda v: v["phase"] == "ended")
            assert view["step"] is None
        history = await store.lrange("onlive:program:gym:history", 0, -1)
        assert len(history) == 2 * 1 + 3, "two pairs and a trio's three pairs are remembered"
    finally:
        for c in clients + [fac]:
            await c.close()
        await lk.aclose()
        await store.aclose()
    errors = [e for e in orchestrator.log_entries() if e.get("level") in ("error", "critical", "raw")]
    assert errors == []


def short_breakout_class() -> ClassScript:
    return ClassScript(
        id="short", version=1, title=Text("Kort", "Short"), description=Text("Kort", "Short"),
        steps=(Step("talk", StepKind.BREAKOUT, Text("Prata", "Talk"), Text("Prata", "Talk"),
                    duration=3, group_size=2),
               Step("out", StepKind.CHECK_OUT, Text("Ut", "Out"), Text("Ett ord", "One word"))))


async def test_restart_mid_breakout_keeps_and_fires_the_deadline(
        env: dict[str, str], orchestrator: OrchestratorProcess, redis_server: RedisService,
        tmp_path: Path) -> None:
    people = PEOPLE[:4]
    opened = await open_pass(env, orchestrator.base_url, short_breakout_class(), people)
    pass_id, fac, clients = opened.id, opened.facilitator, opened.participants
    store = aioredis.from_url(redis_server.url)
    try:
        assert (await fac.command("start"))["ok"]
        assert (await fac.command("open_breakouts"))["ok"]
        async with service_for(env) as service:
            before = await service.store.load(pass_id)
        assert before.breakout is not None
        deadline = before.breakout.deadline

        # The worker dies without any chance to clean up.
        orchestrator.stop(signal.SIGKILL)
        # Wall time has to pass the stored deadline while no worker runs.
        await eventually(lambda: time.time() > deadline + 0.5, what="the deadline passes",
                         timeout=deadline - time.time() + 30)
        async with service_for(env) as service:
            while_down = await service.store.load(pass_id)
        assert while_down.rooms_state.value == "open", "nothing fires while no worker runs"

        successor = OrchestratorProcess(env, tmp_path / "successor.log")
        successor.start()
        try:
            # Clients reconnect by themselves and see the recall that fired,
            # in their reconnect snapshot or in an update after it.
            for c in clients:
                await c.wait_view(lambda v: v["rooms"]["state"] == "recalling", timeout=20)
            async with service_for(env) as service:
                after = await service.store.load(pass_id)
            assert after.breakout is not None
            assert after.breakout.deadline == deadline, "the stored deadline survived the restart"
            assert after.breakout.recall_deadline is not None
        finally:
            for c in clients + [fac]:
                await c.close()
            successor.stop()
    finally:
        await store.aclose()
