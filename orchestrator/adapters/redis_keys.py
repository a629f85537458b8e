"""What the Redis store's parts share: key names, the msgpack codec, and the client.

``RedisStore`` (``redis_store.py``) is made of parts, one per reason to
change, each a class over ``RedisPart`` (the client, and a key scan); the
keys they write are listed in ``redis_store``'s docstring.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import msgpack
import redis.asyncio as aioredis
from redis.maint_notifications import MaintNotificationsConfig

from exercises.state import Member
from orchestrator.adapters.redis_wire import PipelineWire, Wire
from orchestrator.codec import from_plain, to_plain

T = TypeVar("T")

PREFIX = "onlive:"
STREAM_MAXLEN = 10_000

#: Options for every client of onlive's Redis (the store's pool, the Socket.IO
#: channel). Maintenance notifications are Redis Enterprise's and Redis Cloud's
#: (an endpoint about to move); a self-hosted redis-server sends none. With RESP3
#: redis-py 8 turns them on by default, and that also turns off its pool's check
#: that a connection it hands out is still open: after Redis restarted, every
#: connection idle in the pool failed its next command ("Connection closed by
#: server") and a person joining was told to try again, seconds after the
#: outage had ended.
CLIENT_OPTIONS: dict[str, Any] = {
    "maint_notifications_config": MaintNotificationsConfig(enabled=False)}


def connection_pool(url: str, **options: Any) -> aioredis.BlockingConnectionPool:
    """A pool of connections to ``url`` that waits for a free connection (``options``:
    redis-py's, e.g. ``max_connections``, ``timeout``), with ``CLIENT_OPTIONS``."""
    return aioredis.BlockingConnectionPool.from_url(url, **CLIENT_OPTIONS, **options)

#: Members by their stored bytes and back: the same people are read again and
#: again (the roster, who is expected), decoding each by its type hints is slow,
#: and a person joining is written to the roster as read from their record.
_MEMBERS: dict[bytes, Member] = {}
_PACKED: dict[Member, bytes] = {}
_CACHE_LIMIT = 50_000


def pack(value: Any) -> bytes:
    return msgpack.packb(to_plain(value), use_bin_type=True)  # type: ignore[no-any-return]


def unpack(tp: type[T], raw: bytes) -> T:
    return from_plain(tp, msgpack.unpackb(raw, raw=False, strict_map_key=False))  # type: ignore[no-any-return]


def as_str(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def as_bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


def str_fields(raw: Any) -> dict[str, str]:
    return {as_str(k): as_str(v) for k, v in (raw or {}).items()}


def k_pass(pass_id: str) -> str:
    return f"{PREFIX}pass:{pass_id}"


def decode_member(raw: bytes) -> Member:
    member = _MEMBERS.get(raw)
    if member is None:
        if len(_MEMBERS) > _CACHE_LIMIT:
            _MEMBERS.clear()
            _PACKED.clear()
        plain = msgpack.unpackb(raw, raw=False)
        try:
            member = Member(**plain)  # every field a plain value: no need of type hints
        except TypeError:  # a field this version does not know
            member = from_plain(Member, plain)
        _MEMBERS[raw] = member
        _PACKED.setdefault(member, raw)
    return member


def pack_member(member: Member) -> bytes:
    """``pack(member)``, or the bytes it was read from."""
    raw = _PACKED.get(member)
    if raw is None:
        if len(_PACKED) > _CACHE_LIMIT:
            _PACKED.clear()
        raw = _PACKED[member] = pack(member)
    return raw


def new_rev() -> str:
    return uuid.uuid4().hex


def people_changed(pipe: Any, pass_id: str) -> None:
    """Queue the mark that a pass's presence, qualities or expected people changed:
    random, so a key that expired and came back never repeats an old mark."""
    pipe.set(f"{k_pass(pass_id)}:people", new_rev())


class RedisPart:
    """The client every part of the store talks through, and the ``wire`` that a
    join's two round trips take (``redis_wire``; the client's pipeline unless the
    store is given a faster one)."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.r = client
        self.wire: Wire = PipelineWire(client)

    async def _scan(self, pattern: str) -> list[str]:
        return sorted([as_str(k) async for k in self.r.scan_iter(match=pattern, count=500)])
