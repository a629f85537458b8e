#!/usr/bin/env python3
"""Print a hash of pyproject.toml's dependency lists (runtime, extras, build backend).

The lock files (scripts/lock.sh) start with the hash they were made from, and
scripts/setup.sh compares it with this one: a change to anything else in
pyproject.toml (a tool's settings, the version) does not make the locks stale.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

project = Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml")
data = tomllib.loads(project.read_text())
lists = {
    "dependencies": sorted(data["project"].get("dependencies", [])),
    "optional": {k: sorted(v) for k, v in data["project"].get("optional-dependencies", {}).items()},
    "build": sorted(data["build-system"]["requires"]),
}
print(hashlib.sha256(json.dumps(lists, sort_keys=True).encode()).hexdigest()[:16])
