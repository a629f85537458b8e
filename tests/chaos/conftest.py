"""The chaos stack: real processes a test may kill.

Each test gets its own redis-server (AOF, fsync always) and livekit-server
(they may be killed and started again on the same port and data), two
``onlive serve`` workers, and a TCP proxy in front of them that clients and
LiveKit's webhooks go through (``tests.chaos.proxy``). PostgreSQL is the
session's (nothing here kills it).
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import socketio

from exercises.script import ClassScript, Role, Step, StepKind
from exercises.state import Member
from exercises.text import Text
from orchestrator.root.procs import (
    Child,
    free_port,
    load_or_create_keys,
    redis_url,
    start_livekit,
    start_redis,
)
from tests.conftest import LIVEKIT_BIN
from tests.harness import SECRET, Client, OpenPass, OrchestratorProcess, service_for

#: A breakout whose roles turn every TURN_S seconds: a deadline every TURN_S.
TURN_S = 1.5
TURNS = 60


def turning_class() -> ClassScript:
    roles = tuple(Role(f"r{i}", Text(f"Roll {i}", f"Role {i}"), Text("Prata", "Talk"))
                  for i in range(TURNS))
    return ClassScript(
        id="chaos", version=1, title=Text("Kaos", "Chaos"), description=Text("Kaos", "Chaos"),
        steps=(Step("in", StepKind.CHECK_IN, Text("In", "In"), Text("Hur mår du?", "How are you?"),
                    duration=600),
               Step("talk", StepKind.BREAKOUT, Text("Prata", "Talk"), Text("Prata", "Talk"),
                    duration=TURN_S * TURNS + 5, group_size=2, roles=roles,
                    turn_seconds=TURN_S),
               Step("out", StepKind.CHECK_OUT, Text("Ut", "Out"), Text("Ett ord", "One word"))))


PEOPLE = [Member(f"c{i}", f"Person {i}", "IT", "Malmö", None, 1) for i in range(4)]


class TimedClient(Client):
    """A client that also keeps when each event arrived (wall clock)."""

    def __init__(self, base_url: str, namespace: str, auth: dict[str, str],
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(base_url, namespace, auth, headers)
        self.arrivals: dict[str, list[tuple[float, Any]]] = defaultdict(list)
        self.disconnects = 0
        self.credential = ""  # an ops client's, for /metrics
        self.sio.on("disconnect", self._on_disconnect, namespace=namespace)

    async def _on_any(self, event: str, data: Any) -> None:
        self.arrivals[event].append((time.time(), data))
        await super()._on_any(event, data)

    async def _on_disconnect(self, *args: Any) -> None:
        self.disconnects += 1

    def services(self) -> list[str]:
        return [d.get("code", "") for _, d in self.arrivals["service"]]


@dataclass
class Stack:
    tmp: Path
    env: dict[str, str]
    redis: Child
    redis_port: int
    redis_password: str
    livekit: Child
    livekit_port: int
    proxy: Any
    workers: list[OrchestratorProcess] = field(default_factory=list)

    @property
    def url(self) -> str:
        return str(self.proxy.url)

    @property
    def redis_url(self) -> str:
        return redis_url(self.redis_port, self.redis_password)

    async def add_worker(self) -> OrchestratorProcess:
        port = free_port()
        # Every second worker runs Python's own event loop: a deployment may choose
        # either (ONLIVE_EVENT_LOOP), and workers on either share the passes.
        env = dict(self.env, ONLIVE_PORT=str(port),
                   ONLIVE_EVENT_LOOP=("uvloop", "asyncio")[len(self.workers) % 2])
        worker = OrchestratorProcess(env, self.tmp / f"worker-{len(self.workers)}-{port}.log")
        # A loaded machine (the suite runs beside other work) may start a worker slowly.
        await asyncio.to_thread(worker.start, 60.0)
        self.workers.append(worker)
        self.proxy.backends.append(port)
        return worker

    def forget(self, worker: OrchestratorProcess) -> None:
        port = int(worker.env["ONLIVE_PORT"])
        if port in self.proxy.backends:
            self.proxy.backends.remove(port)

    def worker_id(self, worker: OrchestratorProcess) -> str:
        for entry in worker.log_entries():
            if entry.get("msg") == "scheduler started":
                return str(entry["worker"])
        raise AssertionError(f"no scheduler in {worker.log_path}")

    async def lease_holder(self, pass_id: str) -> OrchestratorProcess | None:
        client = aioredis.from_url(self.redis_url)
        try:
            raw = await client.get(f"onlive:lease:{pass_id}")
        finally:
            await client.aclose()
        holder = raw.decode() if isinstance(raw, bytes) else raw
        return next((w for w in self.workers if holder and self.worker_id(w) == holder
                     and w.process is not None and w.process.poll() is None), None)

    async def load(self, pass_id: str) -> Any:
        async with service_for(self.env) as service:
            return await service.store.load(pass_id)

    def joined(self, worker: OrchestratorProcess, pass_id: str) -> set[str]:
        """The participants of ``pass_id`` that ``worker`` welcomed (its log)."""
        return {str(e["participant_id"]) for e in worker.log_entries()
                if e.get("msg") == "participant joined" and e.get("pass_id") == pass_id}

    async def ops(self) -> TimedClient:
        """An ops dashboard's socket (its alerts and service notices are recorded)."""
        async with service_for(self.env) as service:
            credential = service.ops_credential()
        client = TimedClient(self.url, "/ops", {"credential": credential})
        client.credential = credential
        await client.connect()
        return client

    async def open_pass(self, people: list[Member] = PEOPLE) -> OpenPass:
        async with service_for(self.env) as service:
            state = await service.create_pass(turning_class(), program="chaos")
            tickets = [await service.invite(state.id, m) for m in people]
            credential = service.facilitator_credential(state.id)
        facilitator = TimedClient(self.url, "/facilitator", {"credential": credential})
        await facilitator.connect()
        await facilitator.wait_for("snapshot")
        participants: list[Client] = []
        for ticket in tickets:
            client = TimedClient(self.url, "/participant", {"ticket": ticket})
            await client.connect()
            await client.wait_for("snapshot")
            participants.append(client)
        return OpenPass(state.id, facilitator, participants)


def kill(child: Child | OrchestratorProcess) -> None:
    """kill -9 by pid, and reap it."""
    process = child.process
    assert process is not None
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture
async def stack(database_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    from tests.chaos.proxy import Proxy

    if not LIVEKIT_BIN.exists():
        pytest.fail(f"livekit-server is not installed at {LIVEKIT_BIN}: run make test")
    proxy = await Proxy([]).start()
    redis_port = free_port()
    redis_password = secrets.token_urlsafe(24)
    redis_child = start_redis(tmp_path / "redis", redis_port, password=redis_password)
    keys = load_or_create_keys(tmp_path / "livekit" / "keys.json")
    lk_port, udp = free_port(), free_port(socket.SOCK_DGRAM)
    livekit = start_livekit(LIVEKIT_BIN, tmp_path / "livekit", port=lk_port, udp_port=udp,
                            keys=keys, webhook_url=f"{proxy.url}/webhooks/livekit",
                            empty_timeout=60, departure_timeout=5)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONLIVE_")}
    env.update({
        "ONLIVE_DATABASE_URL": database_url,
        "ONLIVE_REDIS_URL": redis_url(redis_port, redis_password),
        "ONLIVE_LIVEKIT_URL": f"ws://127.0.0.1:{lk_port}",
        "ONLIVE_LIVEKIT_API_KEY": keys.key,
        "ONLIVE_LIVEKIT_API_SECRET": keys.secret,
        "ONLIVE_SECRET": SECRET,
        "ONLIVE_STATE_DIR": str(tmp_path / "state"),
        "ONLIVE_PUBLIC_URL": proxy.url,
        "ONLIVE_ALLOWED_ORIGINS": proxy.url,
        "ONLIVE_LOG_FORMAT": "json",
        "ONLIVE_LOG_LEVEL": "INFO",
        "ONLIVE_PORT": "1",
    })
    stack = Stack(tmp_path, env, redis_child, redis_port, redis_password, livekit, lk_port,
                  proxy)
    try:
        await stack.add_worker()
        await stack.add_worker()
        yield stack
    finally:
        for worker in stack.workers:
            if worker.process is not None:
                await asyncio.to_thread(worker.stop)
        await proxy.close()
        stack.livekit.stop()
        stack.redis.stop()


class Answerer:
    """One participant answering the check-in again and again, like a page: a
    refused answer ("try again", the worker shutting down, no ack) is sent again
    with the same client id; ``acked`` is the last client id the server acknowledged."""

    def __init__(self, client: Client, person: str, step_id: str = "in") -> None:
        self.client = client
        self.person = person
        self.step_id = step_id
        self.acked: tuple[str, dict[str, Any]] | None = None
        self.count = 0
        self.refusals: list[str] = []
        self._stop = asyncio.Event()

    async def run(self) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            cid, value = f"{self.person}-{n}-{uuid.uuid4().hex[:6]}", {"energy": n % 5 + 1,
                                                                      "word": f"ord{n}"}
            while not self._stop.is_set():
                try:
                    ack = await self.client.call("answer", {"step_id": self.step_id,
                                                            "client_id": cid, "value": value},
                                                 timeout=3)
                except socketio.exceptions.BadNamespaceError:  # reconnecting: again
                    self.refusals.append("not_connected")
                    await asyncio.sleep(0.2)
                    continue
                except Exception:  # noqa: BLE001 - lost on the way (worker died): again
                    self.refusals.append("no_ack")
                    await asyncio.sleep(0.2)
                    continue
                if ack.get("ok"):
                    self.acked = (cid, value)
                    self.count += 1
                    break
                self.refusals.append(ack["error"]["code"])
                await asyncio.sleep(min(1.0, ack["error"].get("retry_after", 0.2)))
            await asyncio.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()


async def stored_answer(redis_url: str, pass_id: str, person: str,
                        step_id: str = "in") -> dict[str, Any] | None:
    import msgpack

    client = aioredis.from_url(redis_url)
    try:
        raw = await client.hget(f"onlive:pass:{pass_id}:answers:{step_id}", person)
    finally:
        await client.aclose()
    return None if raw is None else dict(msgpack.unpackb(raw, raw=False))


def cue_lateness(clients: list[Client], first_turn_deadline: float) -> dict[int, float]:
    """Seconds each switch-roles cue fired after its turn's deadline, by turn
    (the server's own clock in the cue; the earliest copy any client got)."""
    fired: dict[int, float] = {}
    for client in clients:
        for data in client.received["cue"]:
            if data.get("kind") == "switch-roles":
                turn = int(data["turn"])
                fired[turn] = min(fired.get(turn, float("inf")), float(data["server_now"]))
    return {turn: at - (first_turn_deadline + (turn - 1) * TURN_S)
            for turn, at in sorted(fired.items())}


def metrics(worker: OrchestratorProcess, credential: str) -> dict[tuple[str, str], float]:
    """A worker's /metrics (asked directly, as a scraper does): {(name, label values): value}."""
    from prometheus_client.parser import text_string_to_metric_families

    request = urllib.request.Request(f"{worker.base_url}/metrics",
                                     headers={"Authorization": f"Bearer {credential}"})
    with urllib.request.urlopen(request, timeout=5) as r:
        assert r.status == 200
        text = r.read().decode()
    return {(s.name, ",".join(s.labels.values())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def json_line(figures: dict[str, Any]) -> str:
    return json.dumps(figures)
