"""Test harness: the orchestrator as a real child process, and Socket.IO clients.

The orchestrator runs as ``python -m orchestrator serve`` against the real
redis-server and livekit-server from the session fixtures, exactly as in
production; tests talk to it only through Socket.IO, HTTP and the services.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import socketio

from exercises.gym.program import Audience, Cadence, ProgramClassSpec, ProgramSpec, SessionSpec
from exercises.gym.roster import parse_roster
from exercises.script import ClassScript
from exercises.state import Member, PassState
from orchestrator.gym.records import SessionRecord
from orchestrator.ports import Store
from orchestrator.root.oneshot import one_shot
from orchestrator.root.procs import Child, start_orchestrator
from orchestrator.services import Services
from orchestrator.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret-" + "x" * 40


def orchestrator_env(redis_url: str, livekit: Any, state_dir: Path, *,
                     database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONLIVE_")}
    env.update({
        "ONLIVE_DATABASE_URL": database_url,
        "ONLIVE_PORT": str(livekit.webhook_port),
        "ONLIVE_REDIS_URL": redis_url,
        "ONLIVE_LIVEKIT_URL": livekit.url,
        "ONLIVE_LIVEKIT_API_KEY": livekit.keys.key,
        "ONLIVE_LIVEKIT_API_SECRET": livekit.keys.secret,
        "ONLIVE_SECRET": SECRET,
        "ONLIVE_STATE_DIR": str(state_dir),
        "ONLIVE_LOG_FORMAT": "json",
        "ONLIVE_LOG_LEVEL": "INFO",
    })
    return env


def settings_for(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie waiting to be reaped has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"  # the state, after "(name)"


class Killable:
    """A server of one test's own (a session's must never be killed), in ``child``."""

    child: Child

    def kill(self) -> None:
        """kill -9 by pid, and reap it."""
        os.kill(self.child.pid, signal.SIGKILL)
        self.child.process.wait(timeout=10)

    async def start_again(self) -> None:
        """The same server on the same ports and data (a Redis's AOF keeps every
        acknowledged write; a LiveKit's rooms are gone)."""
        assert self.child.respawn is not None
        self.child = await asyncio.to_thread(self.child.respawn)


class OrchestratorProcess:
    """``python -m orchestrator serve`` as a child process with its log captured."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.child: Child | None = None
        self.base_url = f"http://127.0.0.1:{env['ONLIVE_PORT']}"

    def start(self, timeout: float = 20.0) -> None:
        self.child = start_orchestrator(self.env, self.log_path, cwd=ROOT, timeout=timeout)
        self.process = self.child.process

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> float:
        """Stop by pid; returns the seconds it took."""
        assert self.process is not None
        start = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return time.monotonic() - start

    def log_entries(self) -> list[dict[str, Any]]:
        entries = []
        for line in self.log_path.read_text().splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                entries.append({"level": "raw", "msg": line})
        return entries


class Setup:
    """What tests do as the CLI does: create passes, invite people, issue links."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.store: Store = services.store

    async def create_pass(self, script: ClassScript, *, program: str = "default") -> PassState:
        return await self.services.passes.create_pass(script, program=program)

    async def invite(self, pass_id: str, member: Member) -> str:
        return await self.services.participants.invite(pass_id, member)

    def facilitator_credential(self, pass_id: str) -> str:
        return self.services.access.facilitator_credential(pass_id)

    def ops_credential(self) -> str:
        return self.services.access.ops_credential()


@asynccontextmanager
async def service_for(env: dict[str, str]) -> AsyncIterator[Setup]:
    """The application as the CLI uses it, against the test's services."""
    async with one_shot(settings_for(env)) as services:
        yield Setup(services)


class Client:
    """A Socket.IO client of one namespace that records what it receives."""

    def __init__(self, base_url: str, namespace: str, auth: dict[str, str],
                 headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url
        self.namespace = namespace
        self.auth = auth
        self.headers = {"Origin": base_url, **(headers or {})}
        self.sio = socketio.AsyncClient(serializer="msgpack", reconnection=True,
                                        reconnection_delay=0.2, reconnection_delay_max=1)
        self.received: dict[str, list[Any]] = defaultdict(list)
        self._arrived = asyncio.Condition()
        self.sio.on("*", self._on_any, namespace=namespace)

    async def _on_any(self, event: str, data: Any) -> None:
        async with self._arrived:
            self.received[event].append(data)
            self._arrived.notify_all()

    async def connect(self) -> None:
        await self.sio.connect(self.base_url, namespaces=[self.namespace], auth=self.auth,
                               headers=self.headers, transports=["websocket"],
                               wait_timeout=10)

    async def call(self, event: str, data: Any = None, timeout: float = 10) -> Any:
        return await self.sio.call(event, data, namespace=self.namespace, timeout=timeout)

    async def command(self, name: str, **args: Any) -> Any:
        return await self.call("command", {"name": name, **args})

    async def wait_for(self, event: str, predicate: Any = lambda d: True,
                       timeout: float = 15) -> Any:
        """The first received ``event`` matching ``predicate`` (waiting if needed)."""
        async def find() -> Any:
            async with self._arrived:
                while True:
                    for data in self.received[event]:
                        if predicate(data):
                            return data
                    await self._arrived.wait()
        return await asyncio.wait_for(find(), timeout)

    async def wait_view(self, predicate: Any, timeout: float = 15) -> Any:
        """The first shared view, from a snapshot or an update, matching ``predicate``."""
        async def find() -> Any:
            async with self._arrived:
                while True:
                    views = [s.get("state", s) for s in self.received["snapshot"]]
                    for view in views + self.received["state"]:
                        if predicate(view):
                            return view
                    await self._arrived.wait()
        return await asyncio.wait_for(find(), timeout)

    def last(self, event: str) -> Any:
        return self.received[event][-1] if self.received[event] else None

    async def close(self) -> None:
        # disconnect() alone leaves a reconnection attempt running, which can
        # open a new connection (and HTTP session) after the test; shutdown()
        # ends it, and disconnect() closes the HTTP session in any state.
        await self.sio.shutdown()
        await self.sio.disconnect()


@dataclass
class OpenPass:
    """A created pass with its facilitator and participants connected."""

    id: str
    facilitator: Client
    participants: list[Client]

    async def close(self) -> None:
        for client in [*self.participants, self.facilitator]:
            await client.close()


async def open_pass(env: dict[str, str], base_url: str, script: ClassScript,
                    people: list[Member], *, program: str = "gym") -> OpenPass:
    """Create a pass, invite ``people`` and connect everyone (each has its snapshot)."""
    async with service_for(env) as service:
        state = await service.create_pass(script, program=program)
        tickets = [await service.invite(state.id, m) for m in people]
        credential = service.facilitator_credential(state.id)
    facilitator = Client(base_url, "/facilitator", {"credential": credential})
    await facilitator.connect()
    await facilitator.wait_for("snapshot")
    participants = [Client(base_url, "/participant", {"ticket": t}) for t in tickets]
    for client in participants:
        await client.connect()
        await client.wait_for("snapshot")
    return OpenPass(state.id, facilitator, participants)


async def one_class_program(services: Services, roster: str, start: datetime) -> SessionRecord:
    """The organisation ``default`` with ``roster``, a weekly program ``lead`` of one class
    (listening-for-real) and one session of it at ``start`` (UTC, 5 places, Fia)."""
    gym = services.gym
    assert gym is not None, "needs the system of record"
    await gym.records.ensure_org("default")
    await gym.records.import_roster("default", parse_roster(roster.encode(), "r.csv"))
    await gym.programs.create("default", ProgramSpec("lead", "Ledarskap", Audience(),
                                                     Cadence.WEEKLY))
    await gym.programs.add_class("default", "lead", ProgramClassSpec("listening-for-real"))
    return await gym.programs.add_session("default", "lead", "1",
                                          SessionSpec(start, "UTC", 5, "Fia"))
