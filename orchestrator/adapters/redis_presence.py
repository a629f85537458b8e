"""Who is where in Redis (a part of ``RedisStore``): LiveKit presence,
connection quality, attendance logs and who is expected.

Presence, quality and the expected people are read for every facilitator
view; a worker keeps what it last read of the three and reads them again only
when ``pass:{id}:people`` (a new random value with every change, in the same
transaction) moved. Attendance follows ``exercises.gym.attendance``'s rules
in one script per join or leave.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from exercises.gym.attendance import PresenceLog
from exercises.state import Member
from orchestrator.adapters.redis_keys import (
    RedisPart,
    as_bytes,
    as_str,
    decode_member,
    k_pass,
    new_rev,
    pack,
    people_changed,
    str_fields,
)

# Presence logs (``exercises.gym.attendance``, the same rules): a join opens a stay
# unless one is open; a leave closes it; nothing changes once the pass ended.
# ``JOINED`` is a Lua function (keys: attendance, ended; args: person, at) so that
# a join's snapshot write can run it in the same script (``redis_cas``).
JOINED = """function(keys, args)
  if redis.call('exists', keys[2]) == 1 then return 0 end
  local v = redis.call('hget', keys[1], args[1])
  if not v then return redis.call('hset', keys[1], args[1], args[2] .. '|' .. args[2] .. '|0|') end
  local first, since, total, last = string.match(v, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if since ~= '' then return 0 end
  return redis.call('hset', keys[1], args[1], first .. '|' .. args[2] .. '|' .. total .. '|' .. last)
end"""
JOINED_SCRIPT = "local joined = " + JOINED + "\nreturn joined(KEYS, ARGV)"
_LEFT = """
if redis.call('exists', KEYS[2]) == 1 then return 0 end
local v = redis.call('hget', KEYS[1], ARGV[1])
if not v then return 0 end
local first, since, total, last = string.match(v, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
if since == '' then return 0 end
local stay = math.max(0, tonumber(ARGV[2]) - tonumber(since))
return redis.call('hset', KEYS[1], ARGV[1],
                  first .. '||' .. string.format('%.3f', tonumber(total) + stay) .. '|' .. ARGV[2])
"""
_CLOSE = """
local ended = redis.call('get', KEYS[2])
if not ended then redis.call('set', KEYS[2], ARGV[1]) ended = ARGV[1] end
return {ended, redis.call('hgetall', KEYS[1])}
"""


def attendance_keys(pass_id: str) -> list[str]:
    """The keys ``JOINED`` takes: the pass's attendance logs, and its ended mark."""
    return [f"{k_pass(pass_id)}:attendance", f"{k_pass(pass_id)}:ended"]


def attendance_args(person_id: str, at: float) -> list[str]:
    """The arguments a join or leave of the attendance logs takes: who, and when."""
    return [person_id, f"{at:.3f}"]


#: Passes whose presence, qualities and expected people a worker keeps read.
_PEOPLE_KEPT = 1_000


@dataclass(frozen=True)
class _People:
    """What a worker last read of a pass's presence, qualities and expected people."""

    rev: bytes
    presence: dict[str, str]
    qualities: dict[str, str]
    expected: dict[str, Member]


class Presence(RedisPart):
    """Presence and quality (by LiveKit identity), attendance and who is expected."""

    def __init__(self, client: aioredis.Redis) -> None:
        super().__init__(client)
        self._joined = client.register_script(JOINED_SCRIPT)
        self._left = client.register_script(_LEFT)
        self._close = client.register_script(_CLOSE)
        self._people: dict[str, _People] = {}

    # -- presence and connection quality ---------------------------------------

    async def set_presence(self, pass_id: str, identity: str, room: str | None) -> None:
        key = f"{k_pass(pass_id)}:presence"
        async with self.r.pipeline(transaction=True) as pipe:
            if room is None:
                pipe.hdel(key, identity)
            else:
                pipe.hset(key, identity, room)
            people_changed(pipe, pass_id)
            await pipe.execute()

    async def leave_presence(self, pass_id: str, identity: str, room: str) -> bool:
        """Forget presence only if it still names ``room`` (a move may have overtaken it)."""
        key = f"{k_pass(pass_id)}:presence"
        current = await self.r.hget(key, identity)
        if current is not None and as_str(current) == room:
            async with self.r.pipeline(transaction=True) as pipe:
                pipe.hdel(key, identity)
                people_changed(pipe, pass_id)
                await pipe.execute()
            return True
        return False

    async def set_quality(self, pass_id: str, person_id: str, level: str) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(f"{k_pass(pass_id)}:quality", person_id, level)
            people_changed(pipe, pass_id)
            await pipe.execute()

    async def _read_people(self, pass_id: str) -> _People:
        """Presence, qualities and expected people, read again only once changed."""
        key = k_pass(pass_id)
        rev = await self.r.get(f"{key}:people")
        known = self._people.get(pass_id)
        if rev is not None and known is not None and known.rev == as_bytes(rev):
            return known
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.set(f"{key}:people", new_rev(), nx=True)  # the first read marks it
            pipe.get(f"{key}:people")
            pipe.hgetall(f"{key}:presence")
            pipe.hgetall(f"{key}:quality")
            pipe.hgetall(f"{key}:expected")
            _, rev, presence, qualities, expected = await pipe.execute()
        people = _People(as_bytes(rev), str_fields(presence), str_fields(qualities),
                         {as_str(k): decode_member(as_bytes(v)) for k, v in expected.items()})
        if len(self._people) > _PEOPLE_KEPT:
            self._people.clear()
        self._people[pass_id] = people
        return people

    async def qualities(self, pass_id: str) -> dict[str, str]:
        return dict((await self._read_people(pass_id)).qualities)

    async def presence(self, pass_id: str) -> dict[str, str]:
        return dict((await self._read_people(pass_id)).presence)

    # -- attendance and who is expected ----------------------------------------

    async def mark_joined(self, pass_id: str, person_id: str, at: float) -> None:
        await self._joined(keys=attendance_keys(pass_id), args=attendance_args(person_id, at))

    async def mark_left(self, pass_id: str, person_id: str, at: float) -> None:
        await self._left(keys=attendance_keys(pass_id), args=attendance_args(person_id, at))

    async def close_presence(self, pass_id: str,
                             at: float) -> tuple[float, dict[str, PresenceLog]]:
        ended, flat = await self._close(keys=attendance_keys(pass_id), args=[f"{at:.3f}"])
        logs = {}
        for i in range(0, len(flat), 2):
            first, since, total, last = as_str(flat[i + 1]).split("|")
            logs[as_str(flat[i])] = PresenceLog(float(first) if first else None,
                                                float(since) if since else None, float(total),
                                                float(last) if last else None)
        return float(as_str(ended)), logs

    async def expect(self, pass_id: str, members: list[Member]) -> None:
        if members:
            async with self.r.pipeline(transaction=True) as pipe:
                pipe.hset(f"{k_pass(pass_id)}:expected",
                          mapping={m.id: pack(m) for m in members})
                people_changed(pipe, pass_id)
                await pipe.execute()

    async def unexpect(self, pass_id: str, person_id: str) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hdel(f"{k_pass(pass_id)}:expected", person_id)
            people_changed(pipe, pass_id)
            await pipe.execute()

    async def expected(self, pass_id: str) -> dict[str, Member]:
        return dict((await self._read_people(pass_id)).expected)
