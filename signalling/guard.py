"""The Socket.IO server's front door: frames are checked before any handler runs.

``GuardedServer`` is python-socketio's ``AsyncServer`` with its frame
dispatch replaced by one that refuses, before a handler sees anything:

- a frame that is not a Socket.IO packet of the msgpack protocol (not
  msgpack, wrong shape, a packet type a client may not send): counted,
  logged as one line (no traceback) and the connection is closed;
- an event whose name is not a short string, or is reserved (``connect``,
  ``disconnect`` and the other names the library uses itself): an ack
  ``reserved_event`` / ``bad_event``, no handler runs;
- an event from a connection that has not joined the namespace;
- an event over the rate of its connection or of its credential (token
  buckets, ``Limits``): an ack ``rate_limited`` with ``retry_after``.

It also closes an Engine.IO connection that has not joined any namespace
(connected with a valid credential) within ``Limits.auth_timeout`` seconds.

``Guard`` holds the limits' state for one worker: the buckets, the seats
(connections per credential, taken by the namespaces once a credential is
verified), the refusal counters (``refusals``, read by the metrics
endpoint) and the throttled log of clients' mistakes. Limits are per
worker process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgpack
from socketio import packet

from signalling import wire
from signalling.fanout import FanoutServer
from signalling.limits import Buckets, Refusals, Seats, Throttle

log = logging.getLogger(__name__)

#: Event names the Socket.IO library gives meaning to; a client may never send them.
RESERVED_EVENTS = frozenset({"connect", "connect_error", "disconnect", "disconnecting",
                             "newListener", "removeListener", "message", "*"})
MAX_EVENT_NAME = 64
MAX_NAMESPACE = 64
#: Packet types a client may send (msgpack carries binary inline; no attachments).
CLIENT_PACKETS = frozenset({packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK})


@dataclass(frozen=True, slots=True)
class Limits:
    auth_timeout: float = 5.0
    connections_per_credential: int = 5
    connection_rate: float = 5.0  # events a second, per connection
    connection_burst: float = 40.0
    credential_rate: float = 10.0  # events a second, per credential (all its connections)
    credential_burst: float = 80.0


class Guard:
    """Per-worker state of the limits; pure apart from the clock and the log."""

    def __init__(self, limits: Limits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self.refusals = Refusals()
        self.connection_buckets = Buckets(limits.connection_rate, limits.connection_burst)
        self.credential_buckets = Buckets(limits.credential_rate, limits.credential_burst)
        self.seats = Seats(limits.connections_per_credential)
        self._throttle = Throttle()
        self._credential_of: dict[str, str] = {}  # Socket.IO sid -> credential key
        self._swept = clock()

    # -- connections -----------------------------------------------------------

    def admit(self, sid: str, credential: str) -> bool:
        """Seat a verified connection; False when its credential has all its seats."""
        if not self.seats.take(credential, sid):
            return False
        self._credential_of[sid] = credential
        return True

    def release(self, sid: str) -> None:
        credential = self._credential_of.pop(sid, None)
        if credential is not None:
            self.seats.release(credential, sid)
        self.connection_buckets.forget(sid)

    # -- events ----------------------------------------------------------------

    def check_rate(self, sid: str) -> float:
        """0 when the event may run; otherwise seconds to wait (the refusal is counted)."""
        now = self.clock()
        if now - self._swept > 60:
            self.connection_buckets.sweep(now)
            self.credential_buckets.sweep(now)
            self._swept = now
        wait = self.connection_buckets.take(sid, now)
        credential = self._credential_of.get(sid)
        if not wait and credential is not None:
            wait = self.credential_buckets.take(credential, now)
        if wait:
            self.refusals.count("rate_limited")
        return wait

    # -- the log of clients' mistakes ------------------------------------------

    def note(self, source: str, code: str, message: str, **extra: Any) -> None:
        """Count a refusal and log it as one line, at most a few a minute per source."""
        self.refusals.count(code)
        allowed, suppressed = self._throttle.allow(source, self.clock())
        if allowed:
            if suppressed:
                extra["suppressed"] = suppressed
            log.info("refused (%s): %s", code, message,
                     extra={"code": code, "source": source, **extra})


#: How Engine.IO ends the first report of each kind of refused request (a bad
#: protocol version, transport or session id: a client's mistake, answered 400).
_ENGINE_FIRST_REPORT = " (further occurrences of this error will be logged with level INFO)"


class EngineRefusalFilter(logging.Filter):
    """Engine.IO's first report of a refused request is an ERROR; it is a refusal.

    The record becomes one INFO line with the code ``bad_handshake`` and is counted,
    so a client sending an unsupported protocol version never writes a server error.
    """

    def __init__(self, refusals: Refusals) -> None:
        super().__init__()
        self.refusals = refusals

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.levelno >= logging.ERROR and message.endswith(_ENGINE_FIRST_REPORT):
            self.refusals.count("bad_handshake")
            record.msg, record.args = "refused (bad_handshake): %s", (
                message.removesuffix(_ENGINE_FIRST_REPORT)[:200],)
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.code = "bad_handshake"
        return True


def source_of(environ: dict[str, Any] | None) -> str:
    """The remote address of a connection (aiohttp's, not the driver's placeholder)."""
    request = (environ or {}).get("aiohttp.request")
    remote = getattr(request, "remote", None)
    return str(remote or (environ or {}).get("REMOTE_ADDR") or "unknown")


class GuardedServer(FanoutServer):
    """``AsyncServer`` that refuses hostile frames before any handler (see the module)."""

    def __init__(self, *args: Any, guard: Guard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.guard = guard
        self._deadlines: dict[str, asyncio.TimerHandle] = {}
        self._closing: set[asyncio.Task[None]] = set()
        engine_log = self.eio.logger  # one logger per process: the newest server counts
        for old in [f for f in engine_log.filters if isinstance(f, EngineRefusalFilter)]:
            engine_log.removeFilter(old)
        engine_log.addFilter(EngineRefusalFilter(guard.refusals))

    def _source(self, eio_sid: str) -> str:
        return source_of(self.environ.get(eio_sid))

    # -- Engine.IO connections -------------------------------------------------

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        result = await super()._handle_eio_connect(eio_sid, environ)
        loop = asyncio.get_running_loop()
        self._deadlines[eio_sid] = loop.call_later(self.guard.limits.auth_timeout,
                                                   self._auth_timeout, eio_sid)
        return result

    def _auth_timeout(self, eio_sid: str) -> None:
        self._deadlines.pop(eio_sid, None)
        if eio_sid not in self.environ:
            return
        self.guard.note(self._source(eio_sid), "auth_timeout",
                        f"no namespace joined within {self.guard.limits.auth_timeout:g} s; "
                        "connection closed")
        self._close(eio_sid)

    def _close(self, eio_sid: str) -> None:
        task = asyncio.get_running_loop().create_task(self.eio.disconnect(eio_sid))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any = None) -> None:
        deadline = self._deadlines.pop(eio_sid, None)
        if deadline is not None:
            deadline.cancel()
        await super()._handle_eio_disconnect(eio_sid, reason)

    async def _handle_connect(self, eio_sid: str, namespace: str, data: Any) -> None:
        if self.manager.sid_from_eio_sid(eio_sid, namespace) is not None:
            self.guard.note(self._source(eio_sid), "already_connected",
                            "a second connect to the same namespace was ignored",
                            namespace=namespace)
            return
        await super()._handle_connect(eio_sid, namespace, data)
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is not None and self.manager.is_connected(sid, namespace):
            deadline = self._deadlines.pop(eio_sid, None)
            if deadline is not None:
                deadline.cancel()

    # -- frames ----------------------------------------------------------------

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        decoded = _decode(data)
        if isinstance(decoded, str):
            self.guard.note(self._source(eio_sid), "malformed_frame",
                            f"{decoded}; connection closed")
            self._close(eio_sid)
            return
        kind, namespace, ack_id, payload = decoded
        if kind == packet.CONNECT:
            await self._handle_connect(eio_sid, namespace, payload)
        elif kind == packet.DISCONNECT:
            await self._handle_disconnect(eio_sid, namespace, self.reason.CLIENT_DISCONNECT)
        elif kind == packet.EVENT:
            await self._handle_event(eio_sid, namespace, ack_id, payload)
        else:  # an ACK: the server never asks clients for one
            self.guard.refusals.count("unexpected_ack")

    async def _refuse_event(self, eio_sid: str, namespace: str, ack_id: int | None, code: str,
                            message: str, *, retry_after: float | None = None,
                            event: str = "") -> None:
        self.guard.note(self._source(eio_sid), code, message, namespace=namespace,
                        event=event)
        if ack_id is None:
            return
        refusal = wire.error(code, message)
        if retry_after is not None:
            refusal["error"]["retry_after"] = round(retry_after, 2)
        await self._send_packet(eio_sid, self.packet_class(
            packet.ACK, namespace=namespace, id=ack_id, data=[refusal]))

    async def _handle_event(self, eio_sid: str, namespace: str, ack_id: int | None,
                            data: Any) -> None:
        namespace = namespace or "/"
        if not isinstance(data, list) or not data or not isinstance(data[0], str) \
                or not 0 < len(data[0]) <= MAX_EVENT_NAME:
            await self._refuse_event(eio_sid, namespace, ack_id, "bad_event",
                                     "an event is [name, data] with a name of 1-"
                                     f"{MAX_EVENT_NAME} characters")
            return
        event = data[0]
        if event in RESERVED_EVENTS:
            await self._refuse_event(eio_sid, namespace, ack_id, "reserved_event",
                                     f"{event!r} is reserved and cannot be sent by a client",
                                     event=event)
            return
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is None or not self.manager.is_connected(sid, namespace):
            await self._refuse_event(eio_sid, namespace, ack_id, "not_connected",
                                     f"connect to {namespace} before sending events",
                                     event=event)
            return
        wait = self.guard.check_rate(sid)
        if wait:
            await self._refuse_event(eio_sid, namespace, ack_id, "rate_limited",
                                     f"too many events; try again in {wait:.1f} s",
                                     retry_after=wait, event=event)
            return
        await super()._handle_event(eio_sid, namespace, ack_id, data)

    async def shutdown(self) -> None:
        for deadline in self._deadlines.values():
            deadline.cancel()
        self._deadlines.clear()
        await super().shutdown()
        for task in list(self._closing):
            task.cancel()
        await asyncio.gather(*self._closing, return_exceptions=True)


def _decode(data: Any) -> tuple[int, str, int | None, Any] | str:
    """(type, namespace, ack id, data) of a client's frame, or what is wrong with it."""
    if not isinstance(data, bytes):
        return "a text frame on the msgpack protocol"
    try:
        decoded = msgpack.unpackb(data)
    except Exception:  # noqa: BLE001 - any undecodable frame is the client's mistake
        return "a frame that is not msgpack"
    if not isinstance(decoded, dict):
        return "a frame that is not a packet object"
    kind, namespace, ack_id = decoded.get("type"), decoded.get("nsp"), decoded.get("id")
    if not isinstance(kind, int) or isinstance(kind, bool) or kind not in CLIENT_PACKETS:
        return "a packet type a client may not send"
    if not isinstance(namespace, str) or not namespace.startswith("/") \
            or len(namespace) > MAX_NAMESPACE:
        return "a packet without a valid namespace"
    if ack_id is not None and (isinstance(ack_id, bool) or not isinstance(ack_id, int)
                               or not 0 <= ack_id < 2 ** 53):
        return "a packet with an invalid id"
    return kind, namespace, ack_id, decoded.get("data")
