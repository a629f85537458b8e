"""People in Redis (a part of ``RedisStore``): person records, each program's
pairing history (the newest ``history_max`` meetings; PostgreSQL keeps them
all), and one person's data across every key: export and erasure (GDPR).
"""

from __future__ import annotations

from typing import Any

import msgpack

from breakout import Meeting
from exercises.state import Member
from orchestrator.adapters.redis_keys import (
    PREFIX,
    RedisPart,
    as_bytes,
    as_str,
    decode_member,
    new_rev,
    pack,
)
from orchestrator.errors import NotFound


def person_key(person_id: str) -> str:
    return f"{PREFIX}person:{person_id}"


def person_from(person_id: str, raw: Any) -> Member:
    """The person stored as ``raw`` (``NotFound`` when there was none)."""
    if raw is None:
        raise NotFound(f"no person {person_id!r}", code="unknown_person")
    return decode_member(as_bytes(raw))


class PeopleRecords(RedisPart):
    """Person records, pairing histories, and one person's data everywhere."""

    history_max: int

    async def save_person(self, member: Member) -> None:
        await self.r.set(person_key(member.id), pack(member))

    async def person(self, person_id: str) -> Member:
        return person_from(person_id, await self.r.get(person_key(person_id)))

    async def append_history(self, program: str, meetings: list[Meeting]) -> None:
        """Remember meetings, keeping the newest ``history_max`` of the program (the
        archive keeps them all; pairing fades older ones out anyway)."""
        if meetings:
            key = f"{PREFIX}program:{program}:history"
            async with self.r.pipeline(transaction=True) as pipe:
                pipe.rpush(key, *(msgpack.packb({"a": m.a, "b": m.b, "pass": m.pass_id,
                                                 "at": m.at}, use_bin_type=True)
                                  for m in meetings))
                pipe.ltrim(key, -self.history_max, -1)
                await pipe.execute()

    async def history(self, program: str) -> list[Meeting]:
        raw = await self.r.lrange(f"{PREFIX}program:{program}:history", 0, -1)
        return _meetings(msgpack.unpackb(m, raw=False) for m in raw)

    # -- one person's data: export and erasure (GDPR) ------------------------

    async def pass_ids(self) -> list[str]:
        """Every stored pass, running or ended."""
        return [k.split(":")[2] for k in await self._scan(f"{PREFIX}pass:*")
                if k.count(":") == 2]

    async def answers_of_person(self, person_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in await self._scan(f"{PREFIX}pass:*:answers:*"):
            raw = await self.r.hget(key, person_id)
            if raw is not None:
                _, _, pass_id, _, step_id = key.split(":", 4)
                out[f"{pass_id}/{step_id}"] = msgpack.unpackb(raw, raw=False)
        return out

    async def histories_with(self, person_id: str) -> dict[str, list[Meeting]]:
        out: dict[str, list[Meeting]] = {}
        for key in await self._scan(f"{PREFIX}program:*:history"):
            entries = _meetings(msgpack.unpackb(m, raw=False) for m in await self.r.lrange(key, 0, -1))
            mine = [m for m in entries if person_id in (m.a, m.b)]
            if mine:
                out[key.split(":")[2]] = mine
        return out

    async def erase_person_records(self, person_id: str) -> int:
        """Delete everything stored under the person; returns how many records went."""
        removed = int(await self.r.delete(f"{PREFIX}person:{person_id}",
                                          f"{PREFIX}person:{person_id}:journal"))
        for key in await self._scan(f"{PREFIX}pass:*:answers:*"):
            removed += int(await self.r.hdel(key, person_id))
        for pattern in ("presence", "attendance", "expected", "quality"):
            for key in await self._scan(f"{PREFIX}pass:*:{pattern}"):
                gone = int(await self.r.hdel(key, person_id))
                if gone and pattern != "attendance":
                    await self.r.set(f"{key.rsplit(':', 1)[0]}:people", new_rev())
                removed += gone
        # The change logs other workers replay may carry the person's name: gone
        # whole (a worker that finds none reads the roster whole).
        changes = await self._scan(f"{PREFIX}pass:*:changes")
        if changes:
            await self.r.delete(*changes)
        for key in await self._scan(f"{PREFIX}pass:*:help"):
            mine = [f for f in map(as_str, await self.r.hkeys(key))
                    if f.rsplit(":", 1)[0] == person_id]
            if mine:
                removed += int(await self.r.hdel(key, *mine))
        for key in await self._scan(f"{PREFIX}program:*:history"):
            for raw in await self.r.lrange(key, 0, -1):
                entry = msgpack.unpackb(raw, raw=False)
                if person_id in (entry.get("a"), entry.get("b")):
                    removed += int(await self.r.lrem(key, 0, raw))  # type: ignore[arg-type]
        return removed

    async def forget_mentions(self, needles: list[str]) -> int:
        """Delete each alert and audit entry (the ops stream, every pass's audit) that
        mentions one of ``needles`` in any field; returns how many went."""
        wanted = [n.encode() for n in needles if n]
        removed = 0
        streams = [f"{PREFIX}alerts", f"{PREFIX}audit", *await self._scan(f"{PREFIX}pass:*:audit")]
        for key in streams:
            doomed = [as_bytes(entry_id or b"") for entry_id, fields in await self.r.xrange(key) or []
                      if any(n in as_bytes(v) or n in as_bytes(k) for k, v in (fields or {}).items()
                             for n in wanted)]
            if doomed:
                removed += int(await self.r.xdel(key, *doomed))
        return removed


def _meetings(records: Any) -> list[Meeting]:
    return [Meeting(r["a"], r["b"], r["pass"], float(r["at"])) for r in records
            if r.get("a") != r.get("b")]
