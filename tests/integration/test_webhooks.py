"""LiveKit webhooks: signatures, presence, and the recording alarm on the real server."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.error
import urllib.request

import pytest
import redis.asyncio as aioredis
from livekit import api

from exercises.demo import demo_class
from tests.conftest import LiveKitService, RedisService
from tests.harness import Client, OrchestratorProcess, service_for
from tests.waiting import eventually

pytestmark = pytest.mark.services


def signed(body: str, key: str, secret: str) -> str:
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return api.AccessToken(key, secret).with_sha256(digest).to_jwt()


def post(url: str, body: str, auth: str) -> int:
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers={
        "Content-Type": "application/webhook+json", "Authorization": auth})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


async def room_names(livekit_server) -> set[str]:  # type: ignore[no-untyped-def]
    lk = api.LiveKitAPI(livekit_server.http_url, livekit_server.keys.key,
                        livekit_server.keys.secret)
    try:
        return {r.name for r in (await lk.room.list_rooms(api.ListRoomsRequest())).rooms}
    finally:
        await lk.aclose()


async def test_an_egress_webhook_closes_the_room_alerts_ops_and_audits(
        env: dict[str, str], orchestrator: OrchestratorProcess, livekit_server: LiveKitService,
        redis_server: RedisService) -> None:
    async with service_for(env) as service:
        state = await service.create_pass(demo_class())
        ops = Client(orchestrator.base_url, "/ops", {"credential": service.ops_credential()})
    await ops.connect()
    await ops.wait_for("snapshot")
    assert state.main_room in await room_names(livekit_server)
    body = json.dumps({"event": "egress_started", "id": "EV_1",
                       "createdAt": str(int(time.time())),
                       "egressInfo": {"egressId": "EG_1", "roomName": state.main_room,
                                      "status": "EGRESS_ACTIVE"}})
    url = f"{orchestrator.base_url}/webhooks/livekit"
    key, secret = livekit_server.keys.key, livekit_server.keys.secret
    try:
        assert post(url, body, signed(body, key, secret)) == 200
        alert = await ops.wait_for("alert")
        assert alert["code"] == "recording_attempt" and alert["room"] == state.main_room
        assert state.main_room not in await room_names(livekit_server)
        store = aioredis.from_url(redis_server.url)
        audit = await store.xrange("onlive:audit")
        actions = [fields[b"action"] for _, fields in audit or [] if fields]
        assert b"recording_alarm" in actions
        await store.aclose()
    finally:
        await ops.close()


async def test_a_bad_signature_is_refused_and_changes_nothing(
        env: dict[str, str], orchestrator: OrchestratorProcess, livekit_server: LiveKitService) -> None:
    async with service_for(env) as service:
        state = await service.create_pass(demo_class())
    body = json.dumps({"event": "egress_started", "id": "EV_2",
                       "egressInfo": {"egressId": "EG_2", "roomName": state.main_room}})
    url = f"{orchestrator.base_url}/webhooks/livekit"
    key = livekit_server.keys.key
    assert post(url, body, signed(body, key, "x" * 40)) == 401
    assert post(url, body, "") == 401
    tampered = body.replace("EG_2", "EG_3")
    assert post(url, tampered, signed(body, key, livekit_server.keys.secret)) == 401
    assert state.main_room in await room_names(livekit_server)
    warnings = [e for e in orchestrator.log_entries() if e.get("msg", "").startswith("webhook refused")]
    assert len(warnings) == 3


async def test_an_egress_participant_joining_is_an_alarm(
        env: dict[str, str], orchestrator: OrchestratorProcess, livekit_server: LiveKitService) -> None:
    async with service_for(env) as service:
        state = await service.create_pass(demo_class())
        ops = Client(orchestrator.base_url, "/ops", {"credential": service.ops_credential()})
    await ops.connect()
    body = json.dumps({"event": "participant_joined", "id": "EV_4",
                       "createdAt": str(int(time.time())), "room": {"name": state.main_room},
                       "participant": {"identity": "EG_rec", "kind": "EGRESS"}})
    try:
        status = post(f"{orchestrator.base_url}/webhooks/livekit", body,
                      signed(body, livekit_server.keys.key, livekit_server.keys.secret))
        assert status == 200
        alert = await ops.wait_for("alert")
        assert "kind" in alert["message"] or "EGRESS" in alert["message"] or alert["identity"]
        async def closed() -> bool:
            return state.main_room not in await room_names(livekit_server)

        await eventually(closed, what="the recorded room is closed")
    finally:
        await ops.close()


async def test_a_replayed_or_stale_webhook_is_refused_and_changes_nothing(
        env: dict[str, str], orchestrator: OrchestratorProcess, livekit_server: LiveKitService) -> None:
    async with service_for(env) as service:
        state = await service.create_pass(demo_class())
    url = f"{orchestrator.base_url}/webhooks/livekit"
    key, secret = livekit_server.keys.key, livekit_server.keys.secret
    joined = json.dumps({"event": "participant_joined", "id": "EV_replay",
                         "createdAt": str(int(time.time())), "room": {"name": state.main_room},
                         "participant": {"identity": "p-ghost"}})
    assert post(url, joined, signed(joined, key, secret)) == 200
    # The same signed webhook again (a capture replayed) is refused.
    assert post(url, joined, signed(joined, key, secret)) == 401
    # A validly signed egress webhook created long ago would close the room: refused.
    stale = json.dumps({"event": "egress_started", "id": "EV_old",
                        "createdAt": str(int(time.time()) - 3600),
                        "egressInfo": {"egressId": "EG_9", "roomName": state.main_room}})
    assert post(url, stale, signed(stale, key, secret)) == 401
    no_id = json.dumps({"event": "egress_started", "createdAt": str(int(time.time())),
                        "egressInfo": {"egressId": "EG_8", "roomName": state.main_room}})
    assert post(url, no_id, signed(no_id, key, secret)) == 401
    assert state.main_room in await room_names(livekit_server)
    codes = [e.get("code") for e in orchestrator.log_entries()
             if e.get("msg", "").startswith("webhook refused")]
    assert codes == ["webhook_replay"] * 3


async def test_a_webhook_that_is_not_utf8_is_a_coded_refusal_not_a_server_error(
        orchestrator: OrchestratorProcess) -> None:
    # Found by `onlive bench fuzz`: such a body used to end in a 500 and a traceback.
    request = urllib.request.Request(
        f"{orchestrator.base_url}/webhooks/livekit", data=b'{"\xa8": 1}', method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer x"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["error"]["code"] == "bad_payload"
    refused.value.close()
    assert not [e for e in orchestrator.log_entries() if e.get("level") == "error"]
