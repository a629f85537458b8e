"""The state directory a benchmark starts its services in."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def state_dir(prefix: str, parent: str | None = None) -> Iterator[str]:
    """A temporary directory, removed afterwards, that the postgres user can pass
    through (as root, PostgreSQL runs as its own user)."""
    with tempfile.TemporaryDirectory(prefix=prefix, dir=parent) as tmp:
        os.chmod(tmp, 0o711)
        yield tmp
