"""Every route answers with the security headers, pages with the pages' policy."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from orchestrator.root.app import create_app
from signalling import headers
from signalling.devmail import DevMailRoutes, SentMail
from tests.harness import OrchestratorProcess, settings_for

pytestmark = pytest.mark.services

COMMON = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def concrete(path: str) -> str:
    """A path to request for a route pattern: ``{id:\\d+}`` becomes 1."""
    return re.sub(r"\{[^}]*\}", "1", path)


def routes_of(app: web.Application) -> list[tuple[str, str]]:
    found = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        if path and route.method != "HEAD":
            found.append((route.method, concrete(path)))
    return sorted(set(found))


def assert_secure(path: str, status: int, got: dict[str, str], content_type: str) -> None:
    for name, value in COMMON.items():
        assert got.get(name) == value, (path, status, name)
    csp = got["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp, path
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, path
    policy = got["Permissions-Policy"]
    if path in ("/p", "/f"):
        assert "camera=(self)" in policy and "microphone=(self)" in policy, path
    else:
        assert "camera=()" in policy and "microphone=()" in policy, path
    if content_type == "text/html":
        assert "script-src 'self'" in csp and "default-src 'self'" in csp, path
    else:
        assert "default-src 'none'" in csp, (path, content_type)


async def test_every_route_of_the_orchestrator_sends_the_security_headers(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    # The app is built (not started) only to list its routes; the process serves them.
    routes = routes_of(create_app(settings_for(env)))
    paths = {p for _, p in routes}
    assert {"/p", "/f", "/ops", "/m", "/healthz", "/webhooks/livekit", "/api/m/choose",
            "/socket.io/"} <= paths
    async with aiohttp.ClientSession() as session:
        for method, path in [*routes, ("GET", "/no-such-page"), ("GET", "/assets/../x")]:
            if method == "*":
                method = "GET"
            async with session.request(method, orchestrator.base_url + path,
                                       headers={"Origin": orchestrator.base_url},
                                       data=b"{" if method == "POST" else None) as r:
                await r.read()
                assert_secure(path, r.status, dict(r.headers), r.content_type)
    livekit = env["ONLIVE_LIVEKIT_URL"]
    async with aiohttp.ClientSession() as session:
        async with session.get(orchestrator.base_url + "/p") as r:
            csp = r.headers["Content-Security-Policy"]
    connect = next(p for p in csp.split(";") if p.strip().startswith("connect-src")).split()[1:]
    own = orchestrator.base_url
    assert set(connect) == {"'self'", own, own.replace("http", "ws", 1), livekit,
                            livekit.replace("ws", "http", 1)}


class _NoMail:
    received: list[SentMail] = []


async def test_the_dev_mail_routes_send_the_security_headers(tmp_path: Path) -> None:
    app = web.Application()
    headers.install(app, settings_for({"ONLIVE_SECRET": "x" * 40,
                                       "ONLIVE_LIVEKIT_URL": "ws://127.0.0.1:7880",
                                       "ONLIVE_STATE_DIR": str(tmp_path)}))
    page = tmp_path / "devmail.html"
    page.write_text("<!doctype html><title>mail</title>")
    DevMailRoutes(_NoMail(), page).setup(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as session:
            for _, path in routes_of(app):
                async with session.get(f"http://127.0.0.1:{port}{path}") as r:
                    await r.read()
                    assert_secure(path, r.status, dict(r.headers), r.content_type)
    finally:
        await runner.cleanup()
