"""What the live benchmarks (``fanout``, ``join``, ``breakout``) share.

``Services`` starts redis-server, PostgreSQL and livekit-server on free
loopback ports and one or more ``onlive serve`` workers as child processes
(so their CPU and memory are read from ``/proc`` alone); ``Node`` drives the
load generator in ``web/bench/load.mjs`` (socket.io-client participants with
the msgpack parser, each with its own ticket, in one Node process) over JSON
lines. Figures are ratios against a Node reference measured in the same run,
since the machine is shared and absolute times are noisy.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exercises.script import ClassScript
from exercises.state import Member
from orchestrator.root import procs
from orchestrator.settings import Settings

BENCH_DIR = Path(__file__).resolve().parents[3] / "web" / "bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") / 1024


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def cpu_ms(pid: int) -> float:
    """User + system CPU of a process so far, in milliseconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / CLOCK_TICKS


def rss_kb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1])
    return float("nan")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def node_binary() -> str:
    node = shutil.which("node")
    if node is None or not (BENCH_DIR / "node_modules" / "socket.io").exists():
        raise SystemExit("the benchmarks need Node and web/bench's npm packages: run "
                         "scripts/setup.sh (or `cd web/bench && npm ci`)")
    return node


class Node:
    """The load generator: one Node process, commands and replies as JSON lines."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls) -> Node:
        proc = await asyncio.create_subprocess_exec(
            node_binary(), "--max-old-space-size=4096", str(BENCH_DIR / "load.mjs"),
            cwd=BENCH_DIR, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=64 * 1024 * 1024)
        return cls(proc)

    async def call(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps({"op": op, **args}) + "\n").encode())
        await self.proc.stdin.drain()
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the load generator exited ({op})")
        out: dict[str, Any] = json.loads(line)
        if not out.get("ok"):
            raise RuntimeError(f"load generator {op} failed: {out.get('error')}")
        return out

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.call("close"), 20)
        except Exception:  # noqa: BLE001 - tearing down anyway
            pass
        if self.proc.returncode is None:
            self.proc.terminate()
        await self.proc.wait()


@dataclass
class Services:
    """Redis, PostgreSQL, LiveKit and ``workers`` orchestrators on loopback."""

    work_dir: Path
    workers: int = 1
    children: list[procs.Child] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)  # settings a bench needs

    def start(self) -> None:
        keys = procs.load_or_create_keys(self.work_dir / "keys.json")
        redis_port, lk_port = procs.free_port(), procs.free_port()
        udp = procs.free_port(socket.SOCK_DGRAM)
        ports = [procs.free_port() for _ in range(self.workers)]
        try:
            redis_password = procs.load_or_create_password(self.work_dir / "redis-password")
            self.children.append(procs.start_redis(self.work_dir / "redis", redis_port,
                                                   password=redis_password, appendonly=False))
            pg_port = procs.free_port()
            pg_password = procs.load_or_create_password(self.work_dir / "pg-password")
            self.children.append(procs.start_postgres(
                self.work_dir / "postgres", pg_port, pg_password,
                bin_dir=Settings.from_env().postgres_bin, durable=False))
            binary = (Path(os.environ["ONLIVE_LIVEKIT_BIN"]) if "ONLIVE_LIVEKIT_BIN" in os.environ
                      else Settings().livekit_bin)
            self.children.append(procs.start_livekit(
                binary, self.work_dir / "livekit", port=lk_port, udp_port=udp, keys=keys,
                webhook_url=f"http://127.0.0.1:{ports[0]}/webhooks/livekit"))
            base = {k: v for k, v in os.environ.items() if not k.startswith("ONLIVE_")}
            base.update({
                "ONLIVE_REDIS_URL": procs.redis_url(redis_port, redis_password),
                "ONLIVE_LIVEKIT_URL": f"ws://127.0.0.1:{lk_port}",
                "ONLIVE_LIVEKIT_API_KEY": keys.key, "ONLIVE_LIVEKIT_API_SECRET": keys.secret,
                "ONLIVE_STATE_DIR": str(self.work_dir / "state"), "ONLIVE_LOG_LEVEL": "WARNING",
                "ONLIVE_DATABASE_URL": procs.postgres_url(pg_port, pg_password),
                "ONLIVE_ALLOWED_ORIGINS": ",".join(f"http://127.0.0.1:{p}" for p in ports),
                "ONLIVE_TOKEN_TTL": "900",
                **self.extra_env,
            })
            self.env = base
            for i, port in enumerate(ports):
                env = {**base, "ONLIVE_PORT": str(port)}
                self.children.append(procs.start_orchestrator(
                    env, self.work_dir / f"orchestrator-{i}.log", timeout=60))
                self.urls.append(f"http://127.0.0.1:{port}")
        except BaseException:
            self.stop()
            raise

    @property
    def worker_pids(self) -> list[int]:
        return [c.pid for c in self.children if c.name == "onlive serve"]

    def settings(self) -> Settings:
        return Settings.from_env({**self.env, "ONLIVE_PORT": self.urls[0].rsplit(":", 1)[1]})

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
            if child.name == "onlive serve":
                errors = [line for line in child.tail(100_000).splitlines()
                          if '"level": "error"' in line]
                for line in errors[-3:]:
                    print(f"worker error ({len(errors)} in all): {line[:1500]}", file=sys.stderr)
        self.children.clear()


@asynccontextmanager
async def started(services: Services) -> AsyncIterator[Node]:
    """``services`` started and the load generator; both stopped however the block
    ends (an error, Ctrl-C, ``onlive bench`` stopped by SIGTERM)."""
    services.start()
    try:
        node = await Node.start()
        try:
            yield node
        finally:
            await node.stop()
    finally:
        services.stop()


@dataclass(frozen=True)
class PassSetup:
    pass_id: str
    tickets: list[str]
    facilitator: str
    ops: str


def people(n: int) -> list[Member]:
    departments = ("IT", "HR", "Ekonomi", "Sälj", "Drift")
    sites = ("Umeå", "Malmö", "Luleå")
    return [Member(f"p{i:04d}", f"Deltagare {i}", departments[i % 5], sites[i % 3])
            for i in range(n)]


async def make_pass(settings: Settings, script: ClassScript, n: int) -> PassSetup:
    """A pass with ``n`` invited people, their tickets and the credentials."""
    from orchestrator.root.oneshot import one_shot

    async with one_shot(settings) as services:
        state = await services.passes.create_pass(script, program="bench")
        tickets = [await services.participants.invite(state.id, m) for m in people(n)]
        # Everyone is in the main room as LiveKit would report it (the load
        # generator's clients carry no media), so the ops monitor raises no
        # "stuck" alert for each of them in the middle of a measurement.
        for m in people(n):
            await services.store.set_presence(state.id, m.id, state.main_room)
        return PassSetup(state.id, tickets, services.access.facilitator_credential(state.id),
                         services.access.ops_credential())


async def loop_lag_p99(url: str, credential: str) -> float:
    """The worker's event-loop lag p99 over the last minute, as ops sees it."""
    import socketio

    from signalling.wirenames import OPS, Event

    client = socketio.AsyncClient(serializer="msgpack")
    await client.connect(url, namespaces=[OPS], auth={"credential": credential},
                         headers={"Origin": url}, transports=["websocket"])
    try:
        reply: dict[str, Any] = await client.call(Event.SYNC, {}, namespace=OPS, timeout=30)
    finally:
        await client.disconnect()
    return float(reply.get("loop_lag_ms", {}).get("p99_ms", float("nan")))


def table(title: str, rows: list[tuple[str, str, str]], figures: dict[str, Any]) -> None:
    width = max(len(r[0]) for r in rows)
    print(title)
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:<30} {note}")
    print(json.dumps(figures))
    sys.stdout.flush()


def ms(value: float) -> float:
    return round(value, 1)
