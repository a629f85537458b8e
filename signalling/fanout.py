"""Socket.IO fan-out at the cost of one encode per audience.

Small subclasses of python-socketio 5 / python-engineio 4 (no fork), each
replacing one step of their send path that costs a task or an allocation per
recipient:

- ``FanoutRedisManager`` (an ``AsyncRedisManager``): a broadcast is encoded
  once, by the worker that sends it, and the one engine.io packet is put
  straight on each recipient's send queue; a worker that hears it with none
  of the room's sockets (the facilitators' view where no facilitator is
  connected) builds nothing. The library makes a
  task per recipient (``AsyncManager.emit``), and each task then walks
  ``AsyncServer.send_packet`` and ``AsyncSocket.send``; at a thousand
  recipients that is most of a broadcast. The ping-timeout
  check ``AsyncSocket.send`` also makes is left to engine.io's own service
  task, which runs it for every socket anyway. Emits with an ack callback
  go the library's way. ``emit_each`` sends many personal messages (one
  assignment per person) with one Redis round trip for all of them instead
  of one per message; other workers handle each as an ordinary ``emit``.
- ``FanoutServer`` (an ``AsyncServer``) makes each engine.io socket a
  ``signalling.eiosocket.QuickSocket`` (lean in memory; see there).
- ``FanoutRedisManager`` keeps every room but the one of all connected
  sockets as a plain dict (``_Room``) instead of a bidict (two dicts and an
  object): each client has two rooms of its own, its sid's and its
  person's, so that is ~0.6 KB less per connection (1.31 -> 0.73 KB of
  manager data for a client in a shared room and two of its own). The
  manager reads a room's inverse only for the room of all sockets.
- A broadcast reaches a websocket client as one ready frame written straight
  to its transport (``QuickSocket.write_now``), built once for the whole
  audience (server frames are unmasked, so every recipient's bytes are the
  same; Node's engine.io does the same with ``wsPreEncodedFrame``). This is
  done only while nothing of the socket's is queued or in flight, so nothing
  is overtaken, and only while the client keeps up (less than
  ``BACKLOG_LIMIT`` unsent); otherwise the packet is queued as before and a
  writer applies aiohttp's flow control. Without it, each recipient cost a
  queue hand-over, a wake-up of its writer task and the frame built again by
  aiohttp, about half of a broadcast's CPU.
- ``batched()``: the broadcasts one command makes (a cue, then the new
  state, the facilitators' view) reach each local client in one write at the
  end instead of one write each; a write to a socket is most of what a
  broadcast costs.
- Workers' messages on Redis are msgpack, not the library's JSON, and an
  emit without an ack callback carries its Socket.IO packet as encoded for
  this worker's clients: the workers that hear it write those bytes to their
  clients without decoding or encoding the payload (a facilitators' view of
  a thousand people is a large tree). Bytes travel inline, not as base64
  attachments. A message in the library's JSON (an older worker's) is still
  read, though an older worker cannot read these; a write-only publisher
  (no server, so no packet encoder) sends the data, and each worker encodes
  it.
- An emit to one socket of this worker (a snapshot, an ack's reply) is not
  published to the other workers, who have no such socket; every published
  message starts with its ``host_id`` and ``method``, so that the worker that
  sent it skips its own copy without decoding it (the library decodes
  every message, its own too, then ignores it). A ``callback`` message names
  the worker it is for, not the sender, and is always decoded.

Read against python-socketio 5.18 (``async_manager.py``,
``async_pubsub_manager.py``) and python-engineio 4.15 (``async_socket.py``,
``async_server.py``); the test suite runs through these paths.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import msgpack
import socketio
from engineio import async_socket
from engineio import packet as eio_packet
from socketio import packet as sio_packet

from signalling.eiosocket import LeanEngine, QuickSocket, ws_frame


class _Batch:
    """Broadcasts held back for one write per socket (``batched``)."""

    def __init__(self) -> None:
        self.open = True
        self.held: list[tuple[list[Any], bytes, list[Any]]] = []  # sockets, frames, packets

    def flush(self) -> None:
        self.open = False
        frames: dict[Any, list[bytes]] = {}
        packets: dict[Any, list[Any]] = {}
        for sockets, frame, pkts in self.held:
            for socket in sockets:
                frames.setdefault(socket, []).append(frame)
                packets.setdefault(socket, []).extend(pkts)
        self.held.clear()
        for socket, parts in frames.items():
            if socket.closed or socket.closing:
                continue
            if not (isinstance(socket, QuickSocket) and socket.write_now(b"".join(parts))):
                for pkt in packets[socket]:
                    socket.queue.put_nowait(pkt)


_BATCH: ContextVar[_Batch | None] = ContextVar("fanout_batch", default=None)


@contextmanager
def batched() -> Iterator[None]:
    """Hold this task's broadcasts to local clients, then write each client's in one go.

    Tasks started meanwhile see a closed batch once it is flushed and send as usual.
    """
    outer = _BATCH.get()
    if outer is not None and outer.open:
        yield  # the outer batch flushes
        return
    batch = _Batch()
    token = _BATCH.set(batch)
    try:
        yield
    finally:
        _BATCH.reset(token)
        batch.flush()


class FanoutServer(socketio.AsyncServer):  # type: ignore[misc]
    def _engineio_server_class(self) -> type[LeanEngine]:
        return LeanEngine

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        socket = self.eio.sockets.get(eio_sid)
        if type(socket) is async_socket.AsyncSocket:
            socket.__class__ = QuickSocket  # same layout, a few methods differ
        return await super()._handle_eio_connect(eio_sid, environ)


class _Room(dict[str, str]):
    """A room of python-socketio's manager (sid -> engine.io sid) as a plain dict."""

    __slots__ = ()

    @property
    def _fwdm(self) -> dict[str, str]:  # what the manager reads of a room's bidict
        return self


class FanoutRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    connected: bool
    redis: Any
    rooms: dict[str, dict[Any, Any]]

    def basic_enter_room(self, sid: str, namespace: str, room: Any,
                         eio_sid: str | None = None) -> None:
        """The library's, with every room but the one of all connected sockets (``None``,
        whose inverse the manager reads) a ``_Room``: a bidict keeps two dicts, and each
        client has two rooms of its own (its sid's and its person's)."""
        rooms = self.rooms.get(namespace)
        if room is not None and rooms is not None and room not in rooms \
                and not (sid != room and self.is_sid_room(namespace, room)):
            rooms[room] = _Room()
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)

    def _recipients(self, namespace: str, room: Any, skip_sid: Any) -> list[Any]:
        """This worker's open sockets in ``room``, but ``skip_sid``'s."""
        if self.server is None or namespace not in self.rooms:
            return []
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        sockets = self.server.eio.sockets
        return [socket for sid, eio_sid in self.get_participants(namespace, room)
                if sid not in skip and (socket := sockets.get(eio_sid)) is not None
                and not socket.closed and not socket.closing]

    def _encode(self, event: str, data: Any, namespace: str) -> list[bytes | str]:
        """The Socket.IO packet(s) of an event, as this server's clients read them."""
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(sio_packet.EVENT, namespace=namespace,
                                           data=[event, *args]).encode()
        return encoded if isinstance(encoded, list) else [encoded]

    def _deliver(self, recipients: list[Any], encoded: list[bytes | str]) -> None:
        """Put the one engine.io packet of ``encoded`` on every recipient's send queue."""
        packets = [eio_packet.Packet(eio_packet.MESSAGE, p) for p in encoded]
        frames = b"".join(ws_frame(p.encode()) for p in packets)
        batch = _BATCH.get()
        if batch is not None and batch.open:
            batch.held.append((recipients, frames, packets))
            return
        for socket in recipients:
            if isinstance(socket, QuickSocket) and socket.write_now(frames):
                continue
            for pkt in packets:
                socket.queue.put_nowait(pkt)

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("callback") is not None:
            await super()._handle_emit(message)
            return
        namespace = message.get("namespace") or "/"
        recipients = self._recipients(namespace, message.get("room"), message.get("skip_sid"))
        if not recipients:  # e.g. the facilitators' view on a worker without facilitators
            return
        encoded = message.get("packets")
        if encoded is None:  # a write-only publisher's, or in the library's shape
            data = message["data"]
            if message.get("binary"):
                attachments = [base64.b64decode(a) for a in data[1:]]
                data = sio_packet.Packet.reconstruct_binary(data[0], attachments)
            if isinstance(data, list):
                data = data[0] if len(data) == 1 else tuple(data)
            encoded = self._encode(message["event"], data, namespace)
        self._deliver(recipients, encoded)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, json=WIRE, **kwargs)
        self._own = b"".join(msgpack.packb(k) for k in ("host_id", self.host_id, "method"))
        self._callback = self._own + msgpack.packb("callback")

    def set_server(self, server: Any) -> None:
        super().set_server(server)
        self.json = WIRE  # the library's set_server puts the packets' JSON module here

    async def emit(self, event: str, data: Any, namespace: str | None = None,
                   room: Any = None, skip_sid: Any = None, callback: Any = None,
                   to: Any = None, **kwargs: Any) -> None:
        room = to or room
        if callback is not None or kwargs.get("ignore_queue"):
            await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid,
                               callback=callback, **kwargs)
            return
        message = self._message(event, data, namespace or "/", room, skip_sid)
        await self._handle_emit(message)
        if self.server is not None and isinstance(room, str) \
                and self.is_connected(room, message["namespace"]):
            return  # one socket, of this worker: delivered already
        await self._send(WIRE.dumps(message))

    async def _publish(self, data: dict[str, Any]) -> None:
        await self._send(WIRE.dumps(_own_first(data)))

    async def _send(self, encoded: bytes) -> None:
        """``AsyncRedisManager._publish`` for a message encoded already (two attempts)."""
        for attempts_left in (1, 0):
            try:
                if not self.connected:
                    self._redis_connect()
                await self.redis.publish(self.channel, encoded)
                return
            except Exception as error:  # noqa: BLE001 - the library's own policy
                self.connected = False
                self._get_logger().error(
                    "Cannot publish to redis... " + ("retrying" if attempts_left else "giving up"),
                    extra={"redis_exception": str(error)})

    async def _listen(self) -> Any:
        own, callback = self._own, self._callback
        async for message in super()._listen():
            if isinstance(message, bytes) and message[:1] in _SMALL_MAP \
                    and message.startswith(own, 1) and not message.startswith(callback, 1):
                continue
            yield message

    def _message(self, event: str, data: Any, namespace: str, room: Any,
                 skip_sid: Any = None) -> dict[str, Any]:
        """An emit as published: ``host_id`` and ``method`` first, then the encoded
        packet(s) (a write-only publisher, without a server, sends the data instead)."""
        message: dict[str, Any] = {"host_id": self.host_id, "method": "emit", "event": event,
                                   "namespace": namespace, "room": room, "skip_sid": skip_sid,
                                   "callback": None}
        if self.server is None:
            message.update(data=list(data) if isinstance(data, tuple) else [data], binary=False)
        else:
            message["packets"] = self._encode(event, data, namespace)
        return message

    async def emit_each(self, event: str, items: Sequence[tuple[str, Any]], *,
                        namespace: str) -> None:
        """Emit ``event`` with each ``(room, data)``: delivered here, then one publish round."""
        messages = [self._message(event, data, namespace, room) for room, data in items]
        if not messages:
            return
        for m in messages:
            await self._handle_emit(m)
        await self._publish_all(messages)

    async def _publish_all(self, messages: Iterable[dict[str, Any]]) -> None:
        if not self.connected:
            self._redis_connect()
        async with self.redis.pipeline(transaction=False) as pipe:
            for m in messages:
                pipe.publish(self.channel, WIRE.dumps(m))
            await pipe.execute()


class _Wire:
    """How workers' messages travel on Redis: msgpack, bytes inline (the library's
    JSON, which base64-encodes bytes, is still read)."""

    @staticmethod
    def dumps(message: Any) -> bytes:
        encoded: bytes = msgpack.packb(message, use_bin_type=True)
        return encoded

    @staticmethod
    def loads(raw: bytes | str) -> Any:
        if isinstance(raw, str) or raw[:1] == b"{":
            return json.loads(raw)
        return msgpack.unpackb(raw, strict_map_key=False)


WIRE = _Wire()
#: The first byte of a msgpack map of up to 15 keys (every message published here).
_SMALL_MAP = frozenset(bytes([b]) for b in range(0x80, 0x90))


def _own_first(message: dict[str, Any]) -> dict[str, Any]:
    """``message`` with ``host_id`` and ``method`` first (msgpack keeps the order: a
    worker knows its own messages by their first bytes)."""
    return {"host_id": message.get("host_id"), "method": message.get("method"), **message}


__all__ = ["FanoutRedisManager", "FanoutServer", "batched"]
