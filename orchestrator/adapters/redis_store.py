"""The Redis store (implements ``orchestrator.ports.Store``): pass snapshots
with optimistic concurrency, answers, presence, pairing history, people,
timers, leases, alerts and audit streams.

It is made of parts, one per reason to change, each in a module of its own
over the client and codec of ``redis_keys``: ``redis_passes`` (snapshots under
optimistic concurrency, live passes), ``redis_timers`` (deadlines and leases),
``redis_presence`` (presence, quality, attendance, who is expected),
``redis_answers`` (answers, journals, help requests), ``redis_people``
(person records, pairing history, one person's export and erasure) and
``redis_ops`` (alerts, audit, secrets, revocations).

Keys (prefix ``onlive:``):

- ``pass:{id}`` msgpack ``PassState`` without its roster and presence (carries
  ``version``); written only under ``WATCH``/``MULTI`` (or its one-call twin,
  ``redis_cas``) so that one writer wins per version. Every write that changes
  the two sets below writes this key too (the version moves), so watching it
  guards all three.
- ``pass:{id}:roster`` hash person -> msgpack ``Member``; ``pass:{id}:present``
  set of people present. A join writes one field and one member, so its cost
  does not grow with the pass. ``pass:{id}:changes`` stream of each write's
  roster and presence changes (the newest 256; fields ``v``, ``p`` the version
  before, ``people``): another worker replays them instead of reading the
  whole roster. Erasing a person deletes these logs (they may carry a name).
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

import redis.asyncio as aioredis

from orchestrator.adapters.redis_answers import Answers
from orchestrator.adapters.redis_keys import k_pass
from orchestrator.adapters.redis_ops import OpsRecords, revoked_keys
from orchestrator.adapters.redis_passes import PassSnapshots
from orchestrator.adapters.redis_people import PeopleRecords, person_from, person_key
from orchestrator.adapters.redis_presence import Presence
from orchestrator.adapters.redis_timers import Deadlines
from orchestrator.adapters.redis_wire import Command, Wire
from orchestrator.ports import Admission


class RedisStore(PassSnapshots, Deadlines, Presence, Answers, PeopleRecords, OpsRecords):
    """The live store of every running pass: all its parts over one client.

    ``history_max``: meetings kept per program's pairing history;
    ``stream_retention_days``: how long alert and audit entries stay; ``wire``:
    what a join's admission and snapshot write go through (``redis_wire``; the
    client's pipeline when not given; its owner closes it).
    """

    def __init__(self, client: aioredis.Redis, *, history_max: int = 50_000,
                 stream_retention_days: int = 90, wire: Wire | None = None) -> None:
        self.history_max = history_max
        self.stream_retention_s = stream_retention_days * 24 * 3600
        super().__init__(client)
        if wire is not None:
            self.wire = wire

    async def admission(self, pass_id: str, person_id: str,
                        revocation_keys: list[str]) -> Admission:
        """A participant's connection reads three things (is the credential revoked,
        the pass, the person) in one round trip instead of three."""
        reads: list[Command] = [("GET", k_pass(pass_id)), ("GET", person_key(person_id))]
        if revocation_keys:
            reads.insert(0, ("EXISTS", *revoked_keys(revocation_keys)))
        *revoked, raw, person = await self.wire.execute(*reads)
        refused = bool(revoked and revoked[0])
        state = None if refused or raw is None else await self.loaded(pass_id, raw)
        return Admission(refused, state, None if person is None else person_from(person_id, person))


__all__ = ["RedisStore"]
