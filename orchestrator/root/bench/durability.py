"""``onlive bench durability``: what it costs that an acknowledged answer survives a host crash.

An answer is acknowledged once the live store has it. With Redis's AOF at
``appendfsync everysec`` a process crash loses nothing, but a host crash (power,
kernel) can lose the last second of acknowledged answers. The two ways out:

- ``always``: Redis fsyncs the AOF before it replies (group commit: one fsync
  per event-loop turn covers every client's writes of that turn);
- ``postgres``: each answer is also written through to PostgreSQL
  (``synchronous_commit = on``) before the ack.

For each of ``everysec`` (today's baseline), ``always`` and ``postgres`` it
starts its own server with its data on this disk, and sends answers at a
fixed rate (default 1,000/s for 10 s, open loop: answer i is due at
t0 + i / rate whatever came back) the way ``Participants.answer`` stores them
(the one write an ack waits for: the answer with its client id; reading the
pass beforehand is the same in every mode and left out, so that this
2-core machine's client can keep the rate). It measures each ack's
latency, the rate achieved and the store's CPU, and checks that every
acknowledged answer is there. Prints a table; the last line is one JSON
object: ``rate``, ``{mode}_p50_ms``, ``{mode}_p99_ms``, ``{mode}_max_ms``,
``{mode}_achieved_per_s``, ``{mode}_cpu_pct``, ``{mode}_lost``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import msgpack
import redis.asyncio as aioredis

from exercises.demo import demo_class
from exercises.state import PassState
from orchestrator.adapters.redis_answers import ANSWER_SCRIPT
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.root import procs
from orchestrator.root.bench.statedir import state_dir
from orchestrator.root.bench.switch import percentile
from orchestrator.settings import Settings

MODES = ("everysec", "always", "postgres")


@dataclass
class Outcome:
    latencies: list[float]  # ms, one per acknowledged answer
    wall: float
    failures: int
    cpu: float  # seconds of the store's CPU
    lost: int  # acknowledged answers not found afterwards


def _cpu_of(pid: int) -> float:
    """Seconds of CPU the process has used (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drive(rate: int, seconds: float,
                 answer: Callable[[int], Awaitable[None]]) -> tuple[list[float], float, int]:
    """Send ``rate`` answers a second for ``seconds``; ack latencies (ms), wall time, failures."""
    total = int(rate * seconds)
    latencies: list[float] = []
    failures = 0
    loop = asyncio.get_running_loop()
    t0 = loop.time()

    async def one(i: int) -> None:
        nonlocal failures
        due = t0 + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        start = loop.time()
        try:
            await answer(i)
        except Exception as error:  # noqa: BLE001 - a refused answer counts, it is not lost
            failures += 1
            if failures == 1:
                print(f"first failure: {error!r}", file=sys.stderr)
            return
        latencies.append((loop.time() - start) * 1000)

    await asyncio.gather(*(one(i) for i in range(total)))
    return latencies, loop.time() - t0, failures


def _resp(*parts: bytes) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(out)


async def _lean_drive(port: int, password: str, sha: bytes, rate: int, seconds: float,
                      connections: int = 8) -> tuple[list[float], float, int]:
    """Open-loop EVALSHA of the answer script over a few raw connections: a lean
    client, so that what is measured is the store (and its fsync), not redis-py's
    CPU on a shared 2-core machine."""
    loop = asyncio.get_running_loop()
    total = int(rate * seconds)
    latencies: list[float] = []
    failures = 0
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(connections)]
    for reader, writer in conns:  # onlive's Redis knows one password user (procs.REDIS_USER)
        writer.write(_resp(b"AUTH", procs.REDIS_USER.encode(), password.encode()))
        if await reader.readline() != b"+OK\r\n":
            raise RuntimeError("the benchmark's Redis refused its password")
    pending: list[list[float]] = [[] for _ in conns]

    async def read(index: int) -> None:
        nonlocal failures
        reader = conns[index][0]
        for _ in range(total // connections + (1 if index < total % connections else 0)):
            line = await reader.readline()
            started = pending[index].pop(0)
            if line[:1] == b":":
                latencies.append((loop.time() - started) * 1000)
            else:
                failures += 1
    readers = [asyncio.create_task(read(i)) for i in range(len(conns))]
    t0 = loop.time()
    sent = 0
    while sent < total:
        due = min(total, int((loop.time() - t0) * rate) + 1)
        while sent < due:
            i = sent
            index = i % connections
            record = msgpack.packb({"cid": f"c{i}", "value": {"scale": i % 5},
                                    "at": time.time()}, use_bin_type=True)
            pending[index].append(loop.time())
            conns[index][1].write(_resp(b"EVALSHA", sha, b"1", b"onlive:pass:bench:answers:s",
                                        f"p{i}".encode(), f"c{i}".encode(), record))
            sent += 1
        await asyncio.sleep(0.001)
    await asyncio.gather(*readers)
    wall = loop.time() - t0
    for _, writer in conns:
        writer.close()
    return latencies, wall, failures


async def _redis_mode(mode: str, rate: int, seconds: float, work: Path) -> Outcome:
    port = procs.free_port()
    password = secrets.token_urlsafe(24)
    async with AsyncExitStack() as stack:  # stopped in reverse, however it ends
        child = procs.start_redis(work / f"redis-{mode}", port, password=password, fsync=mode)
        stack.callback(child.stop)
        client = aioredis.from_url(procs.redis_url(port, password))
        stack.push_async_callback(client.aclose)
        store = RedisStore(client)
        raw = await client.script_load(ANSWER_SCRIPT)
        sha = raw.encode() if isinstance(raw, str) else bytes(raw)
        cpu0 = _cpu_of(child.pid)
        latencies, wall, failures = await _lean_drive(port, password, sha, rate, seconds)
        cpu = _cpu_of(child.pid) - cpu0
        stored = await store.answers("bench", "s")
        total = int(rate * seconds)
        lost = sum(1 for i in range(total) if stored.get(f"p{i}", {}).get("cid") != f"c{i}") \
            - failures
        return Outcome(latencies, wall, failures, cpu, lost)


async def _postgres_mode(rate: int, seconds: float, work: Path) -> Outcome:
    password = procs.load_or_create_password(work / "pg-password")
    port = procs.free_port()
    redis_port = procs.free_port()
    redis_password = secrets.token_urlsafe(24)
    async with AsyncExitStack() as stack:  # stopped in reverse, however it ends
        child = procs.start_postgres(work / "postgres", port, password,
                                     bin_dir=Settings.from_env().postgres_bin)
        stack.callback(child.stop)
        pool = await asyncpg.create_pool(procs.postgres_url(port, password), min_size=10,
                                         max_size=20)
        stack.push_async_callback(pool.close)
        redis_child = procs.start_redis(work / "redis-pg", redis_port, password=redis_password,
                                        fsync="everysec")
        stack.callback(redis_child.stop)
        client = aioredis.Redis(connection_pool=aioredis.BlockingConnectionPool.from_url(
            procs.redis_url(redis_port, redis_password), max_connections=100, timeout=30))
        stack.push_async_callback(client.aclose)
        await pool.execute("""CREATE TABLE answers (pass_id text, step_id text, person_id text,
            client_id text, value jsonb, at double precision,
            PRIMARY KEY (pass_id, step_id, person_id, client_id))""")
        store = RedisStore(client)
        await store.create_pass(PassState(id="bench", program="bench", script=demo_class(),
                                          main_room="m"))
        cpu0 = _cpu_of(child.pid)

        async def answer(i: int) -> None:
            value = {"scale": i % 5}
            await pool.execute(
                "INSERT INTO answers VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                "bench", "check-in", f"p{i}", f"c{i}", json.dumps(value), time.time())
            await store.store_answer("bench", "check-in", f"p{i}", f"c{i}", value, time.time())

        latencies, wall, failures = await _drive(rate, seconds, answer)
        cpu = _cpu_of(child.pid) - cpu0  # the postmaster only; backends are its children
        count = await pool.fetchval("SELECT count(*) FROM answers")
        lost = int(rate * seconds) - failures - int(count)
        return Outcome(latencies, wall, failures, cpu, lost)


async def bench(rate: int, seconds: float, modes: list[str], work: Path) -> dict[str, float]:
    figures: dict[str, float] = {"rate": rate, "seconds": seconds}
    for mode in modes:
        if mode == "postgres":
            out = await _postgres_mode(rate, seconds, work)
        else:
            out = await _redis_mode(mode, rate, seconds, work)
        lat = out.latencies
        figures[f"{mode}_p50_ms"] = round(percentile(lat, 0.5), 2)
        figures[f"{mode}_p99_ms"] = round(percentile(lat, 0.99), 2)
        figures[f"{mode}_max_ms"] = round(max(lat, default=float("nan")), 2)
        figures[f"{mode}_achieved_per_s"] = round(len(lat) / out.wall, 1)
        figures[f"{mode}_failed"] = out.failures
        figures[f"{mode}_lost"] = out.lost
        if mode != "postgres":
            figures[f"{mode}_cpu_pct"] = round(100 * out.cpu / out.wall, 1)
    return figures


def run(argv: list[str]) -> int:
    """Entry point of ``onlive bench durability``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="onlive bench durability")
    parser.add_argument("--rate", type=int, default=1000, help="answers a second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--mode", action="append", choices=MODES,
                        help="measure only these (default: all)")
    args = parser.parse_args(argv)
    # On this disk, not a tmpfs: an fsync must reach the device to be measured.
    with state_dir("onlive-durability-", "/var/tmp") as tmp:
        figures = asyncio.run(bench(args.rate, args.seconds, args.mode or list(MODES),
                                    Path(tmp)))
    print(f"{'store':10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'acks/s':>8} "
          f"{'failed':>7} {'lost':>5} {'CPU %':>6}")
    for mode in args.mode or MODES:
        f = {k.removeprefix(f"{mode}_"): v for k, v in figures.items() if k.startswith(mode)}
        print(f"{mode:10} {f['p50_ms']:>8} {f['p99_ms']:>8} {f['max_ms']:>8} "
              f"{f['achieved_per_s']:>8} {f['failed']:>7} {f['lost']:>5} "
              f"{f.get('cpu_pct', '-'):>6}")
    print(json.dumps(figures))
    return 0
