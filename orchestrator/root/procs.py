"""Child processes onlive starts for itself: redis-server, livekit-server, postgres.

Used by ``onlive dev`` and by the test fixtures, so both run the services the
same way: loopback only, ports checked before start, ready when they answer,
stopped by pid (SIGTERM, or the service's own fast-shutdown signal, then
SIGKILL after a grace period).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    # postgres treats SIGTERM as "wait for every client to leave"; it asks for SIGINT.
    stop_signal: int = signal.SIGTERM
    # Starts the same service again (``onlive dev``'s supervisor); None: it cannot.
    respawn: Callable[[], Child] | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 3.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(self.stop_signal)
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


def _spawn(name: str, argv: list[str], log_path: Path, *, user: str | None = None) -> Child:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    out = open(log_path, "ab")
    try:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   user=user, group=user, extra_groups=[] if user else None)
    except FileNotFoundError as error:
        raise ServiceError(f"{name} is not installed ({argv[0]} not found); "
                           "run the README's set-up command first") from error
    finally:
        out.close()
    return Child(name, process, log_path)


def _wait(child: Child, ready: Callable[[], bool], timeout: float) -> None:
    """Until ``child`` is ``ready``; stopped when it is not, or the wait is interrupted."""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not child.alive():
                raise ServiceError(f"{child.name} exited with {child.process.returncode} "
                                   f"during start-up:\n{child.tail()}")
            if ready():
                return
            time.sleep(0.05)
    except BaseException:
        child.stop()
        raise
    child.stop()
    raise ServiceError(f"{child.name} was not ready within {timeout:g}s:\n{child.tail()}")


#: The AOF's fsync policy: ``always`` fsyncs before Redis replies, so an acknowledged
#: answer survives a host crash, not only a process crash (README, Durability).
REDIS_FSYNC = "always"

#: The ACL user onlive's Redis knows; its ``default`` user is switched off.
REDIS_USER = "onlive"


def redis_url(port: int, password: str, db: int = 0) -> str:
    return f"redis://{REDIS_USER}:{password}@{LOOPBACK}:{port}/{db}"


def _redis_command(*args: str) -> bytes:
    """One command in Redis's wire protocol (safe for any argument bytes)."""
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        raw = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(out)


def start_redis(data_dir: Path, port: int, *, password: str | None,
                binary: str = "redis-server", appendonly: bool = True,
                fsync: str = REDIS_FSYNC) -> Child:
    """redis-server on 127.0.0.1:port with AOF (``fsync``: always, everysec) under ``data_dir``.

    Only the ACL user ``onlive`` with ``password`` may connect (the
    ``default`` user is off, so an unauthenticated connection can run no
    command, not even PUBLISH). The password is in a config file of mode 0600
    in ``data_dir`` (mode 0700), never on the command line, where every local
    user could read it. ``password=None`` (said explicitly) is only for a Redis
    that onlive does not use: LiveKit's own, in the production layout's test.
    """
    ensure_port_free(port, "redis-server")
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    acl: list[str] = []
    hello = _redis_command("PING")
    if password is not None:
        config = data_dir / "redis-acl.conf"
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            # ``default`` is off, so no connection can be it, but keeps its rights: Redis
            # 7.0 replays the AOF's MULTI/EXEC as ``default`` and would refuse (lose) them.
            f.write("# written by onlive: one password user, no default user\n"
                    "user default off ~* &* +@all\n"
                    f"user {REDIS_USER} on >{password} ~* &* +@all\n")
        os.chmod(config, 0o600)
        acl = [str(config)]
        hello = _redis_command("AUTH", REDIS_USER, password) + hello
    argv = [binary, *acl, "--bind", LOOPBACK, "--port", str(port), "--dir", str(data_dir),
            "--appendonly", "yes" if appendonly else "no", "--appendfsync", fsync,
            "--save", "", "--protected-mode", "yes", "--daemonize", "no"]
    child = _spawn("redis-server", argv, data_dir / "redis.log")
    expected = (b"+OK\r\n" if password is not None else b"") + b"+PONG\r\n"

    def ready() -> bool:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5) as s:
                s.sendall(hello)
                answer = b""
                while answer.count(b"\r\n") < expected.count(b"\r\n"):
                    chunk = s.recv(64)
                    if not chunk:
                        return False
                    answer += chunk
                return answer.startswith(expected)
        except OSError:
            return False

    _wait(child, ready, 10.0)
    log.info("redis-server ready", extra={"pid": child.pid, "port": port})
    child.respawn = lambda: start_redis(data_dir, port, password=password, binary=binary,
                                        appendonly=appendonly, fsync=fsync)
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


#: LiveKit events onlive never acts on, so LiveKit is asked not to send them: a
#: browser moving rooms unpublishes and publishes its microphone and camera, two
#: thirds of a switch's webhooks, each signed there and verified here.
IGNORED_WEBHOOKS = ("track_published", "track_unpublished")


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
            # The client always controls ICE and nominates the pair, as a browser
            # does on its own (livekit-client offers on its one peer connection).
            # With a full agent, LiveKit controls the subscriber connection of
            # two-connection clients (the aiortc bots) and nominates on its 200 ms
            # check tick: 0.2 s of every bot's switch on an idle machine, more
            # when busy. Lite is what LiveKit advises for a server reachable as
            # is, which loopback always is.
            "use_ice_lite": True,
        },
        "room": {"auto_create": False, "empty_timeout": empty_timeout,
                 "departure_timeout": departure_timeout},
    }
    if webhook_url:
        config["webhook"] = {"urls": [webhook_url], "api_key": keys.key,
                             "filter_params": {"exclude_events": list(IGNORED_WEBHOOKS)}}
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
    child.respawn = lambda: start_livekit(binary, state_dir, port=port, udp_port=udp_port,
                                          keys=keys, webhook_url=webhook_url,
                                          empty_timeout=empty_timeout,
                                          departure_timeout=departure_timeout)
    return child


#: Where Debian's ``postgresql`` package puts the server binaries.
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
#: The cluster's superuser role and the database onlive uses in a cluster it started.
POSTGRES_ROLE = "onlive"
POSTGRES_DATABASE = "onlive"
#: The system user the server runs as when we are root (postgres refuses to run as root).
POSTGRES_SYSTEM_USER = "postgres"


def load_or_create_password(path: Path) -> str:
    """A password of a service onlive starts (Redis, PostgreSQL), made once, kept mode 0600."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password)
    return password


def postgres_url(port: int, password: str, database: str = POSTGRES_DATABASE) -> str:
    return f"postgresql://{POSTGRES_ROLE}:{password}@{LOOPBACK}:{port}/{database}"


def _postgres_user() -> str | None:
    return POSTGRES_SYSTEM_USER if os.geteuid() == 0 else None


def _own(path: Path, user: str | None, mode: int) -> None:
    if user is not None:
        shutil.chown(path, user, user)
    os.chmod(path, mode)


def _check_reachable(path: Path, user: str) -> None:
    """Refuse early, naming the folder, when ``user`` could not reach ``path``."""
    import pwd

    uid = pwd.getpwnam(user).pw_uid
    for parent in path.resolve().parents:
        st = parent.stat()
        if st.st_uid != uid and not st.st_mode & 0o001:
            raise ServiceError(f"postgres runs as the {user!r} user, which cannot enter "
                               f"{parent} (mode {st.st_mode & 0o777:o}); put its state "
                               "directory where that user can reach it")


def _postgres_answers(port: int) -> bool:
    """True once the server asks a new connection to authenticate.

    While it starts up (or recovers) it answers the startup message with an
    error instead; the connection is dropped before any password is sent.
    """
    body = b"user\0" + POSTGRES_ROLE.encode() + b"\0database\0postgres\0\0"
    startup = struct.pack("!ii", len(body) + 8, 196608) + body  # protocol 3.0
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as s:
            s.sendall(startup)
            return s.recv(1) == b"R"
    except OSError:
        return False


def _initdb(bin_dir: Path, state_dir: Path, data: Path, password: str, user: str | None) -> None:
    # initdb reads the password from a file the server's user can read; it
    # lives in the 0700 state dir only while initdb runs.
    pwfile = state_dir / "initdb-password"
    fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password)
    _own(pwfile, user, 0o600)
    try:
        argv = [str(bin_dir / "initdb"), "-D", str(data), "-U", POSTGRES_ROLE,
                f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8",
                "--locale=C.UTF-8", "--no-instructions"]
        with open(state_dir / "postgres.log", "ab") as out:
            returncode = _run_all(argv, timeout=120, stdout=out, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, user=user, group=user,
                                  extra_groups=[] if user else None)
    finally:
        pwfile.unlink(missing_ok=True)
    if returncode != 0:
        tail = "\n".join((state_dir / "postgres.log").read_text(errors="replace")
                         .splitlines()[-20:])
        raise ServiceError(f"initdb failed with {returncode} in {data}:\n{tail}")


def _run_all(argv: list[str], *, timeout: float, **popen: Any) -> int:
    """Run ``argv`` to its end in a process group of its own; its exit status.

    Interrupted (Ctrl-C, ``onlive bench`` stopped by SIGTERM) or past ``timeout``,
    the whole group is stopped, not only ``argv``: initdb runs postgres as its
    child, which ``subprocess.run`` would leave running on its own. SIGTERM first,
    so initdb removes the half-made data directory; SIGKILL after a grace."""
    process = subprocess.Popen(argv, start_new_session=True, **popen)
    try:
        return process.wait(timeout=timeout)
    except BaseException:
        _stop_group(process)
        raise


def _stop_group(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM to ``process``'s group, SIGKILL to what is left of it after ``grace``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()  # reaped, so only the rest of the group keeps it in being
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _write_hba(data: Path, user: str | None) -> None:
    """Only password (SCRAM) connections over TCP from 127.0.0.1; no socket, no trust."""
    hba = data / "pg_hba.conf"
    hba.write_text("# written by onlive: loopback TCP with a password, nothing else\n"
                   "host all all 127.0.0.1/32 scram-sha-256\n")
    _own(hba, user, 0o600)


def _create_database(bin_dir: Path, port: int, password: str, database: str) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5"}
    done = subprocess.run([str(bin_dir / "createdb"), "-h", LOOPBACK, "-p", str(port), "-U",
                           POSTGRES_ROLE, database], env=env, capture_output=True, text=True,
                          timeout=60)
    if done.returncode != 0 and "already exists" not in done.stderr:
        raise ServiceError(f"could not create the database {database!r}: {done.stderr.strip()}")


def start_postgres(state_dir: Path, port: int, password: str, *, bin_dir: Path = POSTGRES_BIN,
                   durable: bool = True, database: str = POSTGRES_DATABASE) -> Child:
    """postgres on 127.0.0.1:port with its cluster in ``state_dir/data``.

    An empty ``state_dir`` is initialised first (initdb: UTF-8, superuser
    ``onlive`` with ``password``, SCRAM authentication) and ``database``
    created. The server listens on TCP 127.0.0.1 only, with no Unix socket,
    and accepts only password connections from 127.0.0.1. As root it runs as
    the ``postgres`` system user, so ``state_dir`` is handed to that user
    (mode 0700) and its parents must let that user through. ``durable=False``
    turns off fsync for throw-away test clusters. Ready when it asks a
    connection for a password; stopped by pid with SIGINT (fast shutdown).
    """
    binary = bin_dir / "postgres"
    if not binary.exists():
        raise ServiceError(f"the PostgreSQL server is not installed ({binary} not found): run "
                           "the README's set-up command (Debian package postgresql) or set "
                           "ONLIVE_POSTGRES_BIN")
    ensure_port_free(port, "postgres")
    user = _postgres_user()
    state_dir.mkdir(parents=True, exist_ok=True)
    if user is not None:
        _check_reachable(state_dir, user)
    _own(state_dir, user, 0o700)
    data = state_dir / "data"
    if not (data / "PG_VERSION").exists():
        _initdb(bin_dir, state_dir, data, password, user)
    _write_hba(data, user)
    argv = [str(binary), "-D", str(data), "-c", f"listen_addresses={LOOPBACK}",
            "-c", f"port={port}", "-c", "unix_socket_directories=",
            "-c", "password_encryption=scram-sha-256", "-c", "logging_collector=off"]
    if not durable:
        argv += ["-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off"]
    child = _spawn("postgres", argv, state_dir / "postgres.log", user=user)
    child.stop_signal = signal.SIGINT
    try:
        _wait(child, lambda: _postgres_answers(port), 60.0)
        _create_database(bin_dir, port, password, database)
    except BaseException:
        child.stop()
        raise
    log.info("postgres ready", extra={"pid": child.pid, "port": port})
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
