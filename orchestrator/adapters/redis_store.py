"""The Redis store (implements ``orchestrator.ports.Store``): pass snapshots
with optimistic concurrency, answers, presence, pairing history, people,
timers, leases, alerts and audit streams.

Keys (prefix ``onlive:``):

- ``pass:{id}`` msgpack ``PassState`` without its roster and presence (carries
  ``version``); written only under ``WATCH``/``MULTI``, or by a script that
  writes only if it still holds the bytes last read (``redis_cas``), so that
  one writer wins per version. Every write that changes the two sets below writes this key
  too (the version moves), so watching it guards all three.
- ``pass:{id}:roster`` hash person -> msgpack ``Member``; ``pass:{id}:present``
  set of people present. A join writes one field and one member, so its cost
  does not grow with the pass.
- ``pass:{id}:answers:{step}`` hash person -> msgpack answer record.
- ``pass:{id}:presence`` hash LiveKit identity -> room.
- ``pass:{id}:attendance`` hash person -> ``first|since|total|last_left`` (epoch
  seconds; ``since`` empty while away), ``pass:{id}:ended`` when presence closed.
- ``pass:{id}:expected`` hash person -> msgpack ``Member`` (invited or enrolled).
- ``pass:{id}:audit`` stream of applied commands (no answer content).
- ``pass:{id}:help`` hash request id (``person:ms``) -> msgpack help request.
- ``passes`` set of live pass ids; ``timers`` zset pass -> next deadline.
- ``lease:{id}`` the worker that fires the pass's timers (SET NX PX).
- ``program:{id}:history`` list of msgpack meetings (pairing history, the newest
  ``history_max`` kept; the archive in PostgreSQL keeps them all).
- An archived pass's keys expire after ``ONLIVE_PASS_RETENTION``; the ``alerts``
  and ``audit`` streams keep ``ONLIVE_STREAM_RETENTION_DAYS`` (MINID), at most 10,000.
- ``person:{id}`` msgpack ``Member``; ``alerts`` and ``audit`` streams.
- ``pass:{id}:quality`` hash person -> their LiveKit connection quality.
- ``pass:{id}:people`` a new random value whenever ``presence``, ``quality`` or
  ``expected`` changes (in the same transaction): while it is the same, a worker
  reuses what it read of the three (O(n) each) instead of reading them again
  for every facilitator view.
- ``secret:{kind}:{id}`` a short-lived secret (sign-on flow or session, a hash with
  its own expiry); ``secrets:{kind}`` zset id -> expiry (ms) lists one kind's.
- ``revoked:{key}`` a revoked credential (``cred:ID``) or holder (``holder:DIGEST``),
  expiring when every credential it refuses would have expired anyway.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

import msgpack
import redis.asyncio as aioredis
from redis.exceptions import WatchError

from breakout import Meeting
from exercises.gym.attendance import PresenceLog
from exercises.script import ClassScript
from exercises.state import Member, PassState
from exercises.text import Text
from orchestrator.adapters.redis_cas import MAX_ARGS as CAS_MAX_ARGS
from orchestrator.adapters.redis_cas import CompareAndSet, Writes
from orchestrator.codec import from_plain, to_plain
from orchestrator.errors import Conflict, NotFound
from orchestrator.ports import Applied, Step
from orchestrator.readmodels import Alert, AlertCode, HelpRequest, JournalEntry

T = TypeVar("T")

PREFIX = "onlive:"
MAX_CAS_ATTEMPTS = 50
#: Recent snapshots of a pass each process keeps decoded (``RedisStore._cached``).
STATES_KEPT = 4
STREAM_MAXLEN = 10_000

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
# Store an answer unless the same client id was already stored for it.
_ANSWER = """
local old = redis.call('hget', KEYS[1], ARGV[1])
if old and cmsgpack.unpack(old)['cid'] == ARGV[2] then return 0 end
redis.call('hset', KEYS[1], ARGV[1], ARGV[3])
return 1
"""
# Presence logs (``exercises.gym.attendance``, the same rules): a join opens a stay
# unless one is open; a leave closes it; nothing changes once the pass ended.
_JOINED = """
if redis.call('exists', KEYS[2]) == 1 then return 0 end
local v = redis.call('hget', KEYS[1], ARGV[1])
if not v then return redis.call('hset', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[2] .. '|0|') end
local first, since, total, last = string.match(v, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
if since ~= '' then return 0 end
return redis.call('hset', KEYS[1], ARGV[1], first .. '|' .. ARGV[2] .. '|' .. total .. '|' .. last)
"""
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


def pack(value: Any) -> bytes:
    return msgpack.packb(to_plain(value), use_bin_type=True)  # type: ignore[no-any-return]


def unpack(tp: type[T], raw: bytes) -> T:
    return from_plain(tp, msgpack.unpackb(raw, raw=False, strict_map_key=False))  # type: ignore[no-any-return]


def _str(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _fields(raw: Any) -> dict[str, str]:
    return {_str(k): _str(v) for k, v in (raw or {}).items()}


def k_pass(pass_id: str) -> str:
    return f"{PREFIX}pass:{pass_id}"


@dataclass(frozen=True)
class _People:
    """What a worker last read of a pass's presence, qualities and expected people."""

    rev: bytes
    presence: dict[str, str]
    qualities: dict[str, str]
    expected: dict[str, Member]


#: Plain forms of the class scripts of running passes: a script changes only
#: when a facilitator edits a step, and turning it into plain data is most of
#: what writing a snapshot costs. Keyed by identity; the script is kept alive.
_SCRIPTS: dict[int, tuple[ClassScript, Any]] = {}
#: Members by their stored bytes: the same people are read again and again
#: (the roster, who is expected) and decoding each by its type hints is slow.
_MEMBERS: dict[bytes, Member] = {}
_CACHE_LIMIT = 50_000


def _plain_script(script: ClassScript) -> Any:
    hit = _SCRIPTS.get(id(script))
    if hit is not None and hit[0] is script:
        return hit[1]
    if len(_SCRIPTS) > 64:
        _SCRIPTS.clear()
    plain = to_plain(script)
    _SCRIPTS[id(script)] = (script, plain)
    return plain


def _member(raw: bytes) -> Member:
    member = _MEMBERS.get(raw)
    if member is None:
        if len(_MEMBERS) > _CACHE_LIMIT:
            _MEMBERS.clear()
        member = _MEMBERS[raw] = unpack(Member, raw)
    return member


def _core(state: PassState) -> bytes:
    """The snapshot as stored: everything but the roster and who is present."""
    plain = {f.name: to_plain(getattr(state, f.name)) for f in fields(state)
             if f.name not in ("script", "roster", "present")}
    plain.update(script=_plain_script(state.script), roster={}, present=[])
    return msgpack.packb(plain, use_bin_type=True)  # type: ignore[no-any-return]


#: Passes whose presence, qualities and expected people a worker keeps read.
_PEOPLE_KEPT = 1_000


def _new_rev() -> str:
    return uuid.uuid4().hex


def _people_changed(pipe: Any, pass_id: str) -> None:
    """Queue the mark that a pass's presence, qualities or expected people changed:
    random, so a key that expired and came back never repeats an old mark."""
    pipe.set(f"{k_pass(pass_id)}:people", _new_rev())


def _side_writes(pipe: Any, key: str, before: PassState, after: PassState,
                 audit: dict[str, Any] | None) -> None:
    """Queue what an update writes besides the snapshot: people and the audit entry."""
    _people_writes(pipe, key, before, after)
    if audit is not None:
        entry: dict[Any, Any] = {"version": str(after.version),
                                 **{k: str(v) for k, v in audit.items()}}
        pipe.xadd(f"{key}:audit", entry, maxlen=STREAM_MAXLEN, approximate=True)


def _people_writes(pipe: Any, key: str, before: PassState | None, after: PassState) -> None:
    """Queue the roster and presence changes from ``before`` to ``after``."""
    if before is None or after.roster is not before.roster:
        old = before.roster if before is not None else {}
        changed = {k: pack(v) for k, v in after.roster.items() if old.get(k) is not v}
        if changed:
            pipe.hset(f"{key}:roster", mapping=changed)
        gone = [k for k in old if k not in after.roster]
        if gone:
            pipe.hdel(f"{key}:roster", *gone)
    if before is None or after.present is not before.present:
        old_present = before.present if before is not None else frozenset()
        if added := after.present - old_present:
            pipe.sadd(f"{key}:present", *added)
        if removed := old_present - after.present:
            pipe.srem(f"{key}:present", *removed)


class RedisStore:
    def __init__(self, client: aioredis.Redis, *, history_max: int = 50_000,
                 stream_retention_days: int = 90) -> None:
        self.r = client
        self.history_max = history_max
        self.stream_retention_s = stream_retention_days * 24 * 3600
        # Writers to one pass inside this process queue up here, so the
        # optimistic transaction only ever races writers in other workers.
        self._writers: weakref.WeakValueDictionary[str, asyncio.Lock] = \
            weakref.WeakValueDictionary()
        self._release = client.register_script(_RELEASE)
        self._renew = client.register_script(_RENEW)
        self._answer = client.register_script(_ANSWER)
        self._joined = client.register_script(_JOINED)
        self._left = client.register_script(_LEFT)
        self._close = client.register_script(_CLOSE)
        self._cas = CompareAndSet(client)
        # The last few states of each pass this process read or wrote, with their
        # stored snapshot bytes: while the stored bytes are the same (the version
        # did not move), the roster and presence are too, and nothing is decoded
        # again. A few, not one: during a burst of joins a read often returns the
        # version just before the one this process has written meanwhile.
        self._states: dict[str, list[tuple[bytes, PassState]]] = {}
        self._people: dict[str, _People] = {}
        # The write of each pass this process has sent and not yet remembered (a
        # read that meets its bytes waits for it instead of reading the roster).
        self._writing: dict[str, asyncio.Future[None]] = {}

    # -- pass snapshots --------------------------------------------------

    async def create_pass(self, state: PassState) -> None:
        key = k_pass(state.id)
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.set(key, _core(state), nx=True)
            pipe.sadd(f"{PREFIX}passes", state.id)
            created, _ = await pipe.execute()
        if not created:
            raise Conflict(f"pass {state.id!r} exists already", code="exists")
        if state.roster or state.present:
            async with self.r.pipeline(transaction=True) as pipe:
                _people_writes(pipe, key, None, state)
                await pipe.execute()

    def _cached(self, pass_id: str, raw: bytes) -> PassState | None:
        for known, state in reversed(self._states.get(pass_id, ())):
            if known == raw:
                return state
        return None

    def _remember(self, pass_id: str, raw: bytes, state: PassState) -> PassState:
        kept = self._states.setdefault(pass_id, [])
        kept.append((raw, state))
        if len(kept) > STATES_KEPT:
            del kept[0]
        return state

    def _assemble(self, raw: bytes, roster: Any, present: Any) -> PassState:
        core = unpack(PassState, raw)
        return replace(core, roster={_str(k): _member(_bytes(v)) for k, v in roster.items()},
                       present=frozenset(_str(m) for m in present))

    async def load(self, pass_id: str) -> PassState:
        key = k_pass(pass_id)
        raw = await self.r.get(key)
        if raw is None:
            self._states.pop(pass_id, None)
            raise NotFound(f"no pass {pass_id!r}", code="unknown_pass")
        cached = self._cached(pass_id, _bytes(raw))
        if cached is not None:
            return cached
        writing = self._writing.get(pass_id)
        if writing is not None:
            # Often our own write, stored but not yet remembered: wait for it.
            await asyncio.wait({writing})
            cached = self._cached(pass_id, _bytes(raw))
            if cached is not None:
                return cached
        # Someone else wrote it: read the three keys as one, then keep them.
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.get(key)
            pipe.hgetall(f"{key}:roster")
            pipe.smembers(f"{key}:present")
            raw, roster, present = await pipe.execute()
        if raw is None:
            raise NotFound(f"no pass {pass_id!r}", code="unknown_pass")
        raw = _bytes(raw)
        return self._remember(pass_id, raw, self._assemble(raw, roster, present))

    async def update(self, pass_id: str, step: Step, *,
                     audit: dict[str, Any] | None = None) -> Applied:
        """Load, apply ``step``, and store if the version did not move meanwhile.

        ``step`` is pure and may raise (nothing is written then). Lost races
        are retried against the newer state; the roster and presence changes,
        the deadline index and audit entry are written in the same
        transaction as the snapshot, and only what changed is written.
        """
        lock = self._writers.get(pass_id)
        if lock is None:
            lock = self._writers[pass_id] = asyncio.Lock()
        async with lock:
            return await self._update(pass_id, step, audit)

    async def _update(self, pass_id: str, step: Step,
                      audit: dict[str, Any] | None) -> Applied:
        key = k_pass(pass_id)
        kept = self._states.get(pass_id)
        if kept:
            applied = await self._swap(pass_id, key, *kept[-1], step, audit)
            if applied is not None:
                return applied
        for _ in range(MAX_CAS_ATTEMPTS):
            async with self.r.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw is None:
                        raise NotFound(f"no pass {pass_id!r}", code="unknown_pass")
                    raw = _bytes(raw)
                    before = self._cached(pass_id, raw)
                    if before is None:
                        before = self._remember(pass_id, raw, self._assemble(
                            raw, await pipe.hgetall(f"{key}:roster"),
                            await pipe.smembers(f"{key}:present")))
                    after, effects = step(before)
                    if after is before:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        return Applied(before, before, effects)
                    stored = _core(after)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(key, stored)
                    _side_writes(pipe, key, before, after, audit)
                    async with self._storing(pass_id):
                        await pipe.execute()
                        self._remember(pass_id, stored, after)
                    return Applied(before, after, effects)
                except WatchError:
                    continue
        raise Conflict(f"pass {pass_id!r} is too busy to change right now; try again")

    async def _swap(self, pass_id: str, key: str, raw: bytes, before: PassState, step: Step,
                    audit: dict[str, Any] | None) -> Applied | None:
        """``step`` applied to the state this process read or wrote last, stored in one
        round trip if nobody wrote since (``redis_cas``); None when someone did, when
        the step refused that state (it may be out of date), or when the writes are too
        large for one call: the caller then reads and watches."""
        try:
            after, effects = step(before)
        except Exception:  # noqa: BLE001 - judged again against the stored state
            return None
        if after is before:
            current = await self._cas(key, raw, None, Writes())
            return Applied(before, before, effects) if current else None
        writes = Writes()
        _side_writes(writes, key, before, after, audit)
        if writes.size() > CAS_MAX_ARGS:
            return None
        stored = _core(after)
        async with self._storing(pass_id):
            if not await self._cas(key, raw, stored, writes):
                return None
            self._remember(pass_id, stored, after)
        return Applied(before, after, effects)

    @asynccontextmanager
    async def _storing(self, pass_id: str) -> AsyncIterator[None]:
        """While a write of ``pass_id`` is in flight, ``load`` waits for it to be remembered."""
        written = asyncio.get_running_loop().create_future()
        self._writing[pass_id] = written
        try:
            yield
        finally:
            del self._writing[pass_id]
            written.set_result(None)

    async def ping(self) -> None:
        await self.r.ping()

    async def live_passes(self) -> list[str]:
        return sorted(_str(m) for m in await self.r.smembers(f"{PREFIX}passes"))

    async def retire_pass(self, pass_id: str) -> None:
        await self.r.srem(f"{PREFIX}passes", pass_id)
        self._states.pop(pass_id, None)

    async def expire_pass(self, pass_id: str, seconds: int) -> int:
        keys = [k_pass(pass_id), *await self._scan(f"{k_pass(pass_id)}:*")]
        async with self.r.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.expire(key, seconds)
            pipe.zrem(f"{PREFIX}timers", pass_id)
            pipe.delete(f"{PREFIX}lease:{pass_id}")
            pipe.srem(f"{PREFIX}passes", pass_id)
            done = await pipe.execute()
        return sum(1 for flag in done[:len(keys)] if flag)

    # -- timers and leases -------------------------------------------------

    async def set_deadline(self, pass_id: str, at: float | None) -> None:
        if at is None:
            await self.r.zrem(f"{PREFIX}timers", pass_id)
        else:
            await self.r.zadd(f"{PREFIX}timers", {pass_id: at})

    async def due(self, now: float) -> list[str]:
        raw: list[bytes] = await self.r.zrangebyscore(  # type: ignore[assignment]
            f"{PREFIX}timers", "-inf", now)
        return [_str(m) for m in raw]

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
        return _str(raw) if raw else None

    # -- answers -------------------------------------------------------------

    async def store_answer(self, pass_id: str, step_id: str, person_id: str, client_id: str,
                           value: dict[str, Any], at: float) -> bool:
        """Store an answer; False when this client id was stored already (a retry)."""
        record = msgpack.packb({"cid": client_id, "value": value, "at": at}, use_bin_type=True)
        key = f"{k_pass(pass_id)}:answers:{step_id}"
        return bool(await self._answer(keys=[key], args=[person_id, client_id, record]))

    async def answers(self, pass_id: str, step_id: str) -> dict[str, dict[str, Any]]:
        raw = await self.r.hgetall(f"{k_pass(pass_id)}:answers:{step_id}")
        return {_str(k): msgpack.unpackb(v, raw=False) for k, v in raw.items()}

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

    # -- presence ------------------------------------------------------------

    async def set_presence(self, pass_id: str, identity: str, room: str | None) -> None:
        key = f"{k_pass(pass_id)}:presence"
        async with self.r.pipeline(transaction=True) as pipe:
            if room is None:
                pipe.hdel(key, identity)
            else:
                pipe.hset(key, identity, room)
            _people_changed(pipe, pass_id)
            await pipe.execute()

    async def leave_presence(self, pass_id: str, identity: str, room: str) -> bool:
        """Forget presence only if it still names ``room`` (a move may have overtaken it)."""
        key = f"{k_pass(pass_id)}:presence"
        current = await self.r.hget(key, identity)
        if current is not None and _str(current) == room:
            async with self.r.pipeline(transaction=True) as pipe:
                pipe.hdel(key, identity)
                _people_changed(pipe, pass_id)
                await pipe.execute()
            return True
        return False

    async def set_quality(self, pass_id: str, person_id: str, level: str) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hset(f"{k_pass(pass_id)}:quality", person_id, level)
            _people_changed(pipe, pass_id)
            await pipe.execute()

    async def _read_people(self, pass_id: str) -> _People:
        """Presence, qualities and expected people, read again only once changed."""
        key = k_pass(pass_id)
        rev = await self.r.get(f"{key}:people")
        known = self._people.get(pass_id)
        if rev is not None and known is not None and known.rev == _bytes(rev):
            return known
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.set(f"{key}:people", _new_rev(), nx=True)  # the first read marks it
            pipe.get(f"{key}:people")
            pipe.hgetall(f"{key}:presence")
            pipe.hgetall(f"{key}:quality")
            pipe.hgetall(f"{key}:expected")
            _, rev, presence, qualities, expected = await pipe.execute()
        people = _People(_bytes(rev), _fields(presence), _fields(qualities),
                         {_str(k): _member(_bytes(v)) for k, v in expected.items()})
        if len(self._people) > _PEOPLE_KEPT:
            self._people.clear()
        self._people[pass_id] = people
        return people

    async def qualities(self, pass_id: str) -> dict[str, str]:
        return dict((await self._read_people(pass_id)).qualities)

    async def presence(self, pass_id: str) -> dict[str, str]:
        return dict((await self._read_people(pass_id)).presence)

    # -- attendance and who is expected ----------------------------------------

    def _attendance_keys(self, pass_id: str) -> list[str]:
        return [f"{k_pass(pass_id)}:attendance", f"{k_pass(pass_id)}:ended"]

    async def mark_joined(self, pass_id: str, person_id: str, at: float) -> None:
        await self._joined(keys=self._attendance_keys(pass_id), args=[person_id, f"{at:.3f}"])

    async def mark_left(self, pass_id: str, person_id: str, at: float) -> None:
        await self._left(keys=self._attendance_keys(pass_id), args=[person_id, f"{at:.3f}"])

    async def close_presence(self, pass_id: str,
                             at: float) -> tuple[float, dict[str, PresenceLog]]:
        ended, flat = await self._close(keys=self._attendance_keys(pass_id), args=[f"{at:.3f}"])
        logs = {}
        for i in range(0, len(flat), 2):
            first, since, total, last = _str(flat[i + 1]).split("|")
            logs[_str(flat[i])] = PresenceLog(float(first) if first else None,
                                              float(since) if since else None, float(total),
                                              float(last) if last else None)
        return float(_str(ended)), logs

    async def expect(self, pass_id: str, members: list[Member]) -> None:
        if members:
            async with self.r.pipeline(transaction=True) as pipe:
                pipe.hset(f"{k_pass(pass_id)}:expected",
                          mapping={m.id: pack(m) for m in members})
                _people_changed(pipe, pass_id)
                await pipe.execute()

    async def unexpect(self, pass_id: str, person_id: str) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hdel(f"{k_pass(pass_id)}:expected", person_id)
            _people_changed(pipe, pass_id)
            await pipe.execute()

    async def expected(self, pass_id: str) -> dict[str, Member]:
        return dict((await self._read_people(pass_id)).expected)

    # -- people and pairing history ------------------------------------------

    async def save_person(self, member: Member) -> None:
        await self.r.set(f"{PREFIX}person:{member.id}", pack(member))

    async def person(self, person_id: str) -> Member:
        raw = await self.r.get(f"{PREFIX}person:{person_id}")
        if raw is None:
            raise NotFound(f"no person {person_id!r}", code="unknown_person")
        return _member(_bytes(raw))

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

    async def _scan(self, pattern: str) -> list[str]:
        return sorted([_str(k) async for k in self.r.scan_iter(match=pattern, count=500)])

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
                    await self.r.set(f"{key.rsplit(':', 1)[0]}:people", _new_rev())
                removed += gone
        for key in await self._scan(f"{PREFIX}pass:*:help"):
            mine = [f for f in map(_str, await self.r.hkeys(key))
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
            doomed = [_bytes(entry_id or b"") for entry_id, fields in await self.r.xrange(key) or []
                      if any(n in _bytes(v) or n in _bytes(k) for k, v in (fields or {}).items()
                             for n in wanted)]
            if doomed:
                removed += int(await self.r.xdel(key, *doomed))
        return removed

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
        return _fields(await self.r.hgetall(f"{PREFIX}secret:{key}")) or None

    async def take_secret(self, key: str) -> dict[str, str] | None:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hgetall(f"{PREFIX}secret:{key}")
            pipe.delete(f"{PREFIX}secret:{key}")
            pipe.zrem(self._secret_index(key), key)
            raw, _, _ = await pipe.execute()
        return _fields(raw) or None

    async def secrets_under(self, prefix: str) -> dict[str, dict[str, str]]:
        index = self._secret_index(prefix)
        listed: list[bytes] = await self.r.zrangebyscore(  # type: ignore[assignment]
            index, int(time.time() * 1000), "+inf")
        keys = [key for key in (_str(k) for k in listed) if key.startswith(prefix)]
        async with self.r.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hgetall(f"{PREFIX}secret:{key}")
            found = await pipe.execute() if keys else []
        return {key: fields for key, raw in zip(keys, found) if (fields := _fields(raw))}

    # -- revocation ----------------------------------------------------------

    async def revoke(self, key: str, until: float) -> None:
        ttl_ms = max(1000, int((until - time.time()) * 1000))
        await self.r.set(f"{PREFIX}revoked:{key}", b"1", px=ttl_ms)

    async def revoked(self, keys: list[str]) -> bool:
        if not keys:
            return False
        return bool(await self.r.exists(*(f"{PREFIX}revoked:{k}" for k in keys)))

    # -- help requests -------------------------------------------------------

    async def put_help(self, request: HelpRequest) -> None:
        await self.r.hset(f"{k_pass(request.pass_id)}:help", request.id, pack(request))

    async def helps(self, pass_id: str) -> list[HelpRequest]:
        raw = await self.r.hvals(f"{k_pass(pass_id)}:help")
        return sorted((unpack(HelpRequest, _bytes(v)) for v in raw), key=lambda h: (h.at, h.id))

    # -- alerts and audit ----------------------------------------------------

    async def alert(self, code: AlertCode, message: str, **detail: str) -> Alert:
        at = f"{time.time():.3f}"
        entry: dict[Any, Any] = {"code": code, "message": message, "at": at, **detail}
        entry_id = await self._xadd(f"{PREFIX}alerts", entry)
        return Alert(_str(entry_id or b""), code, message, at, dict(detail))

    async def recent_alerts(self, count: int = 50) -> list[Alert]:
        raw = await self.r.xrevrange(f"{PREFIX}alerts", count=count)
        return [_alert(_str(i or b""), _fields(f)) for i, f in raw or []]

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
        return [_fields(f) for _, f in raw or []]

    async def pass_audit(self, pass_id: str) -> list[dict[str, str]]:
        raw = await self.r.xrange(f"{k_pass(pass_id)}:audit")
        return [_fields(f) for _, f in raw or []]


def _journal_entry(record: dict[str, Any]) -> JournalEntry:
    title = record.get("class") or {}
    return JournalEntry(str(record.get("kind", "")), str(record.get("pass", "")),
                        str(record.get("program", "")),
                        Text(str(title.get("sv", "")), str(title.get("en", ""))),
                        str(record.get("step", "")), record.get("value") or {},
                        float(record.get("at", 0)))


def _meetings(records: Any) -> list[Meeting]:
    return [Meeting(r["a"], r["b"], r["pass"], float(r["at"])) for r in records
            if r.get("a") != r.get("b")]


def _alert(entry_id: str, fields: dict[str, str]) -> Alert:
    code, message, at = fields.pop("code", ""), fields.pop("message", ""), fields.pop("at", "")
    return Alert(entry_id, code, message, at, fields)


__all__ = ["RedisStore", "pack", "unpack"]
