"""The namespaces over a real Socket.IO server, in-process, with fakes at the ports.

Connect-time auth, the one place refusals become coded wire errors, and thin
handlers that call the services and render their read models.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import socketio
from aiohttp import web

from exercises.demo import demo_class
from exercises.state import Member
from orchestrator.services import Services, build_services
from orchestrator.settings import Settings
from orchestrator.taskset import TaskSet
from signalling import namespaces
from signalling.media import EchoPool
from signalling.notifier import SocketNotifier
from tests.loopback import served
from tests.orchestrator.fakes import FakeSfu, MemoryStore


@dataclass
class Server:
    url: str
    services: Services
    pass_id: str
    sio: socketio.AsyncServer


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    sio = socketio.AsyncServer(async_mode="aiohttp", serializer="msgpack",
                               cors_allowed_origins="*")
    app = web.Application()
    sio.attach(app)
    services = build_services(Settings(secret="s" * 40, redis_url="redis://x",
                                       livekit_url="ws://x"),
                              MemoryStore(), FakeSfu(), SocketNotifier(sio))
    tasks = TaskSet("test")

    async def overview() -> dict[str, Any]:
        return {"passes": []}

    async with EchoPool(1, 5.0) as echo:
        namespaces.register(sio, services, tasks, echo, overview)
        async with served(app) as url:
            state = await services.passes.create_pass(demo_class())
            try:
                yield Server(url, services, state.id, sio)
            finally:
                await tasks.cancel_all()


async def connect(server: Server, namespace: str, auth: dict[str, str]) -> socketio.AsyncClient:
    client = socketio.AsyncClient(serializer="msgpack", reconnection=False)
    await client.connect(server.url, namespaces=[namespace], auth=auth,
                         transports=["websocket"], wait_timeout=10)
    return client


async def refusal(server: Server, namespace: str, auth: dict[str, str]) -> Any:
    client = socketio.AsyncClient(serializer="msgpack", reconnection=False)
    refused: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    client.on("connect_error", lambda data: refused.set_result(data), namespace=namespace)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(server.url, namespaces=[namespace], auth=auth,
                                 transports=["websocket"], wait_timeout=10)
        data = await asyncio.wait_for(refused, 10)
        return data["data"]
    finally:
        await client.disconnect()


async def test_connecting_without_the_right_credential_is_refused_with_a_code(
        server: Server) -> None:
    access = server.services.access
    assert (await refusal(server, "/participant", {}))["code"] == "missing_credential"
    facilitator = access.facilitator_credential(server.pass_id)
    assert (await refusal(server, "/participant", {"ticket": facilitator}))["code"] == "wrong_role"
    assert (await refusal(server, "/ops", {"credential": "forged.x"}))["code"] == \
        "invalid_credential"


async def test_a_participant_gets_a_snapshot_and_bad_events_get_coded_errors(
        server: Server) -> None:
    ticket = await server.services.participants.invite(server.pass_id, Member("p-a", "Ada"))
    snapshot: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    client = socketio.AsyncClient(serializer="msgpack", reconnection=False)
    client.on("snapshot", lambda data: snapshot.set_result(data), namespace="/participant")
    await client.connect(server.url, namespaces=["/participant"], auth={"ticket": ticket},
                         transports=["websocket"], wait_timeout=10)
    try:
        snap = await asyncio.wait_for(snapshot, 10)
        assert snap["me"] == {"id": "p-a", "name": "Ada"}
        assert snap["assignment"]["kind"] == "main"
        assert snap["assignment"]["token"].startswith("token:onlive_")
        unknown = await client.call("launch", {}, namespace="/participant", timeout=10)
        assert unknown["ok"] is False and unknown["error"]["code"] == "unknown_event"
        bad = await client.call("answer", {"step_id": 5}, namespace="/participant", timeout=10)
        assert bad["error"]["code"] == "bad_payload"
        early = await client.call("answer", {"step_id": "check-in", "client_id": "c1",
                                             "value": {"energy": 3, "word": "ok"}},
                                  namespace="/participant", timeout=10)
        assert early["error"]["code"] == "wrong_step"
    finally:
        await client.disconnect()


async def test_a_facilitator_command_is_acked_with_the_new_version(server: Server) -> None:
    credential = server.services.access.facilitator_credential(server.pass_id)
    client = await connect(server, "/facilitator", {"credential": credential})
    try:
        ack = await client.call("command", {"name": "start"}, namespace="/facilitator",
                                timeout=10)
        assert ack == {"ok": True, "version": 1}
        refused = await client.call("command", {"name": "start"}, namespace="/facilitator",
                                    timeout=10)
        assert refused["ok"] is False and refused["error"]["code"] == "illegal_command"
        assert "running step 1/5" in refused["error"]["message"]
    finally:
        await client.disconnect()


async def test_a_participant_who_leaves_while_being_let_in_leaves_no_trace_and_no_error(
        server: Server, caplog: pytest.LogCaptureFixture) -> None:
    ticket = await server.services.participants.invite(server.pass_id, Member("p-b", "Bo"))
    participants = server.services.participants
    checking, go_on = asyncio.Event(), asyncio.Event()
    admit = participants.admit

    async def slow_admit(credential: object) -> Any:
        checking.set()
        await go_on.wait()
        return await admit(credential)

    handler = server.sio.namespace_handlers["/participant"]
    handled: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    trigger = handler.trigger_event

    async def watched(event: str, *args: Any) -> Any:
        try:
            result = await trigger(event, *args)
        except BaseException as error:
            handled.set_result(error)
            raise
        if event == "connect":
            handled.set_result(result)
        return result

    participants.admit = slow_admit  # type: ignore[method-assign]
    handler.trigger_event = watched
    client = socketio.AsyncClient(serializer="msgpack", reconnection=False)
    connecting = asyncio.create_task(client.connect(
        server.url, namespaces=["/participant"], auth={"ticket": ticket},
        transports=["websocket"], wait_timeout=10))
    try:
        await asyncio.wait_for(checking.wait(), 10)
        # The connection is lost mid-admission (a closed tab, a lost network: the
        # server's reader waits for the admission, so its writer finds out).
        for eio_sid in list(server.sio.eio.sockets):
            await server.sio.eio.disconnect(eio_sid)
        go_on.set()
        assert await asyncio.wait_for(handled, 10) is False, "refused quietly, no exception"
    finally:
        connecting.cancel()
        await asyncio.gather(connecting, return_exceptions=True)
        await client.disconnect()
    assert "p-b" not in (await server.services.store.load(server.pass_id)).present
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_a_command_whose_facilitator_left_before_it_was_handled_is_dropped_quietly(
        server: Server, caplog: pytest.LogCaptureFixture) -> None:
    credential = server.services.access.facilitator_credential(server.pass_id)
    client = await connect(server, "/facilitator", {"credential": credential})
    handler = server.sio.namespace_handlers["/facilitator"]
    handled: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    trigger = handler.trigger_event

    async def left_first(event: str, *args: Any) -> Any:
        if event != "command":
            return await trigger(event, *args)
        # The page reloads while its command waits to be handled: the connection,
        # and its session, go first.
        for eio_sid in list(server.sio.eio.sockets):
            await server.sio.eio.disconnect(eio_sid)
        try:
            result = await trigger(event, *args)
        except BaseException as error:
            handled.set_result(error)
            raise
        handled.set_result(result)
        return result

    handler.trigger_event = left_first
    try:
        await client.emit("command", {"name": "start"}, namespace="/facilitator")
        assert await asyncio.wait_for(handled, 10) is None, "nobody to answer, no exception"
    finally:
        await client.disconnect()
    assert (await server.services.store.load(server.pass_id)).version == 0, "nothing applied"
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
