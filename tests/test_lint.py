"""The code passes the lint gate: pyflakes, pycodestyle and import order (ruff, pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

from tests.harness import ROOT


def test_the_code_passes_the_linter() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
