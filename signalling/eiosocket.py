"""An engine.io socket of a websocket client at the memory of a few objects.

python-engineio 4's ``AsyncSocket`` keeps, for every websocket client, three
tasks alive besides aiohttp's own (a writer waiting on the send queue, a
read waiting in a task ``asyncio.wait_for`` makes, and one sleeping until
the next ping), each a task, its coroutines, a future, a context and a timer,
and an ``asyncio.Queue`` of three deques and an ``Event``. At a thousand
clients that was about a quarter of the worker's memory per connection. So,
in small subclasses (no fork; read against python-engineio 4.15):

- ``LeanQueue``: the part of ``asyncio.Queue`` engine.io uses (unbounded
  ``put``/``get``, ``task_done``/``join``) on one list, made by
  ``LeanEngine.create_queue`` for every socket. A socket writing to its
  websocket is told of each packet put (``on_put``).
- ``QuickSocket`` (swapped in by ``signalling.fanout.FanoutServer``), for a
  client that opens a websocket at once (the pages and the load generator
  do; an upgrade from long-polling runs the library's own handler): the read
  loop waits in the handler aiohttp runs anyway, with no task or timeout per
  message; a packet put while nothing is in flight and the client keeps up
  is written at once as one ready frame (``write_now``, server frames are
  unmasked), otherwise a writer task runs until the queue is empty
  (aiohttp's flow control) and ends. A client whose pong is
  ``ping_timeout`` late is closed with reason ``PING_TIMEOUT`` and its
  connection ended (the library closes it from its service task and ends the
  read after ``ping_interval + ping_timeout`` of silence). Once the websocket
  is open the WSGI-like ``environ`` keeps only what the server reads later
  (``ENVIRON_KEPT``: the connection's address and its aiohttp request), and
  the read waits in the response's ``receive`` itself, not through the
  driver's ``wait`` (two coroutine frames fewer per client, ~0.2 KB).
- Pings in shared ticks (``LeanEngine.due``): the library sleeps a task per
  client until its next ping, at a random phase, so at a thousand clients
  and a 10 s interval the loop woke a hundred times a second for pings and
  as often for their pongs, and its service task, walking one socket every
  ``ping_timeout / len(sockets)`` seconds, a hundred more, each with a task of
  ``asyncio.wait_for``. Time is cut into slots of ``PING_SLOT`` (0.5 s); what
  is due within a slot (a ping ``ping_interval`` after the last pong, the
  deadline of an unanswered ping ``ping_timeout`` after it) is done at the
  slot's end by one loop callback, so a ping is never early and at most one
  slot late, and the clients' pongs come back together too. The service
  task walks all sockets once per ``ping_timeout`` (dropping closed ones).
  At 1000 idle clients the worker's CPU went from 45-82 to 4-9 ms a second
  (a bare ``FanoutServer``, ping_interval = ping_timeout = 10, 1000 Node
  socket.io clients, four runs before, eight after).
- The handshake with the first packet (``LeanWebSocket``, ``HeldResponse``,
  made by ``LeanEngine`` for the aiohttp driver): aiohttp writes a websocket's
  101 headers as soon as it is prepared, and the OPEN packet followed in a
  write of its own. A loopback write costs about 70 us here, mostly waking
  the reader on the other core; writes are a third of a bare connection's CPU.
  The headers now wait in the response's writer (as aiohttp holds a plain
  response's headers for its body) and go out with the OPEN frame in one
  write (``send_first``); before anything else is sent or read when the
  library's handler runs (an upgrade from long-polling waits for the
  client's probe, which follows the 101).
  Not done: writing a socket's packets once per loop iteration instead of
  at each put (the socket.io CONNECT ack with what follows it). In the
  worker the snapshot follows the ack after Redis round trips, never in the
  same iteration, so it would add a callback per packet and save no write.

Behaviour is engine.io's: packets in order, a client that stops answering
pings is cut off, the socket closes with reason ``TRANSPORT_CLOSE`` when its
websocket ends, and an unknown or failing packet is logged and skipped as the
library does.
"""

from __future__ import annotations

import asyncio
import math
import struct
import time
from collections.abc import Callable
from typing import Any

import engineio
from aiohttp import web
from engineio import async_socket
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers import aiohttp as eio_aiohttp

#: Unsent bytes above which a client's packets go through its writer (flow control).
BACKLOG_LIMIT = 64 * 1024
#: The longest a ping or a pong deadline waits for the shared tick it falls in (seconds);
#: a quarter of ``ping_interval`` or ``ping_timeout`` when either is shorter than 2 s.
PING_SLOT = 0.5
#: What the connection's ``environ`` keeps once its websocket is open (``signalling.guard``
#: reads the address; python-socketio hands the dict to namespace connect handlers).
ENVIRON_KEPT = ("REMOTE_ADDR", "aiohttp.request")


def ws_frame(payload: bytes | str) -> bytes:
    """One final, unmasked server frame (RFC 6455 section 5.2) carrying ``payload``:
    binary for bytes, text for a string (engine.io's own choice per packet)."""
    data, opcode = (payload, 0x2) if isinstance(payload, bytes) else (payload.encode(), 0x1)
    size = len(data)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return header + data


class LeanQueue:
    """An unbounded FIFO with ``asyncio.Queue``'s methods that engine.io calls."""

    __slots__ = ("_items", "_getters", "_unfinished", "_joiners", "on_put")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._getters: list[asyncio.Future[None]] | None = None
        self._joiners: list[asyncio.Future[None]] | None = None
        self._unfinished = 0
        #: Called after each put (the socket's websocket writer), or None.
        self.on_put: Callable[[], None] | None = None

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return False

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        self._unfinished += 1
        self._wake_getter()
        if self.on_put is not None:
            self.on_put()

    def _wake_getter(self) -> None:
        getters = self._getters
        while getters:
            waiter = getters.pop(0)
            if not waiter.done():
                waiter.set_result(None)
                return

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    async def get(self) -> Any:
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(waiter)
            try:
                await waiter
            except BaseException:
                waiter.cancel()
                if waiter in self._getters:
                    self._getters.remove(waiter)
                elif self._items:
                    self._wake_getter()  # woken and cancelled at once: pass it on
                raise
        return self._items.pop(0)

    def take_all(self) -> list[Any]:
        """Every queued item, each marked done (``get_nowait`` + ``task_done`` for all)."""
        items, self._items = self._items, []
        for _ in items:
            self.task_done()
        return items

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0 and self._joiners:
            joiners, self._joiners = self._joiners, None
            for joiner in joiners:
                if not joiner.done():
                    joiner.set_result(None)

    async def join(self) -> None:
        if self._unfinished:
            joiner = asyncio.get_running_loop().create_future()
            if self._joiners is None:
                self._joiners = []
            self._joiners.append(joiner)
            await joiner


class HeldResponse(web.WebSocketResponse):
    """A websocket response whose handshake (the 101 headers) waits in its writer until
    the first frames, as aiohttp holds a plain ``Response``'s headers for its body."""

    _send_headers_immediately = False


class LeanWebSocket(eio_aiohttp.WebSocket):  # type: ignore[misc]
    """engine.io's aiohttp websocket whose handshake goes out with the first frames
    (``send_first``) in one write, or before anything else is sent or read."""

    #: The response's writer while the headers wait in it.
    head: Any = None

    async def __call__(self, environ: dict[str, Any]) -> web.WebSocketResponse:
        request = environ["aiohttp.request"]
        # Without permessage-deflate, as ``signalling.transport`` answers on the library's path.
        self._sock = HeldResponse(max_msg_size=self.server.max_http_buffer_size, compress=False)
        self.head = await self._sock.prepare(request)
        self.environ = environ
        try:
            await self.handler(self)
        finally:
            self._send_head()
        return self._sock

    def _send_head(self) -> None:
        head, self.head = self.head, None
        if head is not None:
            try:
                head.send_headers()
            except ConnectionError:  # the client left already; nothing to tell it
                pass

    async def send_first(self, frames: bytes) -> None:
        """Write ``frames`` (ready websocket frames) with the waiting headers, in one go."""
        head, self.head = self.head, None
        if head is None:
            raise RuntimeError("the handshake went out already")
        await head.write(frames)

    async def send(self, message: bytes | str) -> None:
        self._send_head()
        await super().send(message)

    async def wait(self) -> bytes | str:
        self._send_head()
        data: bytes | str = await super().wait()
        return data

    async def close(self) -> None:
        self._send_head()
        await super().close()


class LeanEngine(engineio.AsyncServer):  # type: ignore[misc]
    """The engine.io server whose sockets queue packets on a ``LeanQueue`` and are pinged,
    and their pongs checked, in shared ticks (``due``)."""

    ping_interval: float
    ping_timeout: float
    service_task_event: asyncio.Event | None
    _async: dict[str, Any]  # the async driver's names (set by the library)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The width of one tick: what is due within it is done at its end, in one callback.
        self.ping_slot = min(PING_SLOT, self.ping_interval / 4, self.ping_timeout / 4)
        #: Tick number -> the sockets due then (an entry is stale once its socket moved on).
        self._due: dict[int, list[QuickSocket]] = {}
        if self.async_mode == "aiohttp":  # the driver's dict is shared: a copy of our own
            self._async = {**self._async, "websocket": LeanWebSocket}

    def create_queue(self, *args: Any, **kwargs: Any) -> LeanQueue:
        return LeanQueue()

    def due(self, socket: QuickSocket, delay: float) -> None:
        """Have ``socket`` handle its next ping step (``QuickSocket.on_tick``) at the end
        of the tick in which ``delay`` seconds from now fall: never early, at most one
        ``ping_slot`` late. One loop timer per tick, however many sockets it holds."""
        loop = asyncio.get_running_loop()
        tick = math.ceil((loop.time() + delay) / self.ping_slot)
        socket.tick = tick
        sockets = self._due.get(tick)
        if sockets is None:
            self._due[tick] = [socket]
            loop.call_at(tick * self.ping_slot, self._on_tick, tick)
        else:
            sockets.append(socket)

    def _on_tick(self, tick: int) -> None:
        for socket in self._due.pop(tick, ()):
            if socket.tick == tick:
                socket.tick = None
                socket.on_tick()

    async def _service_task(self) -> None:
        """The library's service task without a wake-up per socket: it walked all sockets
        once per ``ping_timeout``, one every ``ping_timeout / len(sockets)`` seconds (at a
        thousand sockets a hundred wake-ups a second, each with a task of
        ``asyncio.wait_for``). Here one walk per ``ping_timeout`` drops closed sockets and
        checks the pongs of any socket the shared ticks do not (not a ``QuickSocket``)."""
        event = self.service_task_event = asyncio.Event()
        while True:
            try:
                async with asyncio.timeout(self.ping_timeout):
                    await event.wait()
                return
            except TimeoutError:
                pass
            for socket in list(self.sockets.values()):
                try:
                    if socket.closed:
                        self.sockets.pop(socket.sid, None)
                    elif not socket.closing and not isinstance(socket, QuickSocket):
                        await socket.check_ping_timeout()
                except Exception:  # as the library's: log it and go on
                    self.logger.exception("service task exception")


class QuickSocket(async_socket.AsyncSocket):  # type: ignore[misc]
    last_ping: float | None  # set by the library (annotated for mypy)
    connected: bool
    upgraded: bool
    #: The client's connection while its websocket is open (None before and after).
    wire: asyncio.WriteTransport | None = None
    #: The ``WebSocketResponse`` of ``wire``: closed once either side began closing.
    response: Any = None
    #: Whether nothing of this socket's is in flight (no writer, no poll sending).
    waiting = False
    #: The engine.io websocket wrapper while packets are written straight to it.
    _ws: Any = None
    #: The task writing queued packets with flow control, while one runs.
    _writer: asyncio.Task[None] | None = None
    server: LeanEngine
    #: The shared tick (``LeanEngine.due``) of this socket's next ping or pong deadline.
    tick: int | None = None
    #: The task closing a client whose pong is late, while it runs.
    _closer: asyncio.Task[None] | None = None

    async def poll(self) -> list[Any]:
        """``AsyncSocket.poll`` without a task per wait (``asyncio.wait_for`` makes one)."""
        try:
            async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
                self.waiting = True
                try:
                    first = await self.queue.get()
                finally:
                    self.waiting = False
            self.queue.task_done()
        except (TimeoutError, asyncio.CancelledError):
            raise eio_exceptions.QueueEmpty() from None
        if first is None:
            return []
        packets = [first]
        while not self.queue.empty():
            pkt = self.queue.get_nowait()
            self.queue.task_done()
            if pkt is None:
                self.queue.put_nowait(None)
                break
            packets.append(pkt)
        return packets

    def schedule_ping(self) -> None:
        # As AsyncSocket: only once the previous ping was answered.
        if self.last_ping:
            self.last_ping = None
            self.server.due(self, self.server.ping_interval)

    def on_tick(self) -> None:
        """This socket's tick came: ping it, or cut it off when that ping went unanswered."""
        if self.closing or self.closed:
            return
        if self.last_ping is None:
            self.last_ping = time.time()
            self.queue.put_nowait(eio_packet.Packet(eio_packet.PING))
            self.server.due(self, self.server.ping_timeout)
        elif self._closer is None:
            self._closer = asyncio.get_running_loop().create_task(self._cut_off())

    async def _cut_off(self) -> None:
        """Close a client that stopped answering pings, as the library's service task
        would, and end its connection (a peer that vanished never closes it)."""
        try:
            await self.close(wait=False, abort=False, reason=self.server.reason.PING_TIMEOUT)
        finally:
            self._closer = None
            if self.wire is not None:
                self.wire.close()  # after what is written, the CLOSE packet included

    def write_now(self, frame: bytes) -> bool:
        """Write ``frame`` to the client now if nothing of its own is queued or in
        flight and it keeps up; False (nothing written) otherwise."""
        wire = self.wire
        if wire is None or not self.waiting or not self.upgraded or self.upgrading \
                or not self.queue.empty() or self.response.closed or wire.is_closing() \
                or wire.get_write_buffer_size() > BACKLOG_LIMIT:
            return False
        wire.write(frame)
        return True

    async def _websocket_handler(self, ws: Any) -> None:
        # engine.io's aiohttp driver sets ``environ`` and its ``WebSocketResponse``
        # (``_sock``) before it calls the handler.
        environ: dict[str, Any] = getattr(ws, "environ", None) or {}
        request = environ.get("aiohttp.request")
        response = getattr(ws, "_sock", None)
        if self.connected or request is None or response is None \
                or not isinstance(self.queue, LeanQueue):
            await self._library_handler(ws, request, response)
            return
        kept = {k: environ[k] for k in ENVIRON_KEPT if k in environ}
        environ.clear()  # the dict stays referenced by the library's frames: emptied
        environ.update(kept)
        self.connected = self.upgraded = True
        self.wire, self.response, self._ws = request.transport, response, ws
        self.waiting = True
        queue: LeanQueue = self.queue
        try:
            if isinstance(ws, LeanWebSocket):  # the handshake and the OPEN packet in one write
                try:
                    await ws.send_first(b"".join(ws_frame(p.encode())
                                                 for p in queue.take_all() if p is not None))
                except ConnectionError:
                    pass  # the client left during the handshake: the read ends at once
            queue.on_put = self._flush
            self._flush()  # what is queued still (the OPEN packet, unless sent above)
            await self._read(ws)
        finally:
            queue.on_put = None
            self._ws = self.wire = self.response = None
            self.waiting = False
            self.tick = None
        writer = self._writer
        if writer is not None:
            await asyncio.wait({writer})
        await ws.close()
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    async def _library_handler(self, ws: Any, request: Any, response: Any) -> None:
        """The library's handler (an upgrade from long-polling), writing straight to the
        client only while its writer waits (``poll``)."""
        self.response = response
        self.wire = getattr(request, "transport", None) if response is not None else None
        try:
            await super()._websocket_handler(ws)
        finally:
            self.wire = self.response = None

    async def _read(self, ws: Any) -> None:
        """Hand each packet the client sends to engine.io until its websocket ends.

        Waits in the response's ``receive`` itself, not through the driver's ``wait``
        (two more coroutine frames kept alive per client), with the same ending: any
        message but text or bytes, or any error, ends the read."""
        limit = self.server.max_http_buffer_size
        receive = ws._sock.receive
        while True:
            try:
                data = (await receive()).data
            except (Exception, asyncio.CancelledError):  # as the library: any end ends it
                return
            if not isinstance(data, (bytes, str)):
                return
            if len(data) > limit:
                return  # the library's "packet is too large"
            try:
                await self.receive(eio_packet.Packet(encoded_packet=data))
            except eio_exceptions.UnknownPacketError:
                pass
            except eio_exceptions.SocketIsClosedError:
                self.server.logger.info("Receive error -- socket is closed")
                return
            except Exception:
                self.server.logger.exception("Unknown receive error")

    def _flush(self) -> None:
        """Send what is queued: at once when the client keeps up, else by a writer task."""
        if self._writer is not None or self._ws is None or self.queue.empty():
            return
        wire = self.wire
        if wire is not None and not self.response.closed and not wire.is_closing() \
                and wire.get_write_buffer_size() <= BACKLOG_LIMIT:
            packets = self.queue.take_all()
            wire.write(b"".join(ws_frame(p.encode()) for p in packets if p is not None))
            return
        self.waiting = False
        self._writer = asyncio.get_running_loop().create_task(self._write_queued(self._ws))

    async def _write_queued(self, ws: Any) -> None:
        try:
            while packets := self.queue.take_all():
                for pkt in packets:
                    if pkt is not None:
                        await ws.send(pkt.encode())
        except Exception:  # as the library's writer: a failed send closes the websocket
            await ws.close()
        finally:
            self._writer = None
            self.waiting = self._ws is not None


__all__ = ["BACKLOG_LIMIT", "LeanEngine", "LeanQueue", "QuickSocket", "ws_frame"]
