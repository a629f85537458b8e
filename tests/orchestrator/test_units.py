"""Pure seams of the orchestrator: credentials, wire schemas, settings, codec."""

from __future__ import annotations

import socket

import pytest

from exercises import events as ev
from exercises.demo import demo_class
from exercises.state import PassState
from orchestrator import tickets
from orchestrator.adapters.redis_store import pack, unpack
from orchestrator.errors import AuthError, BadRequest, ConfigError, ServiceError
from orchestrator.root.procs import ensure_port_free, livekit_config, LiveKitKeys
from orchestrator.scheduler import sleep_for
from orchestrator.settings import Settings
from signalling import wire


def claims(kind: tickets.Kind = tickets.Kind.PARTICIPANT, exp: float = 100.0) -> tickets.Claims:
    return tickets.Claims(kind, "pass1", "p-anna", exp)


def test_a_ticket_verifies_for_its_kind_until_it_expires() -> None:
    token = tickets.issue("s" * 40, claims())
    assert tickets.verify("s" * 40, token, now=99, kind=tickets.Kind.PARTICIPANT) == claims()
    with pytest.raises(AuthError) as error:
        tickets.verify("s" * 40, token, now=100, kind=tickets.Kind.PARTICIPANT)
    assert error.value.code == "expired_credential"
    with pytest.raises(AuthError) as error:
        tickets.verify("s" * 40, token, now=1, kind=tickets.Kind.FACILITATOR)
    assert error.value.code == "wrong_role"


@pytest.mark.parametrize("credential", [None, "", "abc", "a.b", 42, "x" * 5000])
def test_garbage_credentials_are_refused_with_a_code(credential: object) -> None:
    with pytest.raises(AuthError) as error:
        tickets.verify("s" * 40, credential, now=1, kind=tickets.Kind.PARTICIPANT)
    assert error.value.code in ("missing_credential", "invalid_credential")


def test_a_ticket_signed_with_another_secret_is_forged() -> None:
    token = tickets.issue("a" * 40, claims())
    with pytest.raises(AuthError, match="not valid"):
        tickets.verify("b" * 40, token, now=1, kind=tickets.Kind.PARTICIPANT)


def test_commands_are_checked_against_their_schema() -> None:
    assert wire.parse_command({"name": "extend", "seconds": 60}) == ev.Extend(60)
    for bad, code in [({"name": "extend"}, "bad_payload"),
                      ({"name": "extend", "seconds": True}, "bad_payload"),
                      ({"name": "extend", "seconds": 0}, "out_of_range"),
                      ({"name": "broadcast", "text": "x" * 501}, "out_of_range"),
                      ({"name": "start", "extra": 1}, "bad_payload"),
                      ({"name": "launch"}, "unknown_command"),
                      (["start"], "bad_payload")]:
        with pytest.raises(BadRequest) as error:
            wire.parse_command(bad)
        assert error.value.code == code, bad


def test_payloads_over_64_kb_are_refused() -> None:
    with pytest.raises(BadRequest) as error:
        wire.parse_event("help", {"text": "x" * (64 * 1024)})
    assert error.value.code == "too_large"


def test_settings_come_from_the_environment_with_clear_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = Settings.from_env({"ONLIVE_STATE_DIR": str(tmp_path), "ONLIVE_PORT": "9000"})
    assert s.port == 9000 and s.base_url == "http://127.0.0.1:9000"
    assert len(s.secret) >= 32
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600
    assert Settings.from_env({"ONLIVE_STATE_DIR": str(tmp_path)}).secret == s.secret
    with pytest.raises(ConfigError, match="ONLIVE_PORT must be a whole number"):
        Settings.from_env({"ONLIVE_STATE_DIR": str(tmp_path), "ONLIVE_PORT": "eighty"})
    with pytest.raises(ConfigError, match="ONLIVE_TOKEN_TTL"):
        Settings.from_env({"ONLIVE_STATE_DIR": str(tmp_path), "ONLIVE_TOKEN_TTL": "3600"})


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
    assert config["bind_addresses"] == ["127.0.0.1"]
    assert rtc == {**rtc, "node_ip": "127.0.0.1", "use_external_ip": False, "tcp_port": 0,
                   "stun_servers": ["127.0.0.1:3478"], "ips": {"includes": ["127.0.0.1/32"]}}
    assert config["room"]["auto_create"] is False  # type: ignore[index]


def test_pass_state_survives_the_store_codec() -> None:
    state = PassState(id="p", program="g", script=demo_class(), main_room="m", present=frozenset({"a"}))
    assert unpack(PassState, pack(state)) == state


def test_the_scheduler_sleeps_until_the_next_deadline_within_bounds() -> None:
    assert sleep_for(None, 10.0) == 1.0
    assert sleep_for(10.25, 10.0) == 0.25
    assert sleep_for(5.0, 10.0) == 0.005
    assert sleep_for(99.0, 10.0) == 1.0
