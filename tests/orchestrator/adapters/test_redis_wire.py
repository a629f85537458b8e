"""The lean connection a join's reads and write take, against the real redis-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import AuthenticationError, NoScriptError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from orchestrator.adapters.redis_wire import MuxWire, PipelineWire, _More, encode, parse
from orchestrator.root.procs import Child, free_port, redis_url, start_redis
from tests.waiting import eventually

pytestmark = pytest.mark.services


@pytest.fixture
async def client(redis_server) -> AsyncIterator[aioredis.Redis]:  # type: ignore[no-untyped-def]
    client = aioredis.from_url(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def wire(redis_server) -> AsyncIterator[MuxWire]:  # type: ignore[no-untyped-def]
    wire = MuxWire.from_url(redis_server.url, timeout=10)
    assert wire is not None
    yield wire
    await wire.aclose()


async def test_many_callers_at_once_each_get_their_own_replies(
        wire: MuxWire, client: aioredis.Redis) -> None:
    await client.mset({f"k{i}": f"v{i}" for i in range(300)})

    async def read(i: int) -> list[object]:
        return await wire.execute(("GET", f"k{i}"), ("EXISTS", f"k{i}", "nothing"),
                                  ("GET", "nothing"))

    replies = await asyncio.gather(*(read(i) for i in range(300)))
    assert replies == [[f"v{i}".encode(), 1, None] for i in range(300)]


async def test_replies_as_the_client_pipeline_gives_them(
        wire: MuxWire, client: aioredis.Redis) -> None:
    await client.rpush("list", b"a", b"\r\n", b"")
    await client.set("big", b"x" * 3_000_000)  # arrives in many reads
    commands = [("LRANGE", "list", 0, -1), ("GET", "big"), ("STRLEN", "big"),
                ("EXISTS", "list", "big", "none"), ("GET", "none")]
    assert await wire.execute(*commands) == await PipelineWire(client).execute(*commands)


async def test_an_error_reply_raises_and_the_connection_serves_on(
        wire: MuxWire, client: aioredis.Redis) -> None:
    await client.set("text", "abc")
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await wire.execute(("GET", "text"), ("HGET", "text", "field"))
    with pytest.raises(NoScriptError):
        await wire.execute(("EVALSHA", "0" * 40, 0))
    assert await wire.execute(("GET", "text")) == [b"abc"]


async def test_a_caller_that_gave_up_does_not_take_the_next_callers_reply(
        wire: MuxWire, client: aioredis.Redis) -> None:
    await client.set("first", "1")
    await client.set("second", "2")
    waiting = asyncio.ensure_future(wire.execute(("BLPOP", "empty-list", 2), ("GET", "first")))
    await eventually(lambda: wire._connection is not None and len(wire._connection.waiting) == 1,
                     what="the batch sent")
    waiting.cancel()
    after = asyncio.ensure_future(wire.execute(("GET", "second")))
    await client.rpush("empty-list", "now")  # the first batch's reply comes, then this one's
    assert await after == [b"2"]
    with pytest.raises(asyncio.CancelledError):
        await waiting


async def test_a_lost_connection_fails_what_was_in_flight_and_the_next_call_reconnects(
        wire: MuxWire, client: aioredis.Redis) -> None:
    (own_id,) = await wire.execute(("CLIENT", "ID"))
    in_flight = asyncio.ensure_future(wire.execute(("BLPOP", "empty-list", 5)))
    await eventually(lambda: wire._connection is not None and len(wire._connection.waiting) == 1,
                     what="the batch sent")
    assert await client.client_kill_filter(_id=own_id) == 1
    with pytest.raises(RedisConnectionError):
        await in_flight
    (new_id,) = await wire.execute(("CLIENT", "ID"))
    assert new_id != own_id


async def test_a_reply_later_than_the_timeout_fails_and_the_next_call_reconnects(  # type: ignore[no-untyped-def]
        redis_server) -> None:
    wire = MuxWire.from_url(redis_server.url, timeout=0.3)
    assert wire is not None
    try:
        (own_id,) = await wire.execute(("CLIENT", "ID"))
        with pytest.raises(RedisTimeoutError):
            await wire.execute(("BLPOP", "empty-list", 5))
        (new_id,) = await wire.execute(("CLIENT", "ID"))
        assert new_id != own_id
    finally:
        await wire.aclose()


async def test_a_wrong_password_is_refused_as_a_connection_error(redis_server) -> None:  # type: ignore[no-untyped-def]
    wire = MuxWire.from_url(redis_url(redis_server.port, "not-the-password"))
    assert wire is not None
    try:
        with pytest.raises(AuthenticationError):
            await wire.execute(("PING",))
    finally:
        await wire.aclose()


async def test_after_a_redis_restart_the_next_call_succeeds(tmp_path: Path) -> None:
    port, password = free_port(), "p" * 24

    def start() -> Child:
        return start_redis(tmp_path / "redis", port, password=password, appendonly=False)

    server = start()
    wire = MuxWire.from_url(redis_url(port, password), timeout=5)
    assert wire is not None
    try:
        assert await wire.execute(("PING",)) == [b"PONG"]

        def restart() -> Child:
            server.stop()
            return start()

        server = await asyncio.to_thread(restart)  # the loop runs on and sees the close
        await eventually(lambda: wire._connection is None or wire._connection.lost is not None,
                         what="the wire sees its connection closed")
        assert await wire.execute(("EXISTS", "onlive:revoked:x"), ("GET", "onlive:pass:x")) \
            == [0, None]
    finally:
        await wire.aclose()
        server.stop()


async def test_a_closed_wire_refuses_and_fails_what_was_in_flight(wire: MuxWire) -> None:
    in_flight = asyncio.ensure_future(wire.execute(("BLPOP", "empty-list", 5)))
    await eventually(lambda: wire._connection is not None and len(wire._connection.waiting) == 1,
                     what="the batch sent")
    await wire.aclose()
    with pytest.raises(RedisConnectionError):
        await in_flight
    with pytest.raises(RedisConnectionError):
        await wire.execute(("PING",))


def test_only_a_plain_redis_url_gets_a_wire_of_its_own() -> None:
    wire = MuxWire.from_url("redis://onlive:p%40ss@127.0.0.1:6390/2")
    assert wire is not None
    assert (wire.host, wire.port, wire.username, wire.password, wire.db) == \
        ("127.0.0.1", 6390, "onlive", "p@ss", 2)
    assert MuxWire.from_url("rediss://127.0.0.1:6390") is None
    assert MuxWire.from_url("unix:///run/redis.sock") is None


def test_replies_split_anywhere_wait_for_the_rest() -> None:
    whole = b"*3\r\n$5\r\nhello\r\n:42\r\n*2\r\n$-1\r\n-ERR no\r\n"
    for cut in range(len(whole)):
        with pytest.raises(_More):
            parse(whole[:cut], 0)
    reply, end = parse(whole, 0)
    assert end == len(whole)
    assert reply[:2] == [b"hello", 42] and reply[2][0] is None
    assert isinstance(reply[2][1], ResponseError) and str(reply[2][1]) == "ERR no"


def test_arguments_are_sent_as_bytes_and_others_are_refused() -> None:
    assert encode([("SET", "k", 1.5), ("GET", b"\xff")]) == \
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n1.5\r\n*2\r\n$3\r\nGET\r\n$1\r\n\xff\r\n"
    with pytest.raises(TypeError):
        encode([("SET", "k", None)])
