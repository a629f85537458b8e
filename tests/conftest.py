"""Fixtures that start the real services: redis-server, livekit-server and postgres.

They start once per test session on free loopback ports. A missing binary is
a failure, never a skip: CI must exercise the real services. Every test that
uses PostgreSQL gets a database of its own, copied from a template that the
migrations were applied to once.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
import redis

from orchestrator.adapters.postgres import PostgresRecords, open_records
from orchestrator.adapters.schema import migrate
from orchestrator.root.procs import (
    Child,
    LiveKitKeys,
    free_port,
    load_or_create_keys,
    postgres_url,
    redis_url,
    start_livekit,
    start_postgres,
    start_redis,
)
from orchestrator.settings import DEFAULT_POSTGRES_BIN, Settings
from tests.harness import OrchestratorProcess, orchestrator_env

LIVEKIT_BIN = Path(os.environ.get("ONLIVE_LIVEKIT_BIN", str(Settings().livekit_bin)))
POSTGRES_BIN = Path(os.environ.get("ONLIVE_POSTGRES_BIN") or DEFAULT_POSTGRES_BIN)
TEMPLATE = "onlive_template"
T = TypeVar("T")


def run_apart(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to its end on a loop of its own, in a thread, from sync code
    (a fixture must not disturb the event loop the tests run on)."""
    result: list[T] = []
    failure: list[BaseException] = []

    def main() -> None:
        try:
            result.append(asyncio.run(_call(make)))
        except BaseException as error:  # handed to the caller below
            failure.append(error)

    thread = threading.Thread(target=main, name="fixture-loop")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


async def _call(make: Callable[[], Awaitable[T]]) -> T:
    return await make()


@dataclass(frozen=True)
class PostgresService:
    port: int
    password: str
    child: Child

    def url(self, database: str) -> str:
        return postgres_url(self.port, self.password, database)

    def admin(self, *statements: str) -> None:
        """Run statements on the maintenance database (CREATE/DROP DATABASE)."""
        async def run() -> None:
            conn = await asyncpg.connect(self.url("postgres"))
            try:
                for statement in statements:
                    await conn.execute(statement)
            finally:
                await conn.close()
        run_apart(run)


@dataclass(frozen=True)
class RedisService:
    url: str
    port: int
    child: Child


@dataclass(frozen=True)
class LiveKitService:
    url: str  # ws://127.0.0.1:port, what clients connect to
    http_url: str  # http://127.0.0.1:port, what the API client uses
    port: int
    keys: LiveKitKeys
    webhook_port: int  # the orchestrator port LiveKit posts webhooks to
    child: Child


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisService]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run the README's test command (make test)")
    port = free_port()
    password = secrets.token_urlsafe(24)
    child = start_redis(tmp_path_factory.mktemp("redis"), port, password=password)
    try:
        yield RedisService(redis_url(port, password), port, child)
    finally:
        child.stop()


@pytest.fixture(scope="session")
def livekit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveKitService]:
    if not LIVEKIT_BIN.exists():
        pytest.fail(f"livekit-server is not installed at {LIVEKIT_BIN}: run make test")
    state = tmp_path_factory.mktemp("livekit")
    keys = load_or_create_keys(state / "keys.json")
    port, webhook_port = free_port(), free_port()
    udp_port = free_port(kind=__import__("socket").SOCK_DGRAM)
    child = start_livekit(LIVEKIT_BIN, state, port=port, udp_port=udp_port, keys=keys,
                          webhook_url=f"http://127.0.0.1:{webhook_port}/webhooks/livekit",
                          empty_timeout=30, departure_timeout=5)
    try:
        yield LiveKitService(f"ws://127.0.0.1:{port}", f"http://127.0.0.1:{port}", port, keys,
                             webhook_port, child)
    finally:
        child.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresService]:
    if not (POSTGRES_BIN / "postgres").exists():
        pytest.fail(f"the PostgreSQL server is not installed in {POSTGRES_BIN}: run the "
                    "README's test command (make test)")
    # Not under pytest's tmp dirs: they are private to root, and as root the
    # server runs as the postgres user (start_postgres hands this one over).
    state = Path(tempfile.mkdtemp(prefix="onlive-pg-", dir="/tmp"))
    port, password = free_port(), secrets.token_urlsafe(24)
    child = start_postgres(state, port, password, bin_dir=POSTGRES_BIN, durable=False)
    service = PostgresService(port, password, child)
    try:
        service.admin(f"CREATE DATABASE {TEMPLATE}")

        async def migrated() -> None:
            conn = await asyncpg.connect(service.url(TEMPLATE))
            try:
                await migrate(conn)
            finally:
                await conn.close()
        run_apart(migrated)
        yield service
    finally:
        child.stop()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture
def database_url(postgres_server: PostgresService) -> Iterator[str]:
    """A database of this test's own, already migrated; dropped afterwards."""
    name = f"test_{secrets.token_hex(6)}"
    postgres_server.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
async def records(database_url: str) -> AsyncIterator[PostgresRecords]:
    """The system of record on this test's database."""
    async with open_records(database_url, max_size=4) as opened:
        yield opened


@pytest.fixture
def env(redis_server: RedisService, livekit_server: LiveKitService, database_url: str,
        tmp_path: Path) -> dict[str, str]:
    """The orchestrator's environment; every test starts from an empty store."""
    redis.Redis.from_url(redis_server.url).flushdb()
    return orchestrator_env(redis_server.url, livekit_server, tmp_path / "state",
                            database_url=database_url)



@pytest.fixture
def orchestrator(env: dict[str, str], tmp_path: Path) -> Iterator[OrchestratorProcess]:
    """``python -m orchestrator serve`` on the port LiveKit sends webhooks to."""
    process = OrchestratorProcess(env, tmp_path / "orchestrator.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()


OIDC_DIR = Path(__file__).resolve().parent / "oidc"
#: The test provider's accounts: a login (any password) and the claims it gives.
OIDC_ACCOUNTS: dict[str, dict[str, Any]] = {
    "fia": {"name": "Fia Facilitator", "email": "fia@example.org",
            "groups": ["staff", "onlive-facilitators"]},
    "olle": {"name": "Olle Drift", "email": "olle@example.org", "groups": ["onlive-ops"]},
    "ada": {"name": "Ada Admin", "email": "ada@example.org", "groups": [], "roles": ["admin"]},
    "nils": {"name": "Nils Sälj", "email": "nils@example.org", "groups": ["sales"]},
    "tove": {"groups": ["onlive-facilitators"]},  # a facilitator the provider gives no name
}
OIDC_GROUP_ROLES = "onlive-facilitators=facilitator,onlive-ops=ops"


@dataclass(frozen=True)
class OidcService:
    issuer: str
    client_id: str
    client_secret: str
    child: Child

    def env(self) -> dict[str, str]:
        """The orchestrator's settings for single sign-on with this provider."""
        return {"ONLIVE_OIDC_ISSUER": self.issuer, "ONLIVE_OIDC_CLIENT_ID": self.client_id,
                "ONLIVE_OIDC_CLIENT_SECRET": self.client_secret,
                "ONLIVE_OIDC_GROUP_ROLES": OIDC_GROUP_ROLES}


@pytest.fixture(scope="session")
def oidc_provider(livekit_server: LiveKitService,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcService]:
    """A real OpenID provider (oidc-provider on Node) on 127.0.0.1, for the orchestrator
    on ``livekit_server.webhook_port``."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("tests/oidc has no node_modules: run scripts/setup.sh (make test)")
    import json
    import subprocess
    import urllib.request

    port = free_port()
    base = f"http://127.0.0.1:{livekit_server.webhook_port}"
    client_secret = secrets.token_urlsafe(32)
    client = {"client_id": "onlive", "client_secret": client_secret,
              "redirect_uris": [f"{base}/auth/callback"],
              "post_logout_redirect_uris": [f"{base}/signin"]}
    env = {"PATH": os.environ.get("PATH", ""), "PORT": str(port),
           "CLIENT": json.dumps(client), "ACCOUNTS": json.dumps(OIDC_ACCOUNTS),
           "NODE_ENV": "test"}
    log_path = tmp_path_factory.mktemp("oidc") / "provider.log"
    with open(log_path, "ab") as out:
        process = subprocess.Popen(["node", str(OIDC_DIR / "provider.mjs")], env=env,
                                   cwd=OIDC_DIR, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    child = Child("oidc-provider", process, log_path)
    issuer = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration",
                                        timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    deadline = time.monotonic() + 30
    while not ready():
        if not child.alive() or time.monotonic() > deadline:
            child.stop()
            pytest.fail(f"oidc-provider did not start:\n{child.tail()}")
        time.sleep(0.1)
    try:
        yield OidcService(issuer, "onlive", client_secret, child)
    finally:
        child.stop()
