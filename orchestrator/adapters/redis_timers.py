"""Deadlines and leases in Redis (a part of ``RedisStore``): when each pass's next
timer is due (``timers``, a zset pass -> deadline), and which worker fires it
(``lease:{id}``, SET NX PX, renewed and released only by its holder).
"""

from __future__ import annotations

import redis.asyncio as aioredis

from orchestrator.adapters.redis_keys import PREFIX, RedisPart, as_str

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW = """
local v = redis.call('get', KEYS[1])
if v == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end
if not v then return redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0 end
return 0
"""


class Deadlines(RedisPart):
    """The deadline index and the leases that say who fires a pass's timers."""

    def __init__(self, client: aioredis.Redis) -> None:
        super().__init__(client)
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)

    async def set_deadline(self, pass_id: str, at: float | None) -> None:
        if at is None:
            await self.r.zrem(f"{PREFIX}timers", pass_id)
        else:
            await self.r.zadd(f"{PREFIX}timers", {pass_id: at})

    async def due(self, now: float) -> list[str]:
        raw: list[bytes] = await self.r.zrangebyscore(  # type: ignore[assignment]
            f"{PREFIX}timers", "-inf", now)
        return [as_str(m) for m in raw]

    async def next_deadline(self) -> float | None:
        first: list[tuple[bytes, float]] = await self.r.zrange(  # type: ignore[assignment]
            f"{PREFIX}timers", 0, 0, withscores=True)
        return float(first[0][1]) if first else None

    async def deadline_of(self, pass_id: str) -> float | None:
        score = await self.r.zscore(f"{PREFIX}timers", pass_id)
        return None if score is None else float(score)

    async def acquire_lease(self, pass_id: str, worker: str, ttl_ms: int) -> bool:
        """Take or renew the lease that lets ``worker`` fire this pass's timers."""
        return bool(await self._renew(keys=[f"{PREFIX}lease:{pass_id}"], args=[worker, ttl_ms]))

    async def release_lease(self, pass_id: str, worker: str) -> None:
        await self._release(keys=[f"{PREFIX}lease:{pass_id}"], args=[worker])

    async def lease_holder(self, pass_id: str) -> str | None:
        raw = await self.r.get(f"{PREFIX}lease:{pass_id}")
        return as_str(raw) if raw else None
