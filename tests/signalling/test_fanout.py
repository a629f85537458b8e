"""The fan-out subclasses: one encode per audience, no task per recipient."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import socketio

from signalling.eiosocket import QuickSocket
from signalling.fanout import WIRE, FanoutRedisManager, FanoutServer, batched

N = 200


def _server() -> tuple[FanoutServer, FanoutRedisManager]:
    manager = FanoutRedisManager("redis://127.0.0.1:1/0", channel="test")
    server = FanoutServer(async_mode="aiohttp", serializer="msgpack", client_manager=manager)
    return server, manager


async def _audience(server: FanoutServer, manager: FanoutRedisManager,
                    n: int) -> list[QuickSocket]:
    sockets = []
    for i in range(n):
        eio_sid = f"eio{i}"
        socket = QuickSocket(server.eio, eio_sid)
        server.eio.sockets[eio_sid] = socket
        sid = await manager.connect(eio_sid, "/participant")
        await manager.enter_room(sid, "/participant", "pass:p1")
        sockets.append(socket)
    return sockets


def _encoded(monkeypatch: pytest.MonkeyPatch, server: FanoutServer) -> list[str]:
    """The events ``server``'s packets are encoded for, from now on, one entry per encode."""
    events: list[str] = []
    original = server.packet_class.encode

    def counting(self: Any) -> Any:
        events.append(self.data[0])
        return original(self)

    monkeypatch.setattr(server.packet_class, "encode", counting)
    return events


def _published(monkeypatch: pytest.MonkeyPatch, manager: FanoutRedisManager) -> list[bytes]:
    """What ``manager`` publishes to the other workers, from now on."""
    published: list[bytes] = []

    async def send(encoded: bytes) -> None:
        published.append(encoded)

    monkeypatch.setattr(manager, "_send", send)
    return published


async def test_a_broadcast_is_encoded_once_and_queued_to_every_socket_without_tasks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, manager = _server()
    sockets = await _audience(server, manager, N)
    encodes = _encoded(monkeypatch, server)
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
    assert len(encodes) == 1
    assert created == [] and len(asyncio.all_tasks()) == tasks_before
    queued = [s.queue.get_nowait() for s in sockets]
    assert all(p is queued[0] for p in queued), "one engine.io packet shared by all"
    assert all(s.queue.empty() for s in sockets)


async def test_a_broadcast_nobody_here_receives_is_not_encoded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker without facilitators (or with only closed sockets in the room) does not
    build the facilitators' view's frames for nobody; the others still get theirs."""
    server, manager = _server()
    sockets = await _audience(server, manager, 2)
    encodes = _encoded(monkeypatch, server)
    for socket in sockets:
        socket.closed = True
    for namespace, room in (("/facilitator", "pass:p1"), ("/participant", "pass:p2"),
                            ("/participant", "pass:p1")):
        await manager._handle_emit({"method": "emit", "event": "view", "data": [{"n": 1}],
                                    "binary": False, "namespace": namespace, "room": room,
                                    "skip_sid": None, "callback": None})
    assert encodes == [] and all(s.queue.empty() for s in sockets)
    sockets[0].closed = False
    await manager._handle_emit({"method": "emit", "event": "view", "data": [{"n": 2}],
                                "binary": False, "namespace": "/participant", "room": "pass:p1",
                                "skip_sid": None, "callback": None})
    assert encodes == ["view"] and not sockets[0].queue.empty() and sockets[1].queue.empty()


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


class _Wire:
    """A client connection as asyncio shows it: what was written, what is unsent."""

    def __init__(self, backlog: int = 0) -> None:
        self.written: list[bytes] = []
        self.backlog = backlog

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return self.backlog


class _Response:
    closed = False


def _on_websocket(socket: QuickSocket, wire: _Wire) -> None:
    """The state of a websocket client whose writer waits for its next packet."""
    socket.wire, socket.response = wire, _Response()  # type: ignore[assignment]
    socket.upgraded, socket.waiting = True, True


def _emit_cue() -> dict[str, Any]:
    return {"method": "emit", "event": "cue", "data": [{"kind": "x"}], "binary": False,
            "namespace": "/participant", "room": "pass:p1", "skip_sid": None,
            "callback": None}


def _frame_payload(frame: bytes) -> bytes:
    assert frame[0] == 0x82, "a final binary frame"
    size = frame[1]
    assert size < 126 and len(frame) == 2 + size, "unmasked, one frame, exact length"
    return frame[2:]


async def test_a_waiting_websocket_client_gets_the_ready_frame_written_at_once() -> None:
    server, manager = _server()
    sockets = await _audience(server, manager, 3)
    wires = [_Wire() for _ in sockets]
    for socket, wire in zip(sockets, wires, strict=True):
        _on_websocket(socket, wire)
    await manager._handle_emit(_emit_cue())
    assert all(s.queue.empty() for s in sockets)
    frames = [w.written for w in wires]
    assert all(len(f) == 1 and f[0] == frames[0][0] for f in frames)
    decoded = server.packet_class(encoded_packet=_frame_payload(frames[0][0]))
    assert decoded.namespace == "/participant" and decoded.data == ["cue", {"kind": "x"}]


async def test_a_client_with_packets_queued_slow_or_upgrading_gets_the_broadcast_queued(
) -> None:
    server, manager = _server()
    busy, slow, upgrading, idle = await _audience(server, manager, 4)
    wires = [_Wire(), _Wire(backlog=1 << 20), _Wire(), _Wire()]
    for socket, wire in zip((busy, slow, upgrading, idle), wires, strict=True):
        _on_websocket(socket, wire)
    busy.queue.put_nowait("earlier")
    upgrading.upgrading = True
    idle.waiting = False  # its writer is sending something already
    await manager._handle_emit(_emit_cue())
    assert all(w.written == [] for w in wires), "nothing overtakes what is queued or in flight"
    assert busy.queue.get_nowait() == "earlier" and busy.queue.qsize() == 1
    assert slow.queue.qsize() == upgrading.queue.qsize() == idle.queue.qsize() == 1


async def test_an_emit_to_a_socket_of_this_worker_is_not_published_to_the_others(
        monkeypatch: pytest.MonkeyPatch) -> None:
    server, manager = _server()
    sockets = await _audience(server, manager, 2)
    published = _published(monkeypatch, manager)
    sid = manager.sid_from_eio_sid("eio0", "/participant")
    await manager.emit("snapshot", {"me": 1}, namespace="/participant", room=sid)
    assert sockets[0].queue.qsize() == 1 and sockets[1].queue.empty()
    await manager.emit("state", {"version": 2}, namespace="/participant", room="pass:p1")
    await manager.emit("snapshot", {"me": 3}, namespace="/participant", room="elsewhere")
    await manager.emit("echo", {"sdp": b"\x00\x01"}, namespace="/participant", room="elsewhere")
    messages = [WIRE.loads(m) for m in published]
    assert [(m["event"], m["room"]) for m in messages] == [
        ("state", "pass:p1"), ("snapshot", "elsewhere"), ("echo", "elsewhere")]
    assert all(list(m)[:2] == ["host_id", "method"] for m in messages)
    packets = [[server.packet_class(encoded_packet=p).data for p in m["packets"]]
               for m in messages]
    assert packets == [[["state", {"version": 2}]], [["snapshot", {"me": 3}]],
                       [["echo", {"sdp": b"\x00\x01"}]]], "encoded once, bytes inline"


async def _hear(monkeypatch: pytest.MonkeyPatch, manager: FanoutRedisManager,
                published: list[bytes]) -> None:
    """``manager``'s listener, as it runs in a worker, hears ``published`` from Redis."""
    async def listen(self: Any) -> Any:
        for message in published:
            yield message

    monkeypatch.setattr(socketio.AsyncRedisManager, "_listen", listen)
    await manager._thread()  # returns once the listen ends


async def test_another_worker_writes_a_published_broadcast_without_encoding_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The facilitators' view is encoded once in all, by the worker that sends it; the
    others deliver the bytes they hear (and build nothing where nobody is in the room)."""
    sender, sending = _server()
    receiver, receiving = _server()
    here, there = await _audience(sender, sending, 1), await _audience(receiver, receiving, 3)
    published = _published(monkeypatch, sending)
    view = {"people": [{"name": f"Person {i}", "present": True} for i in range(50)]}
    await sending.emit("facilitator", view, namespace="/participant", room="pass:p1")
    await sending.emit("facilitator", view, namespace="/facilitator", room="pass:p1")
    encodes = _encoded(monkeypatch, receiver)
    await _hear(monkeypatch, receiving, published)
    assert encodes == []
    mine = here[0].queue.get_nowait()
    theirs = [s.queue.get_nowait() for s in there]
    assert all(s.queue.empty() for s in (*here, *there)), "nobody there in /facilitator"
    assert all(p.data == mine.data for p in theirs), "the sender's very bytes"
    assert receiver.packet_class(encoded_packet=theirs[0].data).data == ["facilitator", view]


async def test_a_write_only_publisher_sends_the_data_and_each_worker_encodes_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``onlive`` commands run outside a worker (no server, no packet encoder)."""
    publisher = FanoutRedisManager("redis://127.0.0.1:1/0", channel="test", write_only=True)
    published = _published(monkeypatch, publisher)
    await publisher.emit("notice", {"text": "Hej", "raw": b"\x01"}, namespace="/participant",
                         room="pass:p1")
    server, manager = _server()
    sockets = await _audience(server, manager, 2)
    await _hear(monkeypatch, manager, published)
    for socket in sockets:
        packet = server.packet_class(encoded_packet=socket.queue.get_nowait().data)
        assert packet.data == ["notice", {"text": "Hej", "raw": b"\x01"}]


async def test_the_listener_skips_its_own_messages_but_not_callbacks_meant_for_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, manager = _server()
    mine = {"host_id": manager.host_id, "method": "emit", "event": "state"}
    theirs = {"host_id": "another", "method": "emit", "event": "state"}
    callback = {"host_id": manager.host_id, "method": "callback", "sid": "s"}
    in_json = {"host_id": "older", "method": "emit", "event": "state"}
    raw = [WIRE.dumps(m) for m in (mine, theirs, callback)] + [json.dumps(in_json).encode()]

    async def listen(self: Any) -> Any:
        for message in raw:
            yield message

    monkeypatch.setattr(socketio.AsyncRedisManager, "_listen", listen)
    heard = [WIRE.loads(m) async for m in manager._listen()]
    assert heard == [theirs, callback, in_json], "the library's JSON is still read"


async def test_a_batch_reaches_each_client_in_one_write_in_order_and_ends_with_its_task(
) -> None:
    server, manager = _server()
    sockets = await _audience(server, manager, 3)
    wires = [_Wire() for _ in sockets]
    for socket, wire in zip(sockets, wires, strict=True):
        _on_websocket(socket, wire)
    sockets[2].waiting = False  # busy: what it gets is queued, in order
    later: list[asyncio.Task[None]] = []
    with batched():
        await manager._handle_emit(_emit_cue())
        assert all(w.written == [] for w in wires), "held until the batch ends"
        state = {**_emit_cue(), "event": "state", "data": [{"version": 8}]}
        await manager._handle_emit(state)
        later.append(asyncio.ensure_future(manager._handle_emit(_emit_cue())))
    assert [len(w.written) for w in wires] == [1, 1, 0]
    frames = wires[0].written[0]
    first = _frame_payload(frames[:2 + frames[1]])
    second = _frame_payload(frames[2 + frames[1]:])
    assert server.packet_class(encoded_packet=first).data[0] == "cue"
    assert server.packet_class(encoded_packet=second).data == ["state", {"version": 8}]
    assert sockets[2].queue.qsize() == 2
    await later[0]  # started inside, sent after the end: written at once
    assert [len(w.written) for w in wires] == [2, 2, 0] and sockets[2].queue.qsize() == 3


async def test_rooms_as_plain_dicts_keep_the_managers_behaviour() -> None:
    server, manager = _server()
    sockets = await _audience(server, manager, 3)
    a, b, c = (manager.sid_from_eio_sid(s.sid, "/participant") for s in sockets)
    await manager.enter_room(a, "/participant", "person:p1:anna")
    with pytest.raises(ValueError):
        await manager.enter_room(a, "/participant", b)  # another client's own room
    assert b in manager.rooms["/participant"], "the refused entry left that room alone"
    assert sorted(manager.get_rooms(a, "/participant")) == sorted([a, "pass:p1", "person:p1:anna"])
    assert {sid for sid, _ in manager.get_participants("/participant", "pass:p1")} == {a, b, c}
    assert {sid for sid, _ in manager.get_participants(
        "/participant", ["person:p1:anna", b])} == {a, b}
    await manager.leave_room(c, "/participant", "pass:p1")
    assert {sid for sid, _ in manager.get_participants("/participant", "pass:p1")} == {a, b}
    await manager.disconnect(a, "/participant")
    assert "person:p1:anna" not in manager.rooms["/participant"]
    assert {sid for sid, _ in manager.get_participants("/participant", "pass:p1")} == {b}
    await manager.close_room("pass:p1", "/participant")
    assert "pass:p1" not in manager.rooms["/participant"]
    assert manager.is_connected(b, "/participant") and manager.is_connected(c, "/participant")
