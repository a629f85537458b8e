"""Settings: read once from the environment, range-checked, with clear errors."""

from __future__ import annotations

import pytest

from orchestrator.errors import ConfigError
from orchestrator.settings import Settings


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


def test_the_database_settings_are_checked_and_the_url_is_never_shown(tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = {"ONLIVE_STATE_DIR": str(tmp_path)}
    s = Settings.from_env(base)
    assert s.database_url is None and s.postgres_port == 5440 and s.org == "default"
    assert (s.postgres_bin / "postgres").exists(), "Debian's server binaries are found"
    url = "postgresql://onlive:hunter2@127.0.0.1:5432/onlive"
    s = Settings.from_env({**base, "ONLIVE_DATABASE_URL": url, "ONLIVE_ORG": "acme"})
    assert s.database_url == url and s.org == "acme" and "hunter2" not in repr(s)
    for env, message in [({"ONLIVE_DATABASE_URL": "mysql://x"}, "must be a postgresql:// URL"),
                         ({"ONLIVE_ORG": "Acme AB"}, "ONLIVE_ORG must be 1-40 lower-case"),
                         ({"ONLIVE_POSTGRES_PORT": "0"}, "ONLIVE_POSTGRES_PORT must be 1-65535"),
                         ({"ONLIVE_DATABASE_POOL_SIZE": "1"}, "ONLIVE_DATABASE_POOL_SIZE")]:
        with pytest.raises(ConfigError, match=message):
            Settings.from_env({**base, **env})


def test_the_echo_peers_ice_addresses_are_a_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {"ONLIVE_STATE_DIR": str(tmp_path), "ONLIVE_HOST": "0.0.0.0"}
    assert Settings.from_env(env).media_ips == ()
    assert Settings.from_env(env).media_loopback is False
    chosen = Settings.from_env({**env, "ONLIVE_MEDIA_IPS": "203.0.113.7, 198.51.100.2"})
    assert chosen.media_ips == ("203.0.113.7", "198.51.100.2")
    with pytest.raises(ConfigError, match="ONLIVE_MEDIA_IPS"):
        Settings.from_env({**env, "ONLIVE_MEDIA_IPS": "media.example.org"})


def test_the_workers_event_loop_is_a_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    base = {"ONLIVE_STATE_DIR": str(tmp_path)}
    assert Settings.from_env(base).event_loop == "uvloop"
    assert Settings.from_env({**base, "ONLIVE_EVENT_LOOP": " AsyncIO "}).event_loop == "asyncio"
    with pytest.raises(ConfigError, match="ONLIVE_EVENT_LOOP must be uvloop or asyncio, not 'tokio'"):
        Settings.from_env({**base, "ONLIVE_EVENT_LOOP": "tokio"})
