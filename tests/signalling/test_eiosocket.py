"""The lean engine.io socket over a real aiohttp server and real Socket.IO clients:
packets in order whether written at once or through the writer, pings answered,
a silent client cut off, and no task of its own per connected client."""

from __future__ import annotations

import asyncio
from asyncio import selector_events
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web

from signalling.eiosocket import ENVIRON_KEPT, LeanEngine, LeanQueue, QuickSocket
from signalling.fanout import FanoutServer
from tests.loopback import served as serving
from tests.waiting import eventually

NS = "/participant"


@dataclass
class Served:
    url: str
    sio: FanoutServer
    connected: list[str]
    left: dict[str, object]  # sid -> the reason it left with


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    sio = FanoutServer(async_mode="aiohttp", serializer="msgpack", cors_allowed_origins="*",
                       ping_interval=1, ping_timeout=1)
    app = web.Application()
    sio.attach(app)
    connected: list[str] = []
    left: dict[str, object] = {}

    async def on_connect(sid: str, environ: dict[str, Any], auth: object) -> None:
        connected.append(sid)
        await sio.enter_room(sid, "all", namespace=NS)

    async def on_disconnect(sid: str, reason: object) -> None:
        left[sid] = reason

    async def on_echo(sid: str, data: object) -> object:
        return data

    sio.on("connect", on_connect, namespace=NS)
    sio.on("disconnect", on_disconnect, namespace=NS)
    sio.on("echo", on_echo, namespace=NS)
    async with serving(app) as url:
        try:
            yield Served(url, sio, connected, left)
        finally:
            await sio.shutdown()


async def _client(served: Served) -> tuple[socketio.AsyncClient, list[Any]]:
    client = socketio.AsyncClient(serializer="msgpack", reconnection=False)
    heard: list[Any] = []
    client.on("n", heard.append, namespace=NS)
    await client.connect(served.url, namespaces=[NS], transports=["websocket"],
                         wait_timeout=10)
    return client, heard


def _file_of(task: asyncio.Task[Any]) -> str:
    filename: str = task.get_coro().cr_code.co_filename  # type: ignore[union-attr]
    return "/".join(filename.split("/")[-2:])


def _socket(served: Served, sid: str) -> QuickSocket:
    socket = served.sio.eio.sockets[served.sio.manager.eio_sid_from_sid(sid, NS)]
    assert isinstance(socket, QuickSocket)
    return socket


async def test_emits_arrive_in_order_whether_written_at_once_or_through_the_writer(
        served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    client, heard = await _client(served)
    try:
        await eventually(lambda: served.connected, what="the client connected")
        for i in range(5):
            await served.sio.emit("n", i, room="all", namespace=NS)
        # A client that does not keep up: what follows goes through the writer task.
        monkeypatch.setattr("signalling.eiosocket.BACKLOG_LIMIT", -1)
        for i in range(5, 10):
            await served.sio.emit("n", i, room="all", namespace=NS)
        monkeypatch.undo()
        for i in range(10, 15):
            await served.sio.emit("n", i, room="all", namespace=NS)
        await eventually(lambda: len(heard) == 15, what="all fifteen emits arrived")
        assert heard == list(range(15))
        assert await client.call("echo", {"a": 1}, namespace=NS, timeout=10) == {"a": 1}
    finally:
        await client.disconnect()


async def test_a_connected_client_keeps_no_task_of_its_own_and_a_trimmed_environ(
        served: Served) -> None:
    clients = [(await _client(served))[0] for _ in range(10)]
    try:
        await eventually(lambda: len(served.connected) == 10, what="ten clients connected")
        where = Counter(_file_of(t) for t in asyncio.all_tasks()
                        if t is not served.sio.eio.service_task_handle)
        # Each client is aiohttp's connection task and its request handler, no more: no
        # writer, no read-wait and no ping task (python-engineio's own socket runs three).
        assert where["aiohttp/web_protocol.py"] == 2 * 10
        assert where["engineio/async_socket.py"] == where["signalling/eiosocket.py"] == 0
        environ = served.sio.get_environ(served.connected[-1], namespace=NS)
        assert sorted(environ) == sorted(ENVIRON_KEPT)
    finally:
        for client in clients:
            await client.disconnect()


async def test_pings_keep_a_quiet_client_connected(served: Served) -> None:
    client, heard = await _client(served)
    try:
        await eventually(lambda: served.connected, what="the client connected")
        socket = _socket(served, served.connected[0])
        pings = 0
        original = socket.receive

        async def counting(pkt: Any) -> None:
            nonlocal pings
            pings += pkt.packet_type == 3  # PONG, the answer to the server's ping
            await original(pkt)

        socket.receive = counting
        await eventually(lambda: pings >= 2, what="two pings answered")
        assert client.connected and not socket.closed
        await served.sio.emit("n", "still here", room="all", namespace=NS)
        await eventually(lambda: heard == ["still here"], what="an emit after the pings")
    finally:
        await client.disconnect()


async def test_the_handshake_and_the_open_packet_reach_the_client_in_one_write(
        served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    port = int(served.url.rsplit(":", 1)[1])
    writes: list[bytes] = []  # what the server wrote to its clients, write by write
    transport_class: Any = getattr(selector_events, "_SelectorSocketTransport")
    write, writelines = transport_class.write, transport_class.writelines
    inside = False

    def noted(chunks: list[bytes], transport: Any) -> bool:
        if not inside and transport.get_extra_info("sockname")[1] == port:
            writes.append(b"".join(chunks))
        return not inside

    def counting_write(self: Any, data: bytes) -> None:
        nonlocal inside
        outer = noted([bytes(data)], self)
        inside = True
        try:
            write(self, data)
        finally:
            inside = not outer

    def counting_writelines(self: Any, chunks: list[bytes]) -> None:
        nonlocal inside
        outer = noted([bytes(c) for c in chunks], self)
        inside = True
        try:
            writelines(self, chunks)
        finally:
            inside = not outer

    monkeypatch.setattr(transport_class, "write", counting_write)
    monkeypatch.setattr(transport_class, "writelines", counting_writelines)
    async with aiohttp.ClientSession() as session:
        url = served.url + "/socket.io/?EIO=4&transport=websocket"
        async with session.ws_connect(url) as ws:
            opened = await ws.receive(timeout=10)
            assert opened.data.startswith("0{")  # engine.io OPEN
            assert len(writes) == 1, writes
            assert writes[0].startswith(b"HTTP/1.1 101 ") and writes[0].endswith(b'"maxPayload":1000000}')


async def test_a_client_that_starts_long_polling_upgrades_to_a_websocket(
        served: Served) -> None:
    client = socketio.AsyncClient(serializer="msgpack", reconnection=False)
    heard: list[Any] = []
    client.on("n", heard.append, namespace=NS)
    await client.connect(served.url, namespaces=[NS], transports=["polling", "websocket"],
                         wait_timeout=10)
    try:
        await eventually(lambda: served.connected, what="the client connected")
        socket = _socket(served, served.connected[0])
        await eventually(lambda: socket.upgraded and client.transport() == "websocket",
                         what="the upgrade to a websocket")
        for i in range(3):
            await served.sio.emit("n", i, room="all", namespace=NS)
        await eventually(lambda: heard == [0, 1, 2], what="the emits over the websocket")
        assert await client.call("echo", "hej", namespace=NS, timeout=10) == "hej"
    finally:
        await client.disconnect()


async def test_a_client_that_falls_silent_is_cut_off(served: Served) -> None:
    async with aiohttp.ClientSession() as session:
        url = served.url + "/socket.io/?EIO=4&transport=websocket"
        async with session.ws_connect(url, autoping=False) as ws:
            opened = await ws.receive(timeout=10)
            assert opened.data.startswith("0{")  # engine.io OPEN; then nothing, no pong
            sockets = list(served.sio.eio.sockets.values())
            assert len(sockets) == 1
            await eventually(lambda: sockets[0].closed, what="the silent client was cut off")
            await eventually(lambda: ws.closed or ws._reader.is_eof(),
                             what="its websocket ended")


async def test_a_client_that_stops_answering_pings_is_cut_off_and_the_others_stay(
        served: Served) -> None:
    mute, _ = await _client(served)
    other, heard = await _client(served)
    try:
        await eventually(lambda: len(served.connected) == 2, what="both clients connected")
        muted, kept = served.connected
        original = mute.eio._send_packet

        async def no_pongs(pkt: Any) -> None:
            if pkt.packet_type != 3:  # PONG
                await original(pkt)

        mute.eio._send_packet = no_pongs
        await eventually(lambda: muted in served.left, what="the mute client was cut off")
        assert served.left == {muted: served.sio.reason.PING_TIMEOUT}
        await served.sio.emit("n", "still here", room="all", namespace=NS)
        await eventually(lambda: heard == ["still here"], what="the other client still hears")
        assert other.connected and not _socket(served, kept).closed
    finally:
        await mute.disconnect()
        await other.disconnect()


class _Due(QuickSocket):
    """A socket that notes when its tick came instead of pinging."""

    came: float | None = None

    def on_tick(self) -> None:
        self.came = asyncio.get_running_loop().time()


async def test_sockets_due_within_one_slot_share_a_tick_and_none_is_early(
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine = LeanEngine(async_mode="aiohttp", ping_interval=1, ping_timeout=1)
    assert engine.ping_slot == 0.25
    ticks = 0
    on_tick = engine._on_tick

    def counting(tick: int) -> None:
        nonlocal ticks
        ticks += 1
        on_tick(tick)

    monkeypatch.setattr(engine, "_on_tick", counting)
    loop = asyncio.get_running_loop()
    sockets = [_Due(engine, str(i)) for i in range(20)]
    due = {}
    for i, socket in enumerate(sockets):  # due within 0.2 s, less than one slot
        due[socket] = loop.time() + 0.3 + i * 0.01
        engine.due(socket, due[socket] - loop.time())
    moved = sockets[-1]
    engine.due(moved, 0.9)  # moved on before its first tick: it comes once, later
    due[moved] = loop.time() + 0.9
    await eventually(lambda: all(s.came is not None for s in sockets), what="every tick came")
    assert all(s.came is not None and s.came >= due[s] - 1e-6 for s in sockets)
    assert ticks <= 3, "twenty sockets due within one slot, one more later: at most three ticks"
    assert not engine._due


async def test_the_queue_hands_items_over_in_order_and_join_waits_for_task_done() -> None:
    queue = LeanQueue()
    getter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("a")
    queue.put_nowait("b")
    assert await getter == "a" and queue.qsize() == 1
    joined = asyncio.ensure_future(queue.join())
    queue.task_done()
    await asyncio.sleep(0)
    assert not joined.done(), "b is still not done"
    assert queue.take_all() == ["b"] and queue.empty()
    await asyncio.wait_for(joined, 1)
    with pytest.raises(ValueError):
        queue.task_done()


async def test_a_getter_cancelled_after_its_wake_up_passes_it_to_the_next() -> None:
    queue = LeanQueue()
    first = asyncio.ensure_future(queue.get())
    second = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("x")
    first.cancel()
    assert await asyncio.wait_for(second, 1) == "x"
    assert first.cancelled()
