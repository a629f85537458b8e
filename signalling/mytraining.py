"""HTTP routes of "Min träning", the participant's own page, behind their personal link.

The page (``/m``) keeps the link's token from the URL fragment and sends it
as ``Authorization: Bearer TOKEN``; a token never travels in a URL. Routes
(JSON unless said otherwise):

    GET  /api/m                       the page's data
    POST /api/m/choose   {pass_id, give_up_place?}   take a place or waiting spot
    POST /api/m/cancel   {pass_id}                    give it up
    POST /api/m/join     {pass_id}    the join link, from ten minutes before the start
    GET  /api/m/calendar?pass=ID      the session's .ics (text/calendar)
    GET  /api/m/export                everything held about the person (JSON file)
    POST /api/m/link     {email}      mail the link again (answers the same whoever asks;
                                      429 ``too_many_requests`` after a few an hour)

Every refusal is ``{"ok": false, "error": {"code", "message"}}`` with a
status that fits it (400 bad input, 401 no valid link, 404 unknown session,
409 refused by the enrolment rules, 410 a deactivated person or an ended
program: that says so and offers nothing else); nothing changes then.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from breakout.errors import CodedError
from exercises.errors import DomainError
from orchestrator.errors import AuthError, BadRequest, NotFound, RateLimited
from orchestrator.gym.flowrecords import LinkHolder
from orchestrator.services import Services
from signalling import views, wire

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4096
PASS_ID = re.compile(r"[a-z0-9-]{4,64}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s.]{1,63}")
GONE = frozenset({"person_inactive", "program_ended"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _status(error: CodedError) -> int:
    if isinstance(error, AuthError):
        return 410 if error.code in GONE else 401
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, RateLimited):
        return 429
    if isinstance(error, BadRequest):
        return 400
    if isinstance(error, DomainError):
        return 409
    return 500


class MyTrainingRoutes:
    def __init__(self, services: Callable[[], Services]) -> None:
        self.services = services

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/api/m", self._guard(self.page))
        app.router.add_post("/api/m/choose", self._guard(self.choose))
        app.router.add_post("/api/m/cancel", self._guard(self.cancel))
        app.router.add_post("/api/m/join", self._guard(self.join))
        app.router.add_get("/api/m/calendar", self._guard(self.calendar))
        app.router.add_get("/api/m/export", self._guard(self.export))
        app.router.add_post("/api/m/link", self._guard(self.send_link))

    def _guard(self, handler: Handler) -> Handler:
        """Refusals become coded JSON errors in this one place."""
        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                response = await handler(request)
            except CodedError as error:
                log.info("my training refused: %s", error.message,
                         extra={"code": error.code, "path": request.path})
                response = web.json_response(wire.error(error.code, error.message),
                                             status=_status(error))
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
        return guarded

    async def _holder(self, request: web.Request) -> LinkHolder:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            raise AuthError("open the page from your personal link", code="invalid_link")
        return await self.services().gym.links.resolve(token.strip())

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise BadRequest(f"the request is larger than {MAX_BODY_BYTES} bytes",
                             code="too_large")
        raw = await request.content.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise BadRequest(f"the request is larger than {MAX_BODY_BYTES} bytes",
                             code="too_large")
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("the request is not JSON", code="bad_payload") from None
        if not isinstance(body, dict):
            raise BadRequest("the request must be a JSON object", code="bad_payload")
        return body

    @staticmethod
    def _pass_id(value: object) -> str:
        if not isinstance(value, str) or not PASS_ID.fullmatch(value):
            raise BadRequest("pass_id: a session id (4-64 lower-case letters, digits or '-')",
                             code="bad_payload")
        return value

    async def page(self, request: web.Request) -> web.StreamResponse:
        holder = await self._holder(request)
        page = await self.services().gym.my_training.page(holder)
        return web.json_response(wire.ok(**views.my_training(page)))

    async def choose(self, request: web.Request) -> web.StreamResponse:
        holder = await self._holder(request)
        body = await self._body(request)
        give_up = body.get("give_up_place", False)
        if not isinstance(give_up, bool) or set(body) - {"pass_id", "give_up_place"}:
            raise BadRequest("send {pass_id, give_up_place: true|false}", code="bad_payload")
        plan = await self.services().gym.enrolments.choose(
            holder.org_id, holder.program_id, holder.employee_id,
            self._pass_id(body.get("pass_id")), give_up_place=give_up)
        return web.json_response(wire.ok(**views.enrolment_plan(plan)))

    async def cancel(self, request: web.Request) -> web.StreamResponse:
        holder = await self._holder(request)
        body = await self._body(request)
        plan = await self.services().gym.enrolments.cancel(
            holder.org_id, holder.program_id, holder.employee_id,
            self._pass_id(body.get("pass_id")))
        return web.json_response(wire.ok(**views.enrolment_plan(plan)))

    async def join(self, request: web.Request) -> web.StreamResponse:
        holder = await self._holder(request)
        body = await self._body(request)
        services = self.services()
        ticket = await services.gym.my_training.join(holder, self._pass_id(body.get("pass_id")))
        return web.json_response(wire.ok(url=f"/p#ticket={ticket}"))

    async def calendar(self, request: web.Request) -> web.StreamResponse:
        holder = await self._holder(request)
        pass_id = self._pass_id(request.query.get("pass"))
        data = await self.services().gym.my_training.calendar(holder, pass_id)
        return web.Response(body=data, content_type="text/calendar", charset="utf-8", headers={
            "Content-Disposition": f'attachment; filename="onlive-{pass_id}.ics"'})

    async def export(self, request: web.Request) -> web.StreamResponse:
        holder = await self._holder(request)
        full = await self.services().gym.my_training.export(holder)
        data = views.full_export(full.live, full.records.tables, holder.org_id)
        return web.Response(
            text=json.dumps(data, ensure_ascii=False, indent=2, default=str),
            content_type="application/json", headers={
                "Content-Disposition": f'attachment; filename="onlive-{holder.employee_id}.json"'})

    async def send_link(self, request: web.Request) -> web.StreamResponse:
        """A new personal link to the address, if it is someone's; the answer never says."""
        body = await self._body(request)
        email = body.get("email")
        if not isinstance(email, str) or len(email) > 254 or not EMAIL.fullmatch(email.strip()):
            raise BadRequest("email: your e-mail address", code="bad_payload")
        await self.services().gym.link_requests.ask(email)
        return web.json_response(wire.ok(), status=202)
