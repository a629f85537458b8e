"""HTTP routes of the class page (admins and facilitators) and the facilitator's passes.

The pages keep their credential from the URL fragment and send it as
``Authorization: Bearer CREDENTIAL``: an admin credential or a facilitator's
own (``onlive facilitator-link NAME``) for the class page, the facilitator's
own for their passes. Routes (JSON unless said otherwise):

    GET  /api/classes                    the organisation's classes and the built-in ones,
                                         and the caller's role (admin or facilitator)
    GET  /api/classes/exercises          the built-in exercises, as steps to add
    GET  /api/classes/{id}?version=N     a class as a draft, with its versions
    POST /api/classes/check  {draft, based_on}                the draft's problems
    POST /api/classes/save   {draft, based_on, copied_from}   its next version
    GET  /api/classes/{id}/yaml?version=N                     the class file (text/yaml)
    POST /api/classes/import  (the class file's text)         its next version
    GET  /api/facilitator/sessions       their scheduled and open sessions
    POST /api/facilitator/open {pass_id}  open one; the link to run it

Every refusal is ``{"ok": false, "error": {"code", "message"}}`` (the page
translates the code) with a status that fits it: 400 bad input, 401 no valid
credential, 404 unknown, 409 refused or changed meanwhile, 422 a class that is
not valid, with ``problems`` (field path, code, parameters); nothing changes then.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from breakout.errors import CodedError
from exercises.classfile import MAX_FILE_BYTES, ClassFileError
from exercises.errors import DomainError
from orchestrator.errors import AuthError, BadRequest, Conflict, NotFound
from orchestrator.services import Services
from orchestrator.tickets import Kind
from signalling import views, wire
from signalling.httpguard import read_body

log = logging.getLogger(__name__)

#: A draft is a class file's worth of text, as JSON.
MAX_BODY_BYTES = MAX_FILE_BYTES + 16 * 1024
CLASS_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
PASS_ID = re.compile(r"[a-z0-9-]{4,64}")
CLASS_STAFF = frozenset({Kind.ADMIN, Kind.FACILITATOR_HOME})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _status(error: CodedError) -> int:
    if isinstance(error, AuthError):
        return 401
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, BadRequest):
        return 400
    if isinstance(error, ClassFileError):
        return 422
    if isinstance(error, Conflict | DomainError):
        return 409
    return 500


class ClassPageRoutes:
    def __init__(self, services: Callable[[], Services]) -> None:
        self.services = services

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/api/classes", self._guard(self.catalogue))
        app.router.add_get("/api/classes/exercises", self._guard(self.exercises))
        app.router.add_post("/api/classes/check", self._guard(self.check))
        app.router.add_post("/api/classes/save", self._guard(self.save))
        app.router.add_post("/api/classes/import", self._guard(self.import_file))
        app.router.add_get("/api/classes/{class_id}", self._guard(self.open))
        app.router.add_get("/api/classes/{class_id}/yaml", self._guard(self.export))
        app.router.add_get("/api/facilitator/sessions", self._guard(self.sessions))
        app.router.add_post("/api/facilitator/open", self._guard(self.open_session))

    def _guard(self, handler: Handler) -> Handler:
        """Refusals become coded JSON errors in this one place."""
        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                response = await handler(request)
            except CodedError as error:
                log.info("staff request refused: %s", error.message,
                         extra={"code": error.code, "path": request.path})
                body = wire.error(error.code, error.message)
                if isinstance(error, ClassFileError):
                    body["problems"] = views.problems(error.problems)
                response = web.json_response(body, status=_status(error))
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
        return guarded

    async def _staff(self, request: web.Request, kinds: frozenset[Kind]) -> tuple[str, str]:
        org, name, _ = await self._who(request, kinds)
        return org, name

    async def _who(self, request: web.Request, kinds: frozenset[Kind]) -> tuple[str, str, Kind]:
        """The organisation, the name and the role of whoever the credential lets in
        (revocable staff links, ``orchestrator.gym.staff``)."""
        scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not credential:
            raise AuthError("open the page from your link", code="missing_credential")
        services = self.services()
        kind = services.access.verify(credential.strip(), kinds).kind
        principal = await services.gym.staff.resolve(credential.strip(), kind)
        row = await services.gym.records.staff_credential(principal.credential_id)
        name = row.label.strip() if row is not None else ""
        if kind is Kind.FACILITATOR_HOME and not name:
            raise AuthError("the link names no facilitator", code="invalid_credential")
        return principal.org_id, name or kind.value, kind

    async def _raw(self, request: web.Request) -> bytes:
        raw = await read_body(request, MAX_BODY_BYTES)
        return raw

    async def _body(self, request: web.Request, allowed: frozenset[str]) -> dict[str, Any]:
        try:
            body = json.loads(await self._raw(request) or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("the request is not JSON", code="bad_payload") from None
        if not isinstance(body, dict) or set(body) - allowed:
            raise BadRequest(f"send a JSON object with {', '.join(sorted(allowed))}",
                             code="bad_payload")
        return body

    @staticmethod
    def _version(value: object, field: str, *, query: bool = False) -> int | None:
        if value is None or (query and value == ""):
            return None
        if query and isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
            raise BadRequest(f"{field}: a version number", code="bad_payload")
        return value

    @staticmethod
    def _class_id(value: object, field: str = "class_id") -> str:
        if not isinstance(value, str) or not CLASS_ID.fullmatch(value):
            raise BadRequest(f"{field}: a class id", code="bad_payload")
        return value

    # -- the class page -------------------------------------------------------------------

    async def catalogue(self, request: web.Request) -> web.StreamResponse:
        org, _, kind = await self._who(request, CLASS_STAFF)
        found = await self.services().gym.classes.catalogue(org)
        # The page links back to the role's own page: the admin's, or the facilitator's.
        role = "admin" if kind is Kind.ADMIN else "facilitator"
        return web.json_response(wire.ok(role=role, **views.class_catalogue(found)))

    async def exercises(self, request: web.Request) -> web.StreamResponse:
        await self._staff(request, CLASS_STAFF)
        return web.json_response(wire.ok(**views.library_exercises(
            self.services().gym.classes.exercises())))

    async def open(self, request: web.Request) -> web.StreamResponse:
        org, _ = await self._staff(request, CLASS_STAFF)
        class_id = self._class_id(request.match_info["class_id"])
        version = self._version(request.query.get("version"), "version", query=True)
        opened = await self.services().gym.classes.open(org, class_id, version)
        return web.json_response(wire.ok(**views.opened_class(opened)))

    async def check(self, request: web.Request) -> web.StreamResponse:
        await self._staff(request, CLASS_STAFF)
        body = await self._body(request, frozenset({"draft", "based_on"}))
        checked = self.services().gym.classes.check(
            body.get("draft"), self._version(body.get("based_on"), "based_on"))
        return web.json_response(wire.ok(valid=checked.ok,
                                         problems=views.problems(checked.problems)))

    async def save(self, request: web.Request) -> web.StreamResponse:
        org, name = await self._staff(request, CLASS_STAFF)
        body = await self._body(request, frozenset({"draft", "based_on", "copied_from"}))
        copied = body.get("copied_from")
        version, changed = await self.services().gym.classes.save(
            org, body.get("draft"), based_on=self._version(body.get("based_on"), "based_on"),
            created_by=name,
            copied_from=None if copied is None else self._class_id(copied, "copied_from"))
        log.info("class saved", extra={"org_id": org, "class_id": version.class_id,
                                       "version": version.version, "changed": changed})
        return web.json_response(wire.ok(**views.saved_class(version, changed)))

    async def export(self, request: web.Request) -> web.StreamResponse:
        org, _ = await self._staff(request, CLASS_STAFF)
        class_id = self._class_id(request.match_info["class_id"])
        version = self._version(request.query.get("version"), "version", query=True)
        stored = await self.services().gym.classes.export(org, class_id, version)
        return web.Response(text=stored.yaml, content_type="application/yaml", charset="utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{class_id}-'
                                     f'v{stored.version}.yaml"'})

    async def import_file(self, request: web.Request) -> web.StreamResponse:
        org, name = await self._staff(request, CLASS_STAFF)
        raw = await self._raw(request)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("the file is not UTF-8 text", code="not_utf8") from None
        saved = await self.services().gym.classes.import_text(org, text,
                                                              created_by=name)
        log.info("class imported", extra={"org_id": org, "class_id": saved.class_id,
                                          "version": saved.version})
        return web.json_response(wire.ok(**views.saved_class(saved, True)))

    # -- the facilitator's passes --------------------------------------------------------

    async def sessions(self, request: web.Request) -> web.StreamResponse:
        org, name = await self._staff(request, frozenset({Kind.FACILITATOR_HOME}))
        found = await self.services().gym.facilitating.upcoming(org, name)
        return web.json_response(wire.ok(name=name, **views.facilitated(found)))

    async def open_session(self, request: web.Request) -> web.StreamResponse:
        org, name = await self._staff(request, frozenset({Kind.FACILITATOR_HOME}))
        body = await self._body(request, frozenset({"pass_id"}))
        pass_id = body.get("pass_id")
        if not isinstance(pass_id, str) or not PASS_ID.fullmatch(pass_id):
            raise BadRequest("pass_id: a session id", code="bad_payload")
        services = self.services()
        opened = await services.gym.facilitating.open(org, name, pass_id)
        _, _, home = request.headers.get("Authorization", "").partition(" ")
        credential = services.access.facilitator_credential(opened, name,
                                                            opened_with=home.strip())
        return web.json_response(wire.ok(url=f"/f#credential={credential}"))
