"""The pinned LiveKit version is written once (orchestrator/version.py); every
other place that names it must agree, so an upgrade cannot leave the
production layout on one server and the tests on another. The Python
dependencies are pinned with their hashes in lock files made from
pyproject.toml (`make lock`), which set-up, CI and the worker image install."""

from __future__ import annotations

import re
import subprocess
import sys
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


LOCKS = ("scripts/requirements-test.lock", "scripts/requirements.lock")


def _pins(lock: str) -> dict[str, tuple[str, int]]:
    """{package: (version, number of hashes)} of a lock file."""
    pins: dict[str, tuple[str, int]] = {}
    current = ""
    for line in (ROOT / lock).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith(" "):
            assert line.strip().startswith("--hash=sha256:"), (lock, line)
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.\-\[\],]+)==([^\s;]+)(?:\s*;[^\\]*)?\s*\\", line)
        assert match, f"{lock}: not pinned with ==: {line!r}"
        current = match.group(1).lower()
        pins[current] = (match.group(2), 0)
    return pins


def test_the_lock_files_are_made_from_pyprojects_dependency_lists() -> None:
    """A dependency added to pyproject.toml without `make lock` fails here (set-up would
    otherwise install it unpinned, with only a warning)."""
    made_from = subprocess.run([sys.executable, str(ROOT / "scripts" / "deps-hash.py"),
                                str(ROOT / "pyproject.toml")],
                               capture_output=True, text=True, check=True).stdout.strip()
    for lock in LOCKS:
        first = (ROOT / lock).read_text(encoding="utf-8").splitlines()[0]
        assert first == f"# pyproject.toml dependencies: {made_from}", \
            f"{lock} is behind pyproject.toml: run `make lock` and commit it"


def test_every_locked_package_is_pinned_with_its_hashes_and_the_image_runs_the_tested_versions(
) -> None:
    tested, image = _pins(LOCKS[0]), _pins(LOCKS[1])
    assert all(hashes for _, hashes in [*tested.values(), *image.values()])
    assert {"aiohttp", "python-socketio", "redis", "asyncpg", "prometheus-client"} <= set(image)
    assert {name: version for name, (version, _) in image.items()} == \
        {name: tested[name][0] for name in image}, "the image and the tests run other versions"


def test_set_up_ci_and_the_image_install_only_from_the_locks_with_hashes() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert 'lock="scripts/requirements-test.lock"' in setup
    assert 'pip install -q --require-hashes --no-deps -r "$lock"' in setup
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/setup.sh" in (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    dockerfile = (ROOT / "scripts" / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --no-cache-dir --require-hashes --no-deps -r scripts/requirements.lock" \
        in dockerfile
    # Updating them is one documented command.
    assert re.search(r"^lock:\n\tscripts/lock\.sh$", (ROOT / "Makefile").read_text(), re.M)
    assert "`make lock`" in (ROOT / "README.md").read_text(encoding="utf-8")
