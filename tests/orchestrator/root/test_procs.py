"""Child processes: busy ports are named, LiveKit's config is loopback only."""

from __future__ import annotations

import os
import shutil
import signal
import socket
from pathlib import Path

import pytest
import redis

from orchestrator.errors import ServiceError
from orchestrator.root.procs import (
    LiveKitKeys,
    _postgres_answers,
    ensure_port_free,
    free_port,
    livekit_config,
    redis_url,
    start_postgres,
    start_redis,
)


def test_a_busy_port_is_named_in_the_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ServiceError, match=f"redis-server cannot use TCP port {port}"):
            ensure_port_free(port, "redis-server")


def test_the_livekit_config_is_loopback_only_and_never_auto_creates_rooms() -> None:
    config = livekit_config(port=7880, udp_port=7882, keys=LiveKitKeys("k", "s" * 40),
                            webhook_url="http://127.0.0.1:8080/webhooks/livekit")
    rtc = config["rtc"]
    assert isinstance(rtc, dict)
    assert config["bind_addresses"] == ["127.0.0.1"]
    assert rtc == {**rtc, "node_ip": "127.0.0.1", "use_external_ip": False, "tcp_port": 0,
                   "stun_servers": ["127.0.0.1:3478"], "ips": {"includes": ["127.0.0.1/32"]},
                   "use_ice_lite": True}  # clients control ICE, as browsers do
    assert config["room"]["auto_create"] is False  # type: ignore[index]


def test_postgres_refuses_a_state_dir_its_user_cannot_reach(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only as root does postgres run as another user")  # CI runs as root
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(ServiceError, match=f"cannot enter {private} \\(mode 700\\)"):
        start_postgres(private / "pg", free_port(), "pw")


def test_a_closed_port_is_not_a_ready_postgres() -> None:
    assert not _postgres_answers(free_port())


def _raw(port: int, command: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(command)
        return s.recv(200)


def test_redis_admits_only_its_password_user_and_keeps_its_files_private(
        tmp_path: Path) -> None:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run make test")
    port, password = free_port(), "pw-" + "x" * 30
    child = start_redis(tmp_path / "redis", port, password=password)
    try:
        assert _raw(port, b"PING\r\n").startswith(b"-NOAUTH")
        assert _raw(port, b"PUBLISH onlive:sio forged\r\n").startswith(b"-NOAUTH"), \
            "no message can be forged into the Socket.IO channel without the password"
        assert b"WRONGPASS" in _raw(port, b"AUTH onlive wrong\r\n")
        assert b"WRONGPASS" in _raw(port, b"AUTH default \r\n")
        client = redis.Redis.from_url(redis_url(port, password))
        try:
            assert client.ping()
            client.set("k", "v")
        finally:
            client.close()
        assert (tmp_path / "redis").stat().st_mode & 0o777 == 0o700
        assert (tmp_path / "redis" / "redis-acl.conf").stat().st_mode & 0o777 == 0o600
        cmdline = Path(f"/proc/{child.pid}/cmdline").read_bytes()
        assert password.encode() not in cmdline, "other local users can read a command line"
    finally:
        child.stop()


def test_redis_replays_its_transactions_after_a_kill(tmp_path: Path) -> None:
    """The AOF's MULTI/EXEC come back after kill -9 (Redis replays them as the disabled
    ``default`` user, which must keep its rights)."""
    port, password = free_port(), "pw-" + "y" * 30
    child = start_redis(tmp_path / "redis", port, password=password)
    try:
        client = redis.Redis.from_url(redis_url(port, password))
        try:
            pipe = client.pipeline(transaction=True)
            pipe.set("a", "1")
            pipe.set("b", "2")
            pipe.execute()
        finally:
            client.close()
        assert child.process is not None
        os.kill(child.pid, signal.SIGKILL)
        child.process.wait(timeout=10)
        assert child.respawn is not None
        child = child.respawn()
        client = redis.Redis.from_url(redis_url(port, password))
        try:
            assert client.mget("a", "b") == [b"1", b"2"]
        finally:
            client.close()
        assert _raw(port, b"PING\r\n").startswith(b"-NOAUTH"), "default stays off"
    finally:
        child.stop()
