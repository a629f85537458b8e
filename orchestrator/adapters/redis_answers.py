"""What people say in a pass, in Redis (a part of ``RedisStore``): answers (one
record per person and step, stored once per client id), each person's own
journal, and help requests.
"""

from __future__ import annotations

from typing import Any

import msgpack
import redis.asyncio as aioredis

from exercises.text import Text
from orchestrator.adapters.redis_keys import PREFIX, RedisPart, as_bytes, as_str, k_pass, pack, unpack
from orchestrator.codec import to_plain
from orchestrator.readmodels import HelpRequest, JournalEntry

# Store an answer unless the same client id was already stored for it.
ANSWER_SCRIPT = """
local old = redis.call('hget', KEYS[1], ARGV[1])
if old and cmsgpack.unpack(old)['cid'] == ARGV[2] then return 0 end
redis.call('hset', KEYS[1], ARGV[1], ARGV[3])
return 1
"""


class Answers(RedisPart):
    """Answers, journals and help requests."""

    def __init__(self, client: aioredis.Redis) -> None:
        super().__init__(client)
        self._answer = client.register_script(ANSWER_SCRIPT)

    async def store_answer(self, pass_id: str, step_id: str, person_id: str, client_id: str,
                           value: dict[str, Any], at: float) -> bool:
        """Store an answer; False when this client id was stored already (a retry)."""
        record = msgpack.packb({"cid": client_id, "value": value, "at": at}, use_bin_type=True)
        key = f"{k_pass(pass_id)}:answers:{step_id}"
        return bool(await self._answer(keys=[key], args=[person_id, client_id, record]))

    async def answers(self, pass_id: str, step_id: str) -> dict[str, dict[str, Any]]:
        raw = await self.r.hgetall(f"{k_pass(pass_id)}:answers:{step_id}")
        return {as_str(k): msgpack.unpackb(v, raw=False) for k, v in raw.items()}

    async def answer_of(self, pass_id: str, step_id: str, person_id: str) -> dict[str, Any] | None:
        raw = await self.r.hget(f"{k_pass(pass_id)}:answers:{step_id}", person_id)
        record: dict[str, Any] | None = None if raw is None else msgpack.unpackb(raw, raw=False)
        return record

    # -- a person's own journal ---------------------------------------------

    async def journal_put(self, person_id: str, key: str, entry: JournalEntry) -> None:
        """Keep one journal entry per (pass, step): a changed answer replaces it."""
        record = {"kind": entry.kind, "pass": entry.pass_id, "program": entry.program,
                  "class": to_plain(entry.class_title), "step": entry.step_id,
                  "value": dict(entry.value), "at": entry.at}
        await self.r.hset(f"{PREFIX}person:{person_id}:journal", key,
                          msgpack.packb(record, use_bin_type=True))

    async def journal(self, person_id: str) -> list[JournalEntry]:
        raw = await self.r.hvals(f"{PREFIX}person:{person_id}:journal")
        entries = [_journal_entry(msgpack.unpackb(v, raw=False)) for v in raw]
        return sorted(entries, key=lambda e: e.at)

    # -- help requests -------------------------------------------------------

    async def put_help(self, request: HelpRequest) -> None:
        await self.r.hset(f"{k_pass(request.pass_id)}:help", request.id, pack(request))

    async def helps(self, pass_id: str) -> list[HelpRequest]:
        raw = await self.r.hvals(f"{k_pass(pass_id)}:help")
        return sorted((unpack(HelpRequest, as_bytes(v)) for v in raw), key=lambda h: (h.at, h.id))


def _journal_entry(record: dict[str, Any]) -> JournalEntry:
    title = record.get("class") or {}
    return JournalEntry(str(record.get("kind", "")), str(record.get("pass", "")),
                        str(record.get("program", "")),
                        Text(str(title.get("sv", "")), str(title.get("en", ""))),
                        str(record.get("step", "")), record.get("value") or {},
                        float(record.get("at", 0)))
