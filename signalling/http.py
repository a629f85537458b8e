"""HTTP routes: health, readiness, LiveKit webhooks and the pages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from orchestrator.errors import AuthError, BadRequest
from orchestrator.readmodels import Check
from orchestrator.services import Services
from orchestrator.settings import Settings
from signalling import views, wire
from signalling.admin import StaffRoutes
from signalling.classpage import ClassPageRoutes
from signalling.httpguard import read_body
from signalling.mytraining import MyTrainingRoutes

log = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES = 256 * 1024
PAGES = {"/p": "participant.html", "/f": "facilitator.html", "/ops": "ops.html",
         "/m": "mytraining.html", "/admin": "admin.html", "/insights": "insights.html",
         "/classes": "classes.html", "/passes": "passes.html", "/signin": "signin.html"}
#: Where the set-up command puts the built pages.
WEB_DIST = Path(__file__).resolve().parent.parent / "web" / "dist"

PLACEHOLDER = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>onlive</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<h1>onlive</h1>
<p lang="sv">Webbsidorna är inte byggda här. Kör <code>make dev</code> igen så byggs de.
Inget spelas in.</p>
<p lang="en">The web pages are not built here. Run <code>make dev</code> again to build
them. Nothing is recorded.</p>
</body></html>
"""


class Routes:
    """The HTTP side of a worker; ``services`` gives the application once it has started."""

    def __init__(self, services: Callable[[], Services], settings: Settings,
                 dist: Path = WEB_DIST, *, channel_up: Callable[[], bool] | None = None) -> None:
        self.services = services
        self.settings = settings
        self.dist = dist
        # Whether the cross-worker channel is subscribed now: read from the channel
        # itself, not from the Redis watcher's copy, which follows it a round later.
        self.channel_up = channel_up

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_post("/webhooks/livekit", self.livekit_webhook)
        MyTrainingRoutes(self.services).setup(app)
        StaffRoutes(self.services).setup(app)
        ClassPageRoutes(self.services).setup(app)
        for path in PAGES:
            app.router.add_get(path, self.page)
        app.router.add_get("/", self.index)
        if (self.dist / "assets").is_dir():
            app.router.add_static("/assets", self.dist / "assets", append_version=False)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        checks = await self.services().overview.health()
        if self.channel_up is not None:
            # Ready only once the cross-worker channel is subscribed again too:
            # a worker that cannot hear the others would miss their broadcasts.
            up = self.channel_up()
            checks["channel"] = Check(up, error=None if up
                                      else "the cross-worker channel is not subscribed")
        ready = all(check.ok for check in checks.values())
        return web.json_response({"ready": ready, **views.health(checks)},
                                 status=200 if ready else 503)

    async def livekit_webhook(self, request: web.Request) -> web.Response:
        try:
            raw = await read_body(request, MAX_WEBHOOK_BYTES)
        except BadRequest as error:
            return web.json_response(wire.error(error.code, error.message), status=413)
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            return web.json_response(wire.error(
                "bad_payload", "a LiveKit webhook is JSON in UTF-8"), status=400)
        try:
            await self.services().rooms.receive(body, request.headers.get("Authorization", ""))
        except AuthError as error:
            log.warning("webhook refused: %s", error.message,
                        extra={"remote": request.remote, "code": error.code})
            return web.json_response(wire.error(error.code, error.message), status=401)
        return web.json_response({"ok": True})

    async def page(self, request: web.Request) -> web.StreamResponse:
        # The security headers come from signalling.headers, on every response.
        headers = {"Cache-Control": "no-store"}
        target = self.dist / PAGES[request.path]
        if target.exists():
            return web.FileResponse(target, headers=headers)
        return web.Response(text=PLACEHOLDER, content_type="text/html", headers=headers)

    async def index(self, request: web.Request) -> web.Response:
        return web.Response(text=PLACEHOLDER, content_type="text/html")
