"""What Redis keeps for operations and access (a part of ``RedisStore``): the
``alerts`` and ``audit`` streams and each pass's audit (older than the
retention go, at most ``STREAM_MAXLEN`` stay), once-per-outage and
replay-protection marks, short-lived secrets with their per-kind index, and
revoked credentials.
"""

from __future__ import annotations

import time
from typing import Any

from orchestrator.adapters.redis_keys import (
    PREFIX,
    STREAM_MAXLEN,
    RedisPart,
    as_str,
    k_pass,
    str_fields,
)
from orchestrator.readmodels import Alert, AlertCode


class OpsRecords(RedisPart):
    """Alerts, audit, once-marks, secrets and revocations."""

    stream_retention_s: int

    async def alert(self, code: AlertCode, message: str, **detail: str) -> Alert:
        at = f"{time.time():.3f}"
        entry: dict[Any, Any] = {"code": code, "message": message, "at": at, **detail}
        entry_id = await self._xadd(f"{PREFIX}alerts", entry)
        return Alert(as_str(entry_id or b""), code, message, at, dict(detail))

    async def recent_alerts(self, count: int = 50) -> list[Alert]:
        raw = await self.r.xrevrange(f"{PREFIX}alerts", count=count)
        return [_alert(as_str(i or b""), str_fields(f)) for i, f in raw or []]

    async def audit(self, action: str, **detail: str) -> None:
        entry: dict[Any, Any] = {"action": action, "at": f"{time.time():.3f}", **detail}
        await self._xadd(f"{PREFIX}audit", entry)

    async def _xadd(self, key: str, entry: dict[Any, Any]) -> Any:
        """Append to a retained stream: entries older than the retention time go
        (MINID), and never more than ``STREAM_MAXLEN`` stay."""
        async with self.r.pipeline(transaction=False) as pipe:
            pipe.xadd(key, entry, maxlen=STREAM_MAXLEN, approximate=True)
            oldest_ms = int((time.time() - self.stream_retention_s) * 1000)
            pipe.xtrim(key, minid=f"{oldest_ms}-0", approximate=False)
            entry_id, _ = await pipe.execute()
        return entry_id

    async def once(self, key: str, ttl_ms: int) -> bool:
        return bool(await self.r.set(f"{PREFIX}once:{key}", b"1", nx=True, px=ttl_ms))

    async def first_sighting(self, key: str, ttl: int) -> bool:
        return bool(await self.r.set(f"{PREFIX}seen:{key}", b"1", nx=True, ex=max(1, ttl)))

    async def audit_entries(self, count: int = 100) -> list[dict[str, str]]:
        raw = await self.r.xrevrange(f"{PREFIX}audit", count=count)
        return [str_fields(f) for _, f in raw or []]

    async def pass_audit(self, pass_id: str) -> list[dict[str, str]]:
        raw = await self.r.xrange(f"{k_pass(pass_id)}:audit")
        return [str_fields(f) for _, f in raw or []]

    # -- short-lived secrets -------------------------------------------------

    @staticmethod
    def _secret_index(key: str) -> str:
        return f"{PREFIX}secrets:{key.partition(':')[0]}"

    async def put_secret(self, key: str, value: dict[str, str], ttl_s: float) -> None:
        now_ms = int(time.time() * 1000)
        ttl_ms = max(1, int(ttl_s * 1000))
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.delete(f"{PREFIX}secret:{key}")
            pipe.hset(f"{PREFIX}secret:{key}", mapping=dict(value))  # type: ignore[arg-type]
            pipe.pexpire(f"{PREFIX}secret:{key}", ttl_ms)
            # The index lists a kind's secrets (an admin's list of sign-ins) without a scan.
            pipe.zadd(self._secret_index(key), {key: now_ms + ttl_ms})
            pipe.zremrangebyscore(self._secret_index(key), "-inf", now_ms)
            await pipe.execute()

    async def get_secret(self, key: str) -> dict[str, str] | None:
        return str_fields(await self.r.hgetall(f"{PREFIX}secret:{key}")) or None

    async def take_secret(self, key: str) -> dict[str, str] | None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hgetall(f"{PREFIX}secret:{key}")
            pipe.delete(f"{PREFIX}secret:{key}")
            pipe.zrem(self._secret_index(key), key)
            raw, _, _ = await pipe.execute()
        return str_fields(raw) or None

    async def secrets_under(self, prefix: str) -> dict[str, dict[str, str]]:
        index = self._secret_index(prefix)
        listed: list[bytes] = await self.r.zrangebyscore(  # type: ignore[assignment]
            index, int(time.time() * 1000), "+inf")
        keys = [key for key in (as_str(k) for k in listed) if key.startswith(prefix)]
        async with self.r.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hgetall(f"{PREFIX}secret:{key}")
            found = await pipe.execute() if keys else []
        return {key: fields for key, raw in zip(keys, found) if (fields := str_fields(raw))}

    # -- revocation ----------------------------------------------------------

    async def revoke(self, key: str, until: float) -> None:
        ttl_ms = max(1000, int((until - time.time()) * 1000))
        await self.r.set(revoked_keys([key])[0], b"1", px=ttl_ms)

    async def revoked(self, keys: list[str]) -> bool:
        if not keys:
            return False
        return bool(await self.r.exists(*revoked_keys(keys)))


def revoked_keys(keys: list[str]) -> list[str]:
    """The Redis keys that say ``keys`` (``cred:ID``, ``holder:DIGEST``) are revoked."""
    return [f"{PREFIX}revoked:{k}" for k in keys]


def _alert(entry_id: str, fields: dict[str, str]) -> Alert:
    code, message, at = fields.pop("code", ""), fields.pop("message", ""), fields.pop("at", "")
    return Alert(entry_id, code, message, at, fields)
