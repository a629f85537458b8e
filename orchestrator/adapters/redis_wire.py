"""Commands on a join's path to Redis, sent in one round trip with little work.

A person joining costs two round trips to Redis (``RedisStore.admission`` and
the snapshot's ``CompareAndSet``). Through redis-py's asyncio client each cost
~200 µs of the worker's CPU on this machine (its connection pool's condition
and timeout, the check that a connection handed out has nothing left to read,
retries, observability hooks, a reply parsed through callbacks per command
name), 60 µs of it the system calls; at a hundred arrivals a second, with
other processes evicting the worker's caches between arrivals, they were
most of a join's time in ``admission`` (0.8 ms) and a third of the write.

``Wire`` is what those two calls need: a batch of commands out, their replies
back. ``PipelineWire`` sends them through a redis-py pipeline (any client, any
URL); ``MuxWire`` is one connection of its own that many callers share at once
(their batches written as they come, the replies matched to them in order,
as Redis answers a connection's commands in order). Its replies are RESP2's
own: ``int``, ``bytes``, ``None``, lists of them; an error reply raises
redis-py's ``ResponseError`` (``NoScriptError`` for ``NOSCRIPT``), a lost or
refused connection its ``ConnectionError`` (``AuthenticationError`` for a
wrong password) and a reply later than ``timeout`` its ``TimeoutError``, so
callers tell a service that is away the same way as before. The next batch
after a lost connection connects again; a batch in flight when it was lost is
not sent again (it may have been applied: the caller decides).
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Sequence
from typing import Any, Protocol, cast

import redis.asyncio as aioredis
from redis.asyncio.connection import parse_url
from redis.exceptions import (
    AuthenticationError,
    NoScriptError,
    ResponseError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

Command = Sequence[Any]


class Wire(Protocol):
    async def execute(self, *commands: Command) -> list[Any]:
        """The replies of ``commands``, sent together, in their order."""


class PipelineWire:
    """Commands through a redis-py pipeline of ``client`` (no transaction)."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client

    async def execute(self, *commands: Command) -> list[Any]:
        async with self.client.pipeline(transaction=False) as pipe:
            for command in commands:
                pipe.execute_command(*command)
            return await pipe.execute()


def encode(commands: Sequence[Command]) -> bytes:
    """``commands`` in Redis's wire protocol; ``str`` as UTF-8, numbers as text."""
    out: list[bytes] = []
    for command in commands:
        out.append(b"*%d\r\n" % len(command))
        for arg in command:
            kind = type(arg)
            if kind is str:
                arg = arg.encode()
            elif kind is int or kind is float:
                arg = repr(arg).encode()
            elif kind is not bytes and not isinstance(arg, bytes | bytearray | memoryview):
                raise TypeError(f"a Redis argument is bytes, str or a number, not {kind}")
            out.append(b"$%d\r\n%b\r\n" % (len(arg), arg))
    return b"".join(out)


class _More(Exception):
    """The buffer ends inside a reply."""


def _error(message: bytes) -> ResponseError:
    text = message.decode(errors="replace")
    return NoScriptError(text) if text.startswith("NOSCRIPT") else ResponseError(text)


def parse(buf: bytes | bytearray, pos: int) -> tuple[Any, int]:
    """One RESP2 reply of ``buf`` from ``pos``, and where the next begins; ``_More``
    when it is not all there yet. An error reply is returned as a ``ResponseError``."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise _More
    kind, line, pos = buf[pos], bytes(buf[pos + 1:end]), end + 2
    if kind == 36:  # $ bulk string
        n = int(line)
        if n < 0:
            return None, pos
        if len(buf) < pos + n + 2:
            raise _More
        return bytes(buf[pos:pos + n]), pos + n + 2
    if kind == 58:  # : integer
        return int(line), pos
    if kind == 42:  # * array
        n = int(line)
        if n < 0:
            return None, pos
        items = []
        for _ in range(n):
            item, pos = parse(buf, pos)
            items.append(item)
        return items, pos
    if kind == 43:  # + simple string
        return line, pos
    if kind == 45:  # - error
        return _error(line), pos
    raise RedisConnectionError(f"Redis sent a reply of an unknown kind {chr(kind)!r}")


class _Batch:
    __slots__ = ("future", "count", "replies", "sent_at")

    def __init__(self, future: asyncio.Future[list[Any]], count: int, sent_at: float) -> None:
        self.future = future
        self.count = count
        self.replies: list[Any] = []
        self.sent_at = sent_at


class _Connection(asyncio.Protocol):
    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self.transport: asyncio.Transport | None = None
        self.waiting: collections.deque[_Batch] = collections.deque()
        self.buf = bytearray()
        self.lost: Exception | None = None
        self.watchdog: asyncio.TimerHandle | None = None
        self.loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def send(self, payload: bytes, count: int) -> asyncio.Future[list[Any]]:
        if self.lost is not None or self.transport is None or self.transport.is_closing():
            raise RedisConnectionError("the connection to Redis is closed")
        batch = _Batch(self.loop.create_future(), count, self.loop.time())
        self.waiting.append(batch)
        self.transport.write(payload)
        if self.timeout is not None and self.watchdog is None:
            self.watchdog = self.loop.call_at(batch.sent_at + self.timeout, self._overdue)
        return batch.future

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        pos = 0
        try:
            while self.waiting:
                reply, pos = parse(buf, pos)
                batch = self.waiting[0]
                batch.replies.append(reply)
                if len(batch.replies) == batch.count:
                    self.waiting.popleft()
                    if not batch.future.done():  # its caller may have given up
                        batch.future.set_result(batch.replies)
        except _More:
            pass
        except Exception as error:  # noqa: BLE001 - the stream is lost, say so to all waiting
            self._fail(RedisConnectionError(f"unreadable reply from Redis: {error}"))
            return
        del buf[:pos]

    def _overdue(self) -> None:
        self.watchdog = None
        if not self.waiting or self.timeout is None:
            return
        due = self.waiting[0].sent_at + self.timeout
        if self.loop.time() >= due:
            self._fail(RedisTimeoutError("Redis did not answer in time"))
        else:
            self.watchdog = self.loop.call_at(due, self._overdue)

    def _fail(self, error: Exception) -> None:
        if self.lost is None:
            self.lost = error
        if self.transport is not None:
            self.transport.abort()
        self.connection_lost(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.lost is None:
            self.lost = RedisConnectionError(
                f"Redis closed the connection{f': {exc}' if exc else ''}")
        if self.watchdog is not None:
            self.watchdog.cancel()
            self.watchdog = None
        while self.waiting:
            batch = self.waiting.popleft()
            if not batch.future.done():
                batch.future.set_exception(self.lost)


class MuxWire:
    """One connection to a redis-server over TCP that every caller shares at once.

    ``host``/``port`` as the client's; ``username``/``password`` for ``AUTH``,
    ``db`` for ``SELECT``; ``timeout``: seconds a reply may take (None: no limit,
    as a redis-py client without ``socket_timeout``), ``connect_timeout`` the
    same for connecting.
    """

    def __init__(self, host: str, port: int, *, username: str | None = None,
                 password: str | None = None, db: int = 0, timeout: float | None = None,
                 connect_timeout: float | None = 10.0) -> None:
        self.host, self.port = host, port
        self.username, self.password, self.db = username, password, db
        self.timeout, self.connect_timeout = timeout, connect_timeout
        self._connection: _Connection | None = None
        self._connecting: asyncio.Task[_Connection] | None = None
        self._closed = False

    @classmethod
    def from_url(cls, url: str, *, timeout: float | None = None) -> MuxWire | None:
        """A wire to the server of a ``redis://`` URL, read as the client's pool reads it
        (redis-py's ``parse_url``); None for any other kind (TLS, a Unix socket), which
        ``PipelineWire`` serves."""
        options = parse_url(url)
        if "connection_class" in options or "host" not in options:
            return None
        return cls(options["host"], int(options.get("port", 6379)),
                   username=options.get("username"), password=options.get("password"),
                   db=int(options.get("db", 0)), timeout=timeout)

    async def execute(self, *commands: Command) -> list[Any]:
        if not commands:
            return []
        connection = self._connection
        if connection is None or connection.lost is not None:
            connection = await self._connect()
        replies = await connection.send(encode(commands), len(commands))
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise reply
        return replies

    async def _connect(self) -> _Connection:
        if self._closed:
            raise RedisConnectionError("this connection to Redis was closed")
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._open())
        connecting = self._connecting
        try:
            # Shielded: one caller giving up does not stop the others' connect.
            return await asyncio.shield(connecting)
        finally:
            if connecting.done() and self._connecting is connecting:
                self._connecting = None

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, connection = await loop.create_connection(
                    lambda: _Connection(self.timeout), self.host, self.port)
                hello: list[Command] = []
                if self.password is not None:
                    hello.append(("AUTH", self.password) if self.username is None
                                 else ("AUTH", self.username, self.password))
                if self.db:
                    hello.append(("SELECT", self.db))
                if hello:
                    replies = await connection.send(encode(hello), len(hello))
                    refused = next((r for r in replies if isinstance(r, ResponseError)), None)
                    if refused is not None:
                        connection._fail(AuthenticationError(str(refused)))
                        raise connection.lost  # type: ignore[misc]
        except TimeoutError:
            raise RedisTimeoutError(f"no connection to Redis at {self.host}:{self.port} "
                                    f"within {self.connect_timeout} s") from None
        except OSError as error:
            raise RedisConnectionError(f"no connection to Redis at {self.host}:{self.port}: "
                                       f"{error.strerror or error}") from None
        if self._closed:
            connection._fail(RedisConnectionError("this connection to Redis was closed"))
            raise connection.lost  # type: ignore[misc]
        self._connection = connection
        return connection

    async def aclose(self) -> None:
        """Close the connection; batches in flight fail with ``ConnectionError``."""
        self._closed = True
        connecting, self._connecting = self._connecting, None
        if connecting is not None:
            connecting.cancel()
            await asyncio.gather(connecting, return_exceptions=True)
        connection, self._connection = self._connection, None
        if connection is not None and connection.transport is not None:
            connection.transport.close()
            connection.connection_lost(None)


__all__ = ["Command", "MuxWire", "PipelineWire", "Wire", "encode", "parse"]
