"""HTTP routes: health, readiness, LiveKit webhooks and the pages."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiohttp import web

from orchestrator.keys import ECHO, LOOP_LAG, REDIS, SERVICE, SETTINGS, SFU, SIO, STORE, WEB_DIST

log = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES = 256 * 1024
PAGES = {"/p": "participant.html", "/f": "facilitator.html", "/ops": "ops.html"}

PLACEHOLDER = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>onlive</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto;
color: #111; background: #fff">
<h1>onlive</h1>
<p lang="sv">Webbsidorna är inte byggda här. Kör <code>make dev</code> igen så byggs de.
Inget spelas in.</p>
<p lang="en">The web pages are not built here. Run <code>make dev</code> again to build
them. Nothing is recorded.</p>
</body></html>
"""


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_post("/webhooks/livekit", livekit_webhook)
    for path in PAGES:
        app.router.add_get(path, page)
    app.router.add_get("/", index)

    if (WEB_DIST / "assets").is_dir():
        app.router.add_static("/assets", WEB_DIST / "assets", append_version=False)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _timed(what: str, coro: Any) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        await asyncio.wait_for(coro, timeout=2.0)
        return {"ok": True, "latency_ms": round((time.perf_counter() - start) * 1000, 2)}
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        log.warning("%s not ready: %s", what, error)
        return {"ok": False, "error": str(error) or type(error).__name__}


async def health(app: web.Application) -> dict[str, dict[str, Any]]:
    """Whether Redis and LiveKit answer, and how fast."""
    redis_check, livekit_check = await asyncio.gather(
        _timed("redis", app[REDIS].ping()), _timed("livekit", app[SFU].ping()))
    return {"redis": redis_check, "livekit": livekit_check}


async def readyz(request: web.Request) -> web.Response:
    checks = await health(request.app)
    ready = all(check["ok"] for check in checks.values())
    return web.json_response({"ready": ready, **checks}, status=200 if ready else 503)


async def livekit_webhook(request: web.Request) -> web.Response:

    if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_WEBHOOK_BYTES,
                                            actual_size=request.content_length or 0)
    body = await request.text()
    auth = request.headers.get("Authorization", "")
    try:
        event = request.app[SFU].webhook_receiver().receive(body, auth)
    except Exception as error:  # noqa: BLE001 - any verification failure is a 401
        log.warning("webhook refused: %s", error or type(error).__name__,
                    extra={"remote": request.remote})
        return web.json_response({"error": "invalid webhook signature"}, status=401)
    await request.app[SERVICE].on_webhook(event)
    return web.json_response({"ok": True})


async def page(request: web.Request) -> web.StreamResponse:

    settings = request.app[SETTINGS]
    headers = {
        "Content-Security-Policy": (
            f"default-src 'self'; connect-src 'self' {settings.livekit_url} "
            f"{(settings.livekit_url or '').replace('ws', 'http', 1)}; img-src 'self' data: blob:; "
            "media-src 'self' blob: mediastream:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'"),
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(self), microphone=(self), display-capture=()",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    target = WEB_DIST / PAGES[request.path]
    if target.exists():
        return web.FileResponse(target, headers=headers)
    return web.Response(text=PLACEHOLDER, content_type="text/html", headers=headers)


async def index(request: web.Request) -> web.Response:
    return web.Response(text=PLACEHOLDER, content_type="text/html")


async def overview(app: web.Application) -> dict[str, Any]:
    """What ops sees: every running pass with its rooms, health and alerts."""

    store, sfu = app[STORE], app[SFU]
    checks = await health(app)
    passes = []
    rooms_by_name: dict[str, Any] = {}
    if checks["livekit"]["ok"]:
        rooms_by_name = {r.name: r for r in await sfu.rooms()}
    for pass_id in await store.live_passes():
        try:
            state = await store.load(pass_id)
        except Exception:  # noqa: BLE001 - a damaged pass must not hide the others
            continue
        rooms = [state.main_room] + list(state.breakout.rooms if state.breakout else ())
        passes.append({
            "pass": pass_id, "phase": state.phase.value, "step": state.step_index,
            "title": state.script.title.to_wire(), "present": len(state.present),
            "rooms": [{"name": r, "participants": rooms_by_name[r].participants
                       if r in rooms_by_name else None} for r in rooms],
        })
    eio = app[SIO].eio
    return {
        "passes": passes,
        "health": checks,
        "loop_lag_ms": {"last_ms": app[LOOP_LAG].last_ms, "max_ms": app[LOOP_LAG].max_ms},
        "connections": len(getattr(eio, "sockets", {})),
        "echo_sessions": {"active": app[ECHO].active, "capacity": app[ECHO].capacity},
        "alerts": await store.recent_alerts(),
        "server_now": time.time(),
    }
