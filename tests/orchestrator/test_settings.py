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
