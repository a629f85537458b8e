"""The pinned LiveKit version is written once (orchestrator/version.py); every
other place that names it must agree, so an upgrade cannot leave the
production layout on one server and the tests on another."""

from __future__ import annotations

import re
from pathlib import Path

from orchestrator.version import LIVEKIT_VERSION

ROOT = Path(__file__).resolve().parent.parent


def test_compose_runs_the_livekit_version_the_tests_run() -> None:
    compose = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    tags = re.findall(r"image:\s*livekit/livekit-server:v?([0-9][^\s\"']*)", compose)
    assert tags, "compose.yaml names no livekit/livekit-server image"
    assert set(tags) == {LIVEKIT_VERSION}


def test_set_up_builds_the_version_from_orchestrator_version() -> None:
    # The scripts read the version from version.py instead of writing it again.
    for script in ("scripts/setup.sh", "scripts/test.sh"):
        text = (ROOT / script).read_text(encoding="utf-8")
        assert LIVEKIT_VERSION not in text, f"{script} writes the version itself"
        assert "orchestrator/version.py" in text, f"{script} does not read orchestrator/version.py"
