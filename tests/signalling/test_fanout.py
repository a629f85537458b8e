"""The fan-out subclasses: one encode per audience, no task per recipient."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from signalling.fanout import FanoutRedisManager, FanoutServer, _QuickSocket

N = 200


def _server() -> tuple[FanoutServer, FanoutRedisManager]:
    manager = FanoutRedisManager("redis://127.0.0.1:1/0", channel="test")
    server = FanoutServer(async_mode="aiohttp", serializer="msgpack", client_manager=manager)
    return server, manager


async def _audience(server: FanoutServer, manager: FanoutRedisManager,
                    n: int) -> list[_QuickSocket]:
    sockets = []
    for i in range(n):
        eio_sid = f"eio{i}"
        socket = _QuickSocket(server.eio, eio_sid)
        server.eio.sockets[eio_sid] = socket
        sid = await manager.connect(eio_sid, "/participant")
        await manager.enter_room(sid, "/participant", "pass:p1")
        sockets.append(socket)
    return sockets


async def test_a_broadcast_is_encoded_once_and_queued_to_every_socket_without_tasks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, manager = _server()
    sockets = await _audience(server, manager, N)
    encodes = 0
    original = server.packet_class.encode

    def counting(self: Any) -> Any:
        nonlocal encodes
        encodes += 1
        return original(self)

    monkeypatch.setattr(server.packet_class, "encode", counting)
    tasks_before = len(asyncio.all_tasks())
    created: list[object] = []
    loop = asyncio.get_running_loop()
    real_create = loop.create_task

    def spy(coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        created.append(coro)
        return real_create(coro, **kwargs)

    monkeypatch.setattr(loop, "create_task", spy)
    await manager._handle_emit({"method": "emit", "event": "state", "data": [{"version": 7}],
                                "binary": False, "namespace": "/participant",
                                "room": "pass:p1", "skip_sid": None, "callback": None})
    assert encodes == 1
    assert created == [] and len(asyncio.all_tasks()) == tasks_before
    queued = [s.queue.get_nowait() for s in sockets]
    assert all(p is queued[0] for p in queued), "one engine.io packet shared by all"
    assert all(s.queue.empty() for s in sockets)


async def test_a_closed_socket_is_skipped_and_the_writer_gets_what_was_queued() -> None:
    server, manager = _server()
    sockets = await _audience(server, manager, 3)
    sockets[1].closed = True
    await manager._handle_emit({"method": "emit", "event": "cue", "data": [{"kind": "x"}],
                                "binary": False, "namespace": "/participant",
                                "room": "pass:p1", "skip_sid": None, "callback": None})
    assert sockets[1].queue.empty()
    sockets[0].queue.put_nowait(None)
    first = await sockets[0].poll()
    assert len(first) == 1 and await sockets[0].poll() == []
