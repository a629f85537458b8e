"""Child processes onlive starts for itself: redis-server and livekit-server.

Used by ``onlive dev`` and by the test fixtures, so both run the services the
same way: loopback only, ports checked before start, ready when they answer,
stopped by pid (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import ServiceError
from orchestrator.version import LIVEKIT_VERSION

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port the kernel says is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def ensure_port_free(port: int, what: str, *, udp: bool = False) -> None:
    """Raise ``ServiceError`` naming the port and its user when it is taken."""
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as s:
        if not udp:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
        except OSError as error:
            proto = "UDP" if udp else "TCP"
            raise ServiceError(
                f"{what} cannot use {proto} port {port} on {LOOPBACK}: {error.strerror}. "
                f"Stop whatever holds it or choose another port (see README, Configuration)."
            ) from error


@dataclass
class Child:
    """A started child process, stopped by pid."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 3.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log.warning("%s (pid %d) ignored SIGTERM; killing", self.name, self.pid)
            self.process.kill()
            self.process.wait(timeout=grace)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _spawn(name: str, argv: list[str], log_path: Path) -> Child:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    out = open(log_path, "ab")
    try:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    except FileNotFoundError as error:
        raise ServiceError(f"{name} is not installed ({argv[0]} not found); "
                           "run the README's set-up command first") from error
    finally:
        out.close()
    return Child(name, process, log_path)


def _wait(child: Child, ready: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise ServiceError(f"{child.name} exited with {child.process.returncode} "
                               f"during start-up:\n{child.tail()}")
        if ready():
            return
        time.sleep(0.05)
    child.stop()
    raise ServiceError(f"{child.name} was not ready within {timeout:g}s:\n{child.tail()}")


def start_redis(data_dir: Path, port: int, *, binary: str = "redis-server",
                appendonly: bool = True) -> Child:
    """redis-server on 127.0.0.1:port with AOF (everysec) under ``data_dir``."""
    ensure_port_free(port, "redis-server")
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [binary, "--bind", LOOPBACK, "--port", str(port), "--dir", str(data_dir),
            "--appendonly", "yes" if appendonly else "no", "--appendfsync", "everysec",
            "--save", "", "--protected-mode", "yes", "--daemonize", "no"]
    child = _spawn("redis-server", argv, data_dir / "redis.log")

    def ready() -> bool:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    _wait(child, ready, 10.0)
    log.info("redis-server ready", extra={"pid": child.pid, "port": port})
    return child


@dataclass(frozen=True)
class LiveKitKeys:
    key: str
    secret: str


def load_or_create_keys(path: Path) -> LiveKitKeys:
    """This installation's LiveKit API key pair, made once, kept mode 0600."""
    if path.exists():
        data = json.loads(path.read_text())
        return LiveKitKeys(data["key"], data["secret"])
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = LiveKitKeys("onlive" + secrets.token_hex(6), secrets.token_urlsafe(36))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"key": keys.key, "secret": keys.secret}, f)
    return keys


def livekit_config(*, port: int, udp_port: int, keys: LiveKitKeys, webhook_url: str | None,
                   empty_timeout: int = 300, departure_timeout: int = 20) -> dict[str, object]:
    """A loopback-only single-node config (see shared/LIVEKIT.md)."""
    config: dict[str, object] = {
        "port": port,
        "bind_addresses": [LOOPBACK],
        "keys": {keys.key: keys.secret},
        "logging": {"level": "info", "json": False},
        "rtc": {
            "node_ip": LOOPBACK,
            "use_external_ip": False,
            "enable_loopback_candidate": True,
            "ips": {"includes": [f"{LOOPBACK}/32"]},
            "udp_port": udp_port,
            "tcp_port": 0,
            "stun_servers": [f"{LOOPBACK}:3478"],
        },
        "room": {"auto_create": False, "empty_timeout": empty_timeout,
                 "departure_timeout": departure_timeout},
    }
    if webhook_url:
        config["webhook"] = {"urls": [webhook_url], "api_key": keys.key}
    return config


def start_livekit(binary: Path, state_dir: Path, *, port: int, udp_port: int, keys: LiveKitKeys,
                  webhook_url: str | None, empty_timeout: int = 300,
                  departure_timeout: int = 20) -> Child:
    """livekit-server with a generated loopback-only config (mode 0600)."""
    if not binary.exists():
        raise ServiceError(f"livekit-server {LIVEKIT_VERSION} is not installed at {binary}; "
                           "run the README's set-up command first")
    ensure_port_free(port, "livekit-server")
    ensure_port_free(udp_port, "livekit-server (media)", udp=True)
    state_dir.mkdir(parents=True, exist_ok=True)
    config_path = state_dir / f"livekit-{port}.yaml"
    body = json.dumps(livekit_config(port=port, udp_port=udp_port, keys=keys,
                                     webhook_url=webhook_url, empty_timeout=empty_timeout,
                                     departure_timeout=departure_timeout), indent=2)
    fd = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(body)
    os.chmod(config_path, 0o600)
    child = _spawn("livekit-server", [str(binary), "--config", str(config_path)],
                   state_dir / f"livekit-{port}.log")

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/", timeout=0.5) as r:
                return bool(r.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    _wait(child, ready, 20.0)
    log.info("livekit-server ready", extra={"pid": child.pid, "port": port})
    return child


def start_orchestrator(env: dict[str, str], log_path: Path, *, cwd: Path | None = None,
                       timeout: float = 20.0) -> Child:
    """``python -m orchestrator serve`` with ``env``, ready when /readyz says so."""
    import sys

    port = int(env["ONLIVE_PORT"])
    log_path.parent.mkdir(parents=True, exist_ok=True)
    out = open(log_path, "ab")
    try:
        process = subprocess.Popen([sys.executable, "-m", "orchestrator", "serve"], env=env,
                                   cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    finally:
        out.close()
    child = Child("onlive serve", process, log_path)

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"http://{LOOPBACK}:{port}/readyz", timeout=1) as r:
                return bool(r.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    _wait(child, ready, timeout)
    return child
