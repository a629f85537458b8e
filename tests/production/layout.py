"""The production layout of compose.yaml, started as processes on loopback.

Two ``onlive serve`` workers behind nginx with sticky sessions, Redis with AOF
for onlive, two LiveKit nodes in multi-node mode on a Redis of their own, and
PostgreSQL. nginx and LiveKit read the very files compose.yaml uses
(``scripts/deploy/*.template``), filled in the way the containers fill them
in: every ``${NAME}`` from the environment, nothing else touched. Only what a
container would get from its image differs (nginx's main file: where its pid,
logs and temporary files go). Everything is stopped by pid.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.root.procs import (
    Child,
    LiveKitKeys,
    free_port,
    load_or_create_keys,
    postgres_url,
    redis_url,
    start_orchestrator,
    start_postgres,
    start_redis,
)
from tests.conftest import LIVEKIT_BIN, POSTGRES_BIN
from tests.harness import ROOT, SECRET

DEPLOY = ROOT / "scripts" / "deploy"
LIVEKIT_TEMPLATE = DEPLOY / "livekit.yaml.template"
NGINX_TEMPLATE = DEPLOY / "onlive.nginx.conf.template"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
_PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")


def render(template: Path, values: Mapping[str, str]) -> str:
    """``template`` with each ``${NAME}`` replaced, as envsubst does; a missing NAME is an error."""
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"{template.name} needs {name}")
        return values[name]
    return _PLACEHOLDER.sub(value, template.read_text())


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _spawn(name: str, argv: list[str], log_path: Path, env: Mapping[str, str],
           ready: Callable[[], bool], timeout: float = 30.0) -> Child:
    with open(log_path, "ab") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=dict(env),
                                   start_new_session=True)
    child = Child(name, process, log_path)
    deadline = time.monotonic() + timeout
    while not ready():
        if not child.alive() or time.monotonic() > deadline:
            child.stop()
            raise RuntimeError(f"{name} did not start:\n{child.tail()}")
        time.sleep(0.1)
    return child


@dataclass(frozen=True)
class LiveKitNode:
    port: int
    udp_port: int
    child: Child

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"


@dataclass
class Layout:
    """The running layout; ``stop()`` ends every process it started, by pid."""

    base: Path
    proxy_url: str = ""
    redis_url: str = ""
    livekit_redis_url: str = ""
    keys: LiveKitKeys | None = None
    nodes: list[LiveKitNode] = field(default_factory=list)
    worker_env: list[dict[str, str]] = field(default_factory=list)
    workers: list[Child] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)
    directories: list[Path] = field(default_factory=list)

    def worker_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.worker_env[index]['ONLIVE_PORT']}"

    def kill_worker(self, index: int) -> None:
        """kill -9: no drain, no goodbye (a crashed host)."""
        self.workers[index].process.send_signal(signal.SIGKILL)
        self.workers[index].process.wait(timeout=10)

    def stop(self) -> None:
        for child in reversed(self.children):
            try:
                child.stop()
            except Exception:  # noqa: BLE001 - stop the rest whatever one did
                child.process.kill()
        for directory in self.directories:
            shutil.rmtree(directory, ignore_errors=True)


def start_layout(base: Path) -> Layout:
    layout = Layout(base)
    try:
        _start(layout)
    except BaseException:
        layout.stop()
        raise
    return layout


def _start(layout: Layout) -> None:
    base = layout.base
    # PostgreSQL, the system of record (its directory must be reachable by the
    # postgres user when we are root, so not under pytest's private tmp).
    pg_dir = Path(tempfile.mkdtemp(prefix="onlive-layout-pg-", dir="/tmp"))
    pg_port, pg_password = free_port(), secrets.token_urlsafe(24)
    layout.directories.append(pg_dir)
    layout.children.append(start_postgres(pg_dir, pg_port, pg_password, bin_dir=POSTGRES_BIN))
    database_url = postgres_url(pg_port, pg_password)

    # onlive's Redis with AOF, and LiveKit's own Redis beside it.
    redis_port, lk_redis_port = free_port(), free_port()
    redis_password = secrets.token_urlsafe(24)  # compose.yaml: REDIS_PASSWORD
    layout.children.append(start_redis(base / "redis", redis_port, password=redis_password,
                                       appendonly=True))
    # LiveKit's Redis takes no password, as in compose.yaml (a private network only).
    layout.children.append(start_redis(base / "livekit-redis", lk_redis_port, password=None,
                                       appendonly=False))
    layout.redis_url = redis_url(redis_port, redis_password)
    layout.livekit_redis_url = f"redis://127.0.0.1:{lk_redis_port}/0"

    # Two LiveKit nodes: one file, each node's own port, media port and address.
    proxy_port = free_port()
    layout.proxy_url = f"http://127.0.0.1:{proxy_port}"
    keys = layout.keys = load_or_create_keys(base / "livekit-keys.json")
    config = base / "livekit.yaml"
    _write_private(config, render(LIVEKIT_TEMPLATE, {
        "LIVEKIT_LOOPBACK_CANDIDATE": "true",
        "LIVEKIT_IP_INCLUDES": "127.0.0.1/32",
        "LIVEKIT_STUN_SERVERS": "127.0.0.1:3478",
        "LIVEKIT_WEBHOOK_URL": f"{layout.proxy_url}/webhooks/livekit",
    }))
    binary = str(LIVEKIT_BIN)
    for number in (1, 2):
        port, udp_port = free_port(), free_port(kind=socket.SOCK_DGRAM)
        env = {"PATH": os.environ.get("PATH", ""), "LIVEKIT_PORT": str(port),
               "UDP_PORT": str(udp_port), "NODE_IP": "127.0.0.1",
               "LIVEKIT_REDIS_ADDRESS": f"127.0.0.1:{lk_redis_port}",
               "LIVEKIT_KEYS": f"{keys.key}: {keys.secret}",
               "LIVEKIT_WEBHOOK_API_KEY": keys.key}
        child = _spawn(f"livekit-{number}", [binary, "--config", str(config),
                                             "--bind", "127.0.0.1"],
                       base / f"livekit-{number}.log", env,
                       lambda p=port: _answers(f"http://127.0.0.1:{p}/"))  # type: ignore[misc]
        layout.children.append(child)
        layout.nodes.append(LiveKitNode(port, udp_port, child))

    # Two workers, as in compose.yaml: the same services, public URL the proxy's.
    for number in (1, 2):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONLIVE_")}
        env.update({
            "ONLIVE_PORT": str(free_port()),
            "ONLIVE_PUBLIC_URL": layout.proxy_url,
            "ONLIVE_SECRET": SECRET,
            "ONLIVE_STATE_DIR": str(base / f"worker-{number}"),
            "ONLIVE_REDIS_URL": layout.redis_url,
            "ONLIVE_DATABASE_URL": database_url,
            "ONLIVE_LIVEKIT_URL": layout.nodes[0].url,
            "ONLIVE_LIVEKIT_API_KEY": keys.key,
            "ONLIVE_LIVEKIT_API_SECRET": keys.secret,
            "ONLIVE_LOG_FORMAT": "json",
        })
        layout.worker_env.append(env)
        child = start_orchestrator(env, base / f"worker-{number}.log", cwd=ROOT, timeout=60)
        layout.workers.append(child)
        layout.children.append(child)

    # nginx in front, with the site file compose.yaml gives the nginx image.
    prefix = base / "nginx"
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    upstreams = " ".join(f"server 127.0.0.1:{env['ONLIVE_PORT']} max_fails=1 fail_timeout=10s;"
                         for env in layout.worker_env)
    (prefix / "onlive.conf").write_text(render(NGINX_TEMPLATE, {
        "ONLIVE_PROXY_LISTEN": f"127.0.0.1:{proxy_port}", "ONLIVE_UPSTREAMS": upstreams}))
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = "".join(f"    {sub}_temp_path {prefix / 'tmp' / sub};\n"
                   for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (prefix / "nginx.conf").write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} info;\nevents {{ worker_connections 1024; }}\n"
        f"http {{\n    access_log {prefix / 'access.log'};\n{temp}"
        f"    include {prefix / 'onlive.conf'};\n}}\n")
    layout.children.append(_spawn(
        "nginx", [NGINX, "-e", str(prefix / "error.log"), "-p", str(prefix), "-c",
                  str(prefix / "nginx.conf")], prefix / "nginx.out",
        {"PATH": os.environ.get("PATH", "")},
        lambda: _answers(f"{layout.proxy_url}/healthz")))
