"""The Socket.IO front door on the real server: reserved events, frames, limits, logs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import msgpack
import pytest
import socketio

from exercises.demo import demo_class
from exercises.state import Member
from tests.harness import Client, OrchestratorProcess, service_for
from tests.waiting import eventually

pytestmark = pytest.mark.services


@pytest.fixture
def env(env: dict[str, str]) -> dict[str, str]:
    """Tight limits, so the tests reach them quickly."""
    return {**env, "ONLIVE_AUTH_TIMEOUT": "1.5", "ONLIVE_CONNECTIONS_PER_CREDENTIAL": "2",
            "ONLIVE_EVENT_RATE": "2", "ONLIVE_EVENT_BURST": "6"}


async def a_pass(env: dict[str, str]) -> tuple[str, str, str]:
    async with service_for(env) as service:
        state = await service.create_pass(demo_class())
        ticket = await service.invite(state.id, Member("p-a", "Anna"))
        return state.id, ticket, service.facilitator_credential(state.id)


async def version(client: Client) -> int:
    return int((await client.call("sync"))["state"]["version"])


async def raw_socket(session: aiohttp.ClientSession, base: str
                     ) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(f"{base}/socket.io/?EIO=4&transport=websocket",
                                  headers={"Origin": base})
    opened = await ws.receive(timeout=5)
    assert opened.type == aiohttp.WSMsgType.TEXT and opened.data.startswith("0")
    return ws


async def closed_within(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> float:
    """Seconds until the server closed ``ws`` (answering its pings meanwhile)."""
    start = time.monotonic()
    while True:
        message = await ws.receive(timeout=seconds)
        if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                            aiohttp.WSMsgType.CLOSING) or (
                message.type == aiohttp.WSMsgType.TEXT and message.data == "1"):
            return time.monotonic() - start  # a close frame, or Engine.IO's close packet
        if message.type == aiohttp.WSMsgType.TEXT and message.data == "2":
            await ws.send_str("3")


def no_tracebacks(orchestrator: OrchestratorProcess) -> list[dict[str, Any]]:
    entries = orchestrator.log_entries()
    assert not [e for e in entries if "exc" in e or e.get("level") in ("error", "critical")
                or e.get("level") == "raw"]
    return entries


async def test_clients_cannot_send_reserved_events(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    pass_id, ticket, credential = await a_pass(env)
    participant = Client(orchestrator.base_url, "/participant", {"ticket": ticket})
    await participant.connect()
    await participant.wait_for("snapshot")
    try:
        before = await version(participant)
        for event in ("connect", "disconnect", "connect_error", "disconnecting", "message"):
            ack = await participant.call(event, {"ticket": ticket})
            assert ack["ok"] is False and ack["error"]["code"] == "reserved_event", event
        # Still connected and nothing changed (the real disconnect handler did not run).
        assert await version(participant) == before
        assert participant.sio.connected
    finally:
        await participant.close()
    codes = [e.get("code") for e in no_tracebacks(orchestrator)]
    assert codes.count("reserved_event") >= 1


async def test_a_socket_without_a_credential_is_closed_within_the_auth_timeout(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    async with aiohttp.ClientSession() as session:
        idle = await raw_socket(session, orchestrator.base_url)
        # A refused credential does not count as joining either.
        refused = await raw_socket(session, orchestrator.base_url)
        await refused.send_bytes(msgpack.packb({"type": 0, "nsp": "/participant",
                                                "data": {"ticket": "forged.ticket"}}))
        took = await asyncio.gather(closed_within(idle, 10), closed_within(refused, 10))
    assert all(1.0 <= t <= 4.0 for t in took), took
    codes = [e.get("code") for e in no_tracebacks(orchestrator)]
    assert codes.count("auth_timeout") == 2


async def test_malformed_frames_close_the_socket_with_one_log_line_and_no_traceback(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    frames: list[bytes | str] = [b"\xc1\xc1garbage", msgpack.packb([1, 2, 3]),
                                 msgpack.packb({"type": 6, "nsp": "/participant"}),
                                 msgpack.packb({"type": [2], "nsp": "/participant"}),
                                 msgpack.packb({"type": 2, "nsp": 7, "data": ["sync"]}),
                                 "4not msgpack"]
    async with aiohttp.ClientSession() as session:
        for frame in frames:
            ws = await raw_socket(session, orchestrator.base_url)
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            else:
                await ws.send_str(frame)
            assert await closed_within(ws, 5) < 5
        # A flood from one source writes only a few lines.
        for _ in range(30):
            ws = await raw_socket(session, orchestrator.base_url)
            await ws.send_bytes(b"\xc1")
            await closed_within(ws, 5)

    async def counted() -> bool:
        lines = [e for e in orchestrator.log_entries() if e.get("code") == "malformed_frame"]
        return len(lines) >= 5
    await eventually(counted, what="malformed frames are logged")
    lines = [e for e in no_tracebacks(orchestrator) if e.get("code") == "malformed_frame"]
    assert len(lines) <= 6  # at most a few a minute per source


async def test_a_credential_holds_a_limited_number_of_connections(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    _, ticket, _ = await a_pass(env)
    clients = [Client(orchestrator.base_url, "/participant", {"ticket": ticket})
               for _ in range(2)]
    for client in clients:
        await client.connect()
    extra = socketio.AsyncClient(serializer="msgpack", reconnection=False)
    errors: list[Any] = []
    extra.on("connect_error", errors.append, namespace="/participant")
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await extra.connect(orchestrator.base_url, namespaces=["/participant"],
                                auth={"ticket": ticket}, transports=["websocket"],
                                headers={"Origin": orchestrator.base_url}, wait_timeout=5)
        assert errors and errors[0]["data"]["code"] == "too_many_connections"
        await clients[0].close()
        # The seat is free again once a connection closed.
        again = Client(orchestrator.base_url, "/participant", {"ticket": ticket})

        async def connects() -> bool:
            try:
                await again.connect()
            except socketio.exceptions.ConnectionError:
                return False
            return True
        await eventually(connects, what="a freed seat is taken")
        await again.close()
    finally:
        await extra.disconnect()
        for client in clients[1:]:
            await client.close()


async def test_events_over_the_rate_are_refused_with_retry_after_and_change_nothing(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    _, ticket, credential = await a_pass(env)
    participant = Client(orchestrator.base_url, "/participant", {"ticket": ticket})
    await participant.connect()
    await participant.wait_for("snapshot")
    try:
        acks = await asyncio.gather(*(participant.call("set_name", {"name": f"Anna {i}"})
                                      for i in range(20)))
        limited = [a for a in acks if not a["ok"]]
        assert 10 <= len(limited) <= 15  # a burst of 6, then 2 a second
        assert {a["error"]["code"] for a in limited} == {"rate_limited"}
        assert all(0 < a["error"]["retry_after"] <= 1 for a in limited)

        async def allowed_again() -> bool:
            return bool((await participant.call("sync"))["ok"])
        await eventually(allowed_again, what="the bucket refills")
    finally:
        await participant.close()
