"""Pass snapshots in Redis, under optimistic concurrency (a part of ``RedisStore``).

``pass:{id}`` holds the msgpack ``PassState`` without its roster and who is
present, written only under ``WATCH``/``MULTI``, or by a script that writes
only while the key holds the bytes this process last read or wrote
(``redis_cas``: one round trip instead of three), so that one writer wins per
version; ``pass:{id}:roster`` and ``pass:{id}:present`` hold those two, and
each write sends only what changed. A process keeps its last few decoded
states of a pass, and a read that meets stored bytes it knows decodes
nothing again. A read that meets a newer version (another worker wrote it)
replays that worker's roster and presence changes from ``pass:{id}:changes``,
written in the same transaction as each snapshot, onto the newest state it
knows, instead of reading the whole roster again: with several workers a join
then costs the same at n = 10 and n = 1000 on every worker. A gap in that log
(trimmed, erased, or a state this process never saw) means one whole read, as
before. Also here: the set of live passes, and an ended pass's keys expiring.

The deadline index (``timers``, read by ``orchestrator.scheduler``) is
written in the same transaction as the snapshot whose next deadline moved, so
it always says what the stored pass has due next: written afterwards, by each
change's effects, two changes close together (time up as the facilitator
extends) could write it in the wrong order and leave the later deadline
unset, and a worker killed between the two writes left it unset too.

Errors: ``NotFound`` (no such pass), ``Conflict`` (the pass exists already,
or it changed under too many attempts in a row).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from dataclasses import fields, replace
from itertools import compress
from operator import is_not
from typing import Any

import msgpack
import redis.asyncio as aioredis
from redis.exceptions import WatchError

from exercises.reducer import next_deadline
from exercises.script import ClassScript
from exercises.state import PassPresent, PassRoster, PassState
from orchestrator.adapters.redis_cas import MAX_ARGS as CAS_MAX_ARGS
from orchestrator.adapters.redis_cas import CompareAndSet, Writes
from orchestrator.adapters.redis_keys import (
    PREFIX,
    STREAM_MAXLEN,
    RedisPart,
    as_bytes,
    as_str,
    decode_member,
    k_pass,
    pack_member,
    unpack,
)
from orchestrator.adapters.redis_presence import (
    JOINED,
    JOINED_SCRIPT,
    attendance_args,
    attendance_keys,
)
from orchestrator.codec import to_plain
from orchestrator.errors import Conflict, NotFound
from orchestrator.ports import Applied, Step

MAX_CAS_ATTEMPTS = 50
#: Roster and presence changes kept per pass for other workers to replay
#: (``pass:{id}:changes``); a worker further behind reads the roster whole.
CHANGES_KEPT = 256
#: The snapshot KEYS[1] (unless ARGV[3] is '0': the caller has it) and the entries
#: of its change log KEYS[2] (newest first) back to the one written on top of
#: version ARGV[1]; no entries when the newest ARGV[2] do not reach back that far.
#: Read a few at a time: a worker is usually one or two writes behind.
_SINCE = """
local function snapshot()
  if ARGV[3] == '0' then return false end
  return redis.call('get', KEYS[1])
end
local wanted, last, left = {}, '+', tonumber(ARGV[2])
while left > 0 do
  local chunk = redis.call('xrevrange', KEYS[2], last, '-', 'COUNT', math.min(8, left))
  if #chunk == 0 then break end
  for _, entry in ipairs(chunk) do
    wanted[#wanted + 1] = entry
    local fields = entry[2]
    for j = 1, #fields, 2 do
      if fields[j] == 'p' and fields[j + 1] == ARGV[1] then
        return {snapshot(), wanted}
      end
    end
  end
  left = left - #chunk
  last = '(' .. chunk[#chunk][1]
end
return {snapshot(), {}}
"""
#: Recent snapshots of a pass each process keeps decoded (``PassSnapshots._cached``).
STATES_KEPT = 4
#: Plain forms of the class scripts of running passes: a script changes only
#: when a facilitator edits a step, and turning it into plain data is most of
#: what writing a snapshot costs. Keyed by identity; the script is kept alive.
_SCRIPTS: dict[int, tuple[ClassScript, Any]] = {}


def _plain_script(script: ClassScript) -> Any:
    hit = _SCRIPTS.get(id(script))
    if hit is not None and hit[0] is script:
        return hit[1]
    if len(_SCRIPTS) > 64:
        _SCRIPTS.clear()
    plain = to_plain(script)
    _SCRIPTS[id(script)] = (script, plain)
    return plain


def _known_script(core: PassState, known: PassState | None) -> PassState:
    """``core`` (a snapshot just decoded) holding ``known``'s class script object when
    the two scripts are equal. A snapshot another worker wrote decodes to a new
    script every time; kept as it came, each would be turned into plain data again
    when this worker next writes (``_plain_script``, ~40 times the comparison's
    cost) and kept alive there, a copy per version."""
    if known is not None and core.script is not known.script and core.script == known.script:
        return replace(core, script=known.script)
    return core


def _core(state: PassState) -> bytes:
    """The snapshot as stored: everything but the roster and who is present."""
    plain = {f.name: to_plain(getattr(state, f.name)) for f in fields(state)
             if f.name not in ("script", "roster", "present")}
    plain.update(script=_plain_script(state.script), roster={}, present=[])
    return msgpack.packb(plain, use_bin_type=True)  # type: ignore[no-any-return]


def _changed_keys(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The keys of ``new`` whose value is not the very object ``old`` has (new or
    replaced). The reducer copies the roster and replaces one or two members, so
    identity tells what changed; the walk is done by C iterators (at a thousand
    people a comprehension was a tenth of a join's time on the worker)."""
    return list(compress(new, map(is_not, new.values(), map(old.get, new))))


def _people_writes(pipe: Any, key: str, before: PassState | None,
                   after: PassState) -> dict[Any, Any]:
    """Queue the roster and presence changes from ``before`` to ``after``; returns
    them as the fields of their entry in the change log (``_replay`` reads it)."""
    changed: dict[str, bytes] = {}
    gone: list[str] = []
    added: Collection[str] = ()
    removed: Collection[str] = ()
    if before is None or after.roster is not before.roster:
        old = before.roster if before is not None else {}
        # A join sets one member of a copy of the roster, and says which (O(1));
        # a roster from anywhere else is compared with the one before. So with
        # who is present: a join or leave says who came or went.
        keys = after.roster.set_since(old) if isinstance(after.roster, PassRoster) else None
        changed = {k: pack_member(after.roster[k])
                   for k in (_changed_keys(old, after.roster) if keys is None else keys)}
        if changed:
            pipe.hset(f"{key}:roster", mapping=changed)
        # Kept + new = after: only when fewer were kept than before did someone go.
        if len(after.roster) - sum(1 for k in changed if k not in old) < len(old):
            gone = list(old.keys() - after.roster.keys())
            pipe.hdel(f"{key}:roster", *gone)
    if before is None or after.present is not before.present:
        old_present = before.present if before is not None else frozenset()
        moved = after.present.moved_since(old_present) \
            if isinstance(after.present, PassPresent) else None
        added, removed = (after.present - old_present, old_present - after.present) \
            if moved is None else moved
        if added:
            pipe.sadd(f"{key}:present", *added)
        if removed:
            pipe.srem(f"{key}:present", *removed)
    return {"v": str(after.version).encode(),
            "p": str(before.version if before is not None else -1).encode(),
            "people": msgpack.packb([changed, gone, sorted(added), sorted(removed)],
                                    use_bin_type=True)}


def _deadline_write(pipe: Any, pass_id: str, due: float | None) -> None:
    """Queue the deadline index's entry of ``pass_id``: ``due``, or none."""
    if due is None:
        pipe.zrem(f"{PREFIX}timers", pass_id)
    else:
        pipe.zadd(f"{PREFIX}timers", {pass_id: due})


def _side_writes(pipe: Any, key: str, before: PassState, after: PassState,
                 audit: dict[str, Any] | None) -> None:
    """Queue what an update writes besides the snapshot: the roster and presence
    changes, their change-log entry, the deadline index when the next deadline
    moved and the audit entry."""
    pipe.xadd(f"{key}:changes", _people_writes(pipe, key, before, after),
              maxlen=CHANGES_KEPT, approximate=True)
    due = next_deadline(after)
    if due != next_deadline(before):
        _deadline_write(pipe, after.id, due)
    if audit is not None:
        entry: dict[Any, Any] = {"version": str(after.version),
                                 **{k: str(v) for k, v in audit.items()}}
        pipe.xadd(f"{key}:audit", entry, maxlen=STREAM_MAXLEN, approximate=True)


def _replay(base: PassState, core: PassState, entries: Any) -> PassState | None:
    """The stored snapshot ``core`` (no roster, no presence) with the roster and
    presence of ``base`` carried forward by the change-log ``entries`` (newest
    first; any written after ``core`` was read are passed over), or None when they
    do not lead from ``base``'s version to ``core``'s without a gap."""
    chain: list[bytes] = []
    want, since = core.version, base.version
    if want <= since:
        return None
    for _, entry in entries or ():
        version = int(entry[b"v"])
        if not chain and version > want:
            continue
        if version != want:
            return None
        chain.append(entry[b"people"])
        want = int(entry[b"p"])
        if want == since:
            break
    else:
        return None
    roster = dict(base.roster)
    present = set(base.present)
    for packed in reversed(chain):
        changed, gone, added, removed = msgpack.unpackb(packed, raw=False)
        for person, member in changed.items():
            roster[person] = decode_member(member)
        for person in gone:
            roster.pop(person, None)
        present.update(added)
        present.difference_update(removed)
    return replace(core, roster=roster, present=frozenset(present))


class PassSnapshots(RedisPart):
    """Pass snapshots, the roster and who is present; live passes."""

    def __init__(self, client: aioredis.Redis) -> None:
        super().__init__(client)
        # Writers to one pass inside this process queue up here, so the
        # optimistic transaction only ever races writers in other workers.
        self._writers: weakref.WeakValueDictionary[str, asyncio.Lock] = \
            weakref.WeakValueDictionary()
        # The last few states of each pass this process read or wrote, with their
        # stored snapshot bytes: while the stored bytes are the same (the version
        # did not move), the roster and presence are too, and nothing is decoded
        # again. A few, not one: during a burst of joins a read often returns the
        # version just before the one this process has written meanwhile.
        self._states: dict[str, list[tuple[bytes, PassState]]] = {}
        # The write of each pass this process has sent and not yet remembered (a
        # read that meets its bytes waits for it instead of reading the roster).
        self._writing: dict[str, asyncio.Future[None]] = {}
        self._cas = CompareAndSet({"joined": JOINED})
        self._joined = client.register_script(JOINED_SCRIPT)
        self._since = client.register_script(_SINCE)

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

    def _newest(self, pass_id: str) -> PassState | None:
        kept = self._states.get(pass_id)
        return max((state for _, state in kept), key=lambda s: s.version) if kept else None

    async def _catch_up(self, pipe: Any, key: str, pass_id: str, raw: bytes) -> PassState:
        """Under ``WATCH``: the stored state, replayed or (when that fails) read whole."""
        replayed = await self._replayed(pipe, key, pass_id, raw)
        if replayed is not None:
            return replayed[1]
        return self._assemble(raw, await pipe.hgetall(f"{key}:roster"),
                              await pipe.smembers(f"{key}:present"), self._newest(pass_id))

    async def _replayed(self, client: Any, key: str, pass_id: str,
                        watched: bytes | None = None) -> tuple[bytes, PassState] | None:
        """The stored snapshot (``watched``, when the caller read it under ``WATCH``)
        and its state: the newest state this process knows carried forward by the
        change-log entries written since (one script call returns the snapshot and
        just those entries: a worker behind by one join reads one entry, not the
        whole log); None when nothing is known or the log no longer reaches back
        that far."""
        base = self._newest(pass_id)
        if base is None:
            return None
        raw, entries = await self._since(
            keys=[key, f"{key}:changes"],
            args=[base.version, CHANGES_KEPT, "0" if watched is not None else "1"],
            client=client)
        raw = watched if watched is not None else raw
        if raw is None:
            raise NotFound(f"no pass {pass_id!r}", code="unknown_pass")
        raw = as_bytes(raw)
        cached = self._cached(pass_id, raw)
        if cached is not None:
            return raw, cached
        replayed = _replay(base, _known_script(unpack(PassState, raw), base),
                           [(entry_id, dict(zip(flat[::2], flat[1::2], strict=True)))
                            for entry_id, flat in entries])
        return None if replayed is None else (raw, replayed)

    def _remember(self, pass_id: str, raw: bytes, state: PassState) -> PassState:
        """Keep ``state`` as the one stored as ``raw`` (once: a state kept already stays)."""
        known = self._cached(pass_id, raw)
        if known is not None:
            return known
        kept = self._states.setdefault(pass_id, [])
        kept.append((raw, state))
        if len(kept) > STATES_KEPT:
            del kept[0]
        return state

    @staticmethod
    def _assemble(raw: bytes, roster: Any, present: Any, known: PassState | None) -> PassState:
        core = _known_script(unpack(PassState, raw), known)
        return replace(core, roster={as_str(k): decode_member(as_bytes(v)) for k, v in roster.items()},
                       present=frozenset(as_str(m) for m in present))

    async def load(self, pass_id: str) -> PassState:
        return await self.loaded(pass_id, await self.r.get(k_pass(pass_id)))

    async def loaded(self, pass_id: str, raw: Any) -> PassState:
        """The pass whose snapshot key held ``raw`` (None: there is no such pass), from
        what this process keeps when it can, else with the roster read or replayed."""
        key = k_pass(pass_id)
        if raw is None:
            self._states.pop(pass_id, None)
            raise NotFound(f"no pass {pass_id!r}", code="unknown_pass")
        cached = self._cached(pass_id, as_bytes(raw))
        if cached is not None:
            return cached
        writing = self._writing.get(pass_id)
        if writing is not None:
            # Often our own write, stored but not yet remembered: wait for it.
            await asyncio.wait({writing})
            cached = self._cached(pass_id, as_bytes(raw))
            if cached is not None:
                return cached
        # Someone else wrote it: replay their changes onto the newest state this
        # process knows, or else read the three keys as one; then keep it.
        replayed = await self._replayed(self.r, key, pass_id)
        if replayed is not None:
            return self._remember(pass_id, *replayed)
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.get(key)
            pipe.hgetall(f"{key}:roster")
            pipe.smembers(f"{key}:present")
            raw, roster, present = await pipe.execute()
        if raw is None:
            raise NotFound(f"no pass {pass_id!r}", code="unknown_pass")
        raw = as_bytes(raw)
        return self._remember(pass_id, raw, self._assemble(raw, roster, present,
                                                           self._newest(pass_id)))

    async def update(self, pass_id: str, step: Step, *,
                     audit: dict[str, Any] | None = None,
                     attending: tuple[str, float] | None = None) -> Applied:
        """Load, apply ``step``, and store if the version did not move meanwhile.

        ``step`` is pure and may raise (nothing is written then). Lost races
        are retried against the newer state; the roster and presence changes,
        the deadline index and audit entry are written in the same
        transaction as the snapshot, and only what changed is written. With
        ``attending`` (person, at), that person's attendance stay opens at ``at``
        (unless one is open) in the same transaction, also when the step changed
        nothing.
        """
        lock = self._writers.get(pass_id)
        if lock is None:
            lock = self._writers[pass_id] = asyncio.Lock()
        async with lock:
            return await self._update(pass_id, step, audit, attending)

    async def _update(self, pass_id: str, step: Step, audit: dict[str, Any] | None,
                      attending: tuple[str, float] | None) -> Applied:
        key = k_pass(pass_id)
        kept = self._states.get(pass_id)
        if kept:
            applied = await self._swap(pass_id, key, *kept[-1], step, audit, attending)
            if applied is not None:
                return applied
        for _ in range(MAX_CAS_ATTEMPTS):
            async with self.r.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw is None:
                        raise NotFound(f"no pass {pass_id!r}", code="unknown_pass")
                    raw = as_bytes(raw)
                    before = self._cached(pass_id, raw)
                    if before is None:
                        before = self._remember(pass_id, raw,
                                                await self._catch_up(pipe, key, pass_id, raw))
                    after, effects = step(before)
                    if after is before:
                        await pipe.unwatch()  # type: ignore[no-untyped-call]
                        if attending is not None:
                            await self._attend(self.r, pass_id, attending)
                        return Applied(before, before, effects)
                    stored = _core(after)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(key, stored)
                    _side_writes(pipe, key, before, after, audit)
                    if attending is not None:
                        await self._attend(pipe, pass_id, attending)  # queued in the transaction
                    async with self._storing(pass_id):
                        await pipe.execute()
                        self._remember(pass_id, stored, after)
                    return Applied(before, after, effects)
                except WatchError:
                    continue
        raise Conflict(f"pass {pass_id!r} is too busy to change right now; try again")

    async def _swap(self, pass_id: str, key: str, raw: bytes, before: PassState, step: Step,
                    audit: dict[str, Any] | None,
                    attending: tuple[str, float] | None) -> Applied | None:
        """``step`` applied to the state this process read or wrote last, stored in one
        round trip if nobody wrote since (``redis_cas``); None when someone did, when
        the step refused that state (it may be out of date), or when the writes are too
        large for one call: the caller then reads and watches."""
        try:
            after, effects = step(before)
        except Exception:  # noqa: BLE001 - judged again against the stored state
            return None
        writes = Writes()
        if attending is not None:
            writes.call("joined", attendance_keys(pass_id), attendance_args(*attending))
        if after is before:
            current = await self._cas(self.wire, key, raw, None, writes)
            return Applied(before, before, effects) if current else None
        _side_writes(writes, key, before, after, audit)
        if writes.size() > CAS_MAX_ARGS:
            return None
        stored = _core(after)
        async with self._storing(pass_id):
            if not await self._cas(self.wire, key, raw, stored, writes):
                return None
            self._remember(pass_id, stored, after)
        return Applied(before, after, effects)

    async def settle_deadline(self, pass_id: str) -> None:
        """Set the deadline index to what the stored pass has due next, read and
        written as one (a change stored meanwhile has set it with its own write)."""
        key = k_pass(pass_id)
        for _ in range(MAX_CAS_ATTEMPTS):
            async with self.r.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    _deadline_write(pipe, pass_id, None if raw is None else
                                    next_deadline(unpack(PassState, as_bytes(raw))))
                    await pipe.execute()
                    return
                except WatchError:
                    continue

    async def _attend(self, client: Any, pass_id: str, attending: tuple[str, float]) -> None:
        """The attendance mark of ``attending`` (person, at), sent or queued on ``client``."""
        await self._joined(keys=attendance_keys(pass_id), args=attendance_args(*attending),
                           client=client)

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
        return sorted(as_str(m) for m in await self.r.smembers(f"{PREFIX}passes"))

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
