"""Stages of `onlive bench program` for the participant's side of the gym.

- ``year``: the shared synthetic year (``year.synthetic_year``): ``year_build_s``.
- ``min_traning``: the data of Min träning for one person, as ``GET /api/m``
  makes it (resolving the personal link, the reads, the page, the payload),
  for 200 people: ``min_traning_p95_ms`` (target <= 150 ms).
- ``archive``: an ended 1000-person pass moved from Redis (a redis-server of
  its own) to PostgreSQL: ``pass_archive_ms``, and the same again
  (idempotent, nothing added): ``pass_archive_again_ms``.
"""

from __future__ import annotations

import random
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import redis.asyncio as aioredis

from breakout import Meeting
from exercises.gym.ids import live_id
from exercises.state import Member, PassState, Phase
from orchestrator.adapters.postgres import PostgresRecords
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.gym.archive import PassArchiver
from orchestrator.gym.classes import ClassLibrary
from orchestrator.gym.links import PersonalLinks
from orchestrator.gym.mytraining import build_page
from orchestrator.root import procs
from orchestrator.root.bench.year import Year, _value, synthetic_year
from signalling import views

PAGE_SAMPLES = 200
PASS_SIZE = 1000


class BenchLike(Protocol):
    """What the stages use of ``program.Bench`` (kept apart so no import goes in a circle)."""

    records: PostgresRecords
    org: str
    people: int
    seed: int
    figures: dict[str, float]
    table: list[tuple[str, str, str]]
    data: dict[str, Any]


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


async def _year(b: BenchLike) -> Year:
    if "year" not in b.data:
        await stage_year(b)
    year: Year = b.data["year"]
    return year


async def stage_year(b: BenchLike) -> None:
    if not await b.records.pool.fetchval("SELECT count(*) FROM people WHERE org_id = $1",
                                         b.org):
        raise SystemExit("the year needs the roster: run the import stage first")
    year = await synthetic_year(b.records, b.org, seed=b.seed)
    b.data["year"] = year
    b.figures["year_build_s"] = round(year.seconds, 1)
    c = year.counts
    b.table.append(("a synthetic year: 50 classes x 4 sessions, 30 attended each",
                    f"{year.seconds:.1f} s",
                    f"{c['attendance']} attended, {c['archived_answers']} answers"))


async def stage_min_traning(b: BenchLike) -> None:
    year = await _year(b)
    links = PersonalLinks(b.records, "bench-secret-" + "x" * 40, "http://127.0.0.1:8080")
    rng = random.Random(b.seed)
    people = rng.sample(year.people, min(PAGE_SAMPLES, len(year.people)))
    tokens = [await links.issue(b.org, year.program_id, p) for p in people]
    now = year.now.timestamp()
    samples = []
    for token in tokens:
        start = time.perf_counter()
        holder = await links.resolve(token)
        facts = await b.records.training_facts(holder.org_id, holder.program_id,
                                               holder.employee_id)
        views.my_training(build_page(facts, now))
        samples.append((time.perf_counter() - start) * 1000)
    b.figures["min_traning_p95_ms"] = round(p95(samples), 1)
    b.figures["min_traning_median_ms"] = round(statistics.median(samples), 1)
    b.table.append((f"Min träning page data, {len(samples)} people", f"{p95(samples):.0f} ms",
                    "p95 <= 150 ms"))


async def _timed(run: Callable[[], Awaitable[None]]) -> float:
    start = time.perf_counter()
    await run()
    return (time.perf_counter() - start) * 1000


async def stage_archive(b: BenchLike) -> None:
    year = await _year(b)
    work = Path(tempfile.mkdtemp(prefix="onlive-bench-redis-"))
    port = procs.free_port()
    password = secrets.token_urlsafe(24)
    child = procs.start_redis(work, port, password=password, appendonly=False)
    client = aioredis.from_url(procs.redis_url(port, password))
    try:
        store = RedisStore(client)
        pass_id = year.future_sessions[0]
        row = await b.records.pool.fetchrow(
            "SELECT class_id, class_version, starts_at FROM sessions WHERE pass_id = $1", pass_id)
        assert row is not None
        await b.records.pool.execute("UPDATE sessions SET state = 'open' WHERE pass_id = $1",
                                     pass_id)
        script = await ClassLibrary(b.records).script(b.org, row["class_id"],
                                                      row["class_version"], {})
        rng = random.Random(b.seed)
        members = [Member(live_id(b.org, p), p) for p in year.people[:PASS_SIZE]]
        state = PassState(pass_id, live_id(b.org, year.program_id), script, f"onlive_{pass_id}",
                          phase=Phase.ENDED, roster={m.id: m for m in members})
        await store.create_pass(state)
        t0 = row["starts_at"].timestamp()
        for m in members:
            await store.mark_joined(pass_id, m.id, t0 + rng.uniform(-300, 300))
            if rng.random() < 0.1:
                await store.mark_left(pass_id, m.id, t0 + rng.uniform(600, 2400))
        for step in (s for s in script.steps if s.asks_answer):
            for i, m in enumerate(members):
                await store.store_answer(pass_id, step.id, m.id, f"c{i}", _value(step, rng),
                                         t0 + 600)
        order = [m.id for m in members]
        rng.shuffle(order)
        await store.append_history(state.program, [Meeting(a, c, pass_id, t0 + 900)
                                                   for a, c in zip(order[::2], order[1::2])])
        archiver = PassArchiver(b.records, store, clock=lambda: t0 + 3000)
        first = await _timed(lambda: archiver.archive_pass(state))
        again = await _timed(lambda: archiver.archive_pass(state))

        async def collect() -> None:
            await archiver.collect(state)

        reading = await _timed(collect)
        kept = await b.records.pool.fetchval(
            "SELECT count(*) FROM archived_answers WHERE pass_id = $1", pass_id)
    finally:
        await client.aclose()
        child.stop()
        shutil.rmtree(work, ignore_errors=True)
    b.figures["pass_archive_ms"] = round(first)
    b.figures["pass_archive_again_ms"] = round(again)
    b.figures["pass_archive_read_ms"] = round(reading)
    b.table += [(f"archive an ended {PASS_SIZE}-person pass ({kept} answers)",
                 f"{first:.0f} ms", ""),
                ("  of which reading it from Redis", f"{reading:.0f} ms", ""),
                ("  the same again (idempotent: nothing added)", f"{again:.0f} ms", "")]


STAGES = [("year", stage_year), ("min_traning", stage_min_traning), ("archive", stage_archive)]
