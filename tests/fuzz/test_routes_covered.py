"""The fuzzer's hostile requests reach every route the server has."""

from __future__ import annotations

import re
from pathlib import Path

from orchestrator.root.app import create_app
from orchestrator.root.bench.fuzzcases import ROUTES
from tests.harness import settings_for


def test_the_fuzzer_sends_hostile_requests_to_every_route(tmp_path: Path) -> None:
    # Built (not started) only to list its routes, as the security-headers test does.
    # Nothing connects: the URLs only have to be there.
    app = create_app(settings_for({"ONLIVE_SECRET": "x" * 40,
                                   "ONLIVE_LIVEKIT_URL": "ws://127.0.0.1:7880",
                                   "ONLIVE_REDIS_URL": "redis://127.0.0.1:1/0",
                                   "ONLIVE_DATABASE_URL": "postgresql://127.0.0.1:1/x",
                                   "ONLIVE_STATE_DIR": str(tmp_path)}))
    missing = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        if "prefix" in info:  # static files: any path under the prefix
            pattern = re.escape(info["prefix"]) + "/.*"
        else:
            path = info.get("path") or info.get("formatter") or ""
            pattern = "".join(re.escape(part) if not part.startswith("{") else "[^/]+"
                              for part in re.split(r"(\{[^}]*\})", path))
        if not any(re.fullmatch(pattern, r) for r in ROUTES):
            missing.append(pattern)
    assert missing == [], "routes the fuzzer never sends hostile input to"
