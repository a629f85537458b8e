"""HTTP routes of the admin page and the leadership insights page.

Both pages keep the credential from the URL fragment (``onlive admin-link`` /
``leadership-link``) and send it as ``Authorization: Bearer TOKEN``; every
route checks it (role, organisation, not revoked) before anything else, and
acts on that organisation only. Routes (JSON unless said otherwise):

    GET  /api/admin                            organisation, programs, sessions, classes
    POST /api/admin/roster?file=N[&partial=1]  the CSV as the body: all or nothing
    POST /api/admin/programs                   create {id, name, audience, cadence, classes…}
    PUT  /api/admin/programs/{program}         change it; ``classes`` (when given) is its whole
                                               new sequence: kept rows by id, new ones by
                                               class id, removed ones ``{id, remove: true}``
    POST /api/admin/programs/{program}/sessions            schedule a session
    PUT  /api/admin/sessions/{pass}                        move or resize a scheduled one
    POST /api/admin/programs/{program}/invite              mail the audience their links
    GET  /api/admin/programs/{program}/dashboard
    GET  /api/admin/programs/{program}/missing?class=ID    who has not done a class
    GET  /api/admin/programs/{program}/breakdown?class=ID  a class (and each session) by
                                                           department, site and level
    POST /api/admin/programs/{program}/remind {program_class_id}
    POST /api/admin/settings {top_warning_percent}
    GET  /api/admin/mail                       what is not sent yet (failed first)
    POST /api/admin/mail/{id}/retry
    GET  /api/insights                         the programs and the top-management line
    GET  /api/insights/{program}?department=&site=&level=

Refusals are ``{"ok": false, "error": {"code", "message", ...}}``: 400 with
``fields`` (the form's problems, each beside its field) or ``problems`` (a
roster's ``line: column: problem``), 401 without a valid link, 404, 409;
nothing changes then.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from breakout.errors import CodedError
from exercises import library
from exercises.errors import DomainError
from exercises.gym.errors import ClassInUse, InvalidProgram, InvalidSession, RosterError
from exercises.gym.insights import Slice
from exercises.gym.program import ProgramClassSpec
from orchestrator.access import Principal
from orchestrator.errors import AuthError, BadRequest, Conflict, NotFound
from orchestrator.gym.records import ClassArrangement, ClassPlan
from orchestrator.services import Services
from orchestrator.tickets import Kind
from signalling import adminviews, views, wire
from signalling.adminwire import FieldErrors, FieldProblem, program_form, session_form
from signalling.httpguard import read_body

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_ROSTER_BYTES = 16 * 1024 * 1024
SLUG = re.compile(r"[a-z0-9-]{1,64}")
FILE_NAME = re.compile(r"[^/\\\x00-\x1f]{1,120}")

Handler = Callable[[web.Request, Principal], Awaitable[web.StreamResponse]]


def _status(error: CodedError) -> int:
    if isinstance(error, AuthError):
        return 401
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, (BadRequest, FieldErrors, RosterError, InvalidProgram,
                          InvalidSession)):
        return 400
    if isinstance(error, (Conflict, DomainError)):
        return 409
    return 500


def _refusal(error: CodedError) -> dict[str, Any]:
    body = wire.error(error.code, error.message)
    if isinstance(error, FieldErrors):
        body["error"]["fields"] = [adminviews.field_problem(p) for p in error.problems]
    elif isinstance(error, RosterError):
        body["error"]["problems"] = [adminviews.roster_problem(p) for p in error.problems]
    return body


class StaffRoutes:
    def __init__(self, services: Callable[[], Services]) -> None:
        self.services = services

    def setup(self, app: web.Application) -> None:
        def admin(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
            return self._guard(Kind.ADMIN, handler)

        r = app.router
        r.add_get("/api/admin", admin(self.overview))
        r.add_post("/api/admin/roster", admin(self.roster))
        r.add_post("/api/admin/programs", admin(self.create_program))
        r.add_put("/api/admin/programs/{program}", admin(self.update_program))
        r.add_post("/api/admin/programs/{program}/sessions", admin(self.add_session))
        r.add_put("/api/admin/sessions/{pass}", admin(self.update_session))
        r.add_post("/api/admin/programs/{program}/invite", admin(self.invite))
        r.add_get("/api/admin/programs/{program}/dashboard", admin(self.dashboard))
        r.add_get("/api/admin/programs/{program}/missing", admin(self.missing))
        r.add_get("/api/admin/programs/{program}/breakdown", admin(self.breakdown))
        r.add_post("/api/admin/programs/{program}/remind", admin(self.remind))
        r.add_post("/api/admin/settings", admin(self.settings))
        r.add_get("/api/admin/mail", admin(self.mail))
        r.add_post("/api/admin/mail/{mail}/retry", admin(self.retry))
        r.add_get("/api/insights", self._guard(Kind.LEADERSHIP, self.insight_programs))
        r.add_get("/api/insights/{program}", self._guard(Kind.LEADERSHIP, self.insights))

    def _guard(self, role: Kind, handler: Handler) -> Callable[[web.Request],
                                                                Awaitable[web.StreamResponse]]:
        """The credential is checked first; refusals become coded JSON in this one place."""
        async def guarded(request: web.Request) -> web.StreamResponse:
            try:
                scheme, _, token = request.headers.get("Authorization", "").partition(" ")
                if scheme != "Bearer" or not token.strip():
                    raise AuthError("open the page from your link", code="missing_credential")
                principal = await self.services().gym.staff.resolve(token.strip(), role)
                response = await handler(request, principal)
            except CodedError as error:
                log.info("%s refused: %s", role.value, error.message,
                         extra={"code": error.code, "path": request.path})
                response = web.json_response(_refusal(error), status=_status(error))
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
        return guarded

    async def _body(self, request: web.Request) -> dict[str, Any]:
        raw = await read_body(request, MAX_BODY_BYTES)
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("the request is not JSON", code="bad_payload") from None
        if not isinstance(body, dict):
            raise BadRequest("the request must be a JSON object", code="bad_payload")
        return body

    @staticmethod
    def _slug(request: web.Request, name: str) -> str:
        value = request.match_info[name]
        if not SLUG.fullmatch(value):
            raise NotFound(f"no {name} {value!r}", code=f"unknown_{name}")
        return value

    # -- the admin page ------------------------------------------------------------

    async def _library(self, org_id: str) -> dict[str, Any]:
        """Classes a program can use: the organisation's, then built-in ones that need no
        parameters."""
        titles = dict(await self.services().gym.records.class_titles(org_id))
        for c in library.list_classes():
            if not c.required_parameters:
                titles.setdefault(c.id, c.title)
        return titles

    async def overview(self, request: web.Request, who: Principal) -> web.StreamResponse:
        gym = self.services().gym
        org = await gym.records.org(who.org_id)
        titles = await self._library(who.org_id)
        programs = []
        for p in await gym.programs.all(who.org_id):
            _, sessions = await gym.programs.show(who.org_id, p.id)
            programs.append(adminviews.program(p, sessions, titles))
        people = len(await gym.records.people(who.org_id))
        return web.json_response(wire.ok(
            organisation=adminviews.organisation(org), people=people, programs=programs,
            classes=[{"id": cid, "title": views.text(t)} for cid, t in
                     sorted(titles.items())]))

    async def roster(self, request: web.Request, who: Principal) -> web.StreamResponse:
        name = request.query.get("file", "roster.csv")
        if not FILE_NAME.fullmatch(name):
            name = "roster.csv"
        data = await read_body(request, MAX_ROSTER_BYTES)
        partial = request.query.get("partial") == "1"
        report = await self.services().gym.roster.import_file(who.org_id, data, name,
                                                              partial=partial)
        return web.json_response(wire.ok(report=adminviews.import_report(report)))

    async def create_program(self, request: web.Request, who: Principal) -> web.StreamResponse:
        gym = self.services().gym
        titles = await self._library(who.org_id)
        form = program_form(await self._body(request), library=frozenset(titles))
        try:
            await gym.records.program(who.org_id, form.spec.id)
        except NotFound:
            pass
        else:
            raise FieldErrors([FieldProblem("id", "taken")])
        org = await gym.records.org(who.org_id)
        if form.spec.anonymity_k is not None and form.spec.anonymity_k < org.anonymity_k:
            raise FieldErrors([FieldProblem("anonymity_k", "range",
                                            {"min": org.anonymity_k, "max": 100})])
        for row in form.classes:  # every class is in the library before anything is made
            await gym.classes.ensure(who.org_id, row.class_id)
        program = await gym.programs.create(who.org_id, form.spec)
        for row in form.classes:
            await gym.programs.add_class(who.org_id, program.id, ProgramClassSpec(
                row.class_id, row.due_on, row.mandatory))
        return await self._program_response(who.org_id, program.id, status=201)

    async def _program_response(self, org_id: str, program_id: str,
                                status: int = 200) -> web.StreamResponse:
        gym = self.services().gym
        program, sessions = await gym.programs.show(org_id, program_id)
        return web.json_response(wire.ok(program=adminviews.program(
            program, sessions, await self._library(org_id))), status=status)

    async def update_program(self, request: web.Request, who: Principal) -> web.StreamResponse:
        gym = self.services().gym
        program_id = self._slug(request, "program")
        current = await gym.records.program(who.org_id, program_id)
        titles = await self._library(who.org_id)
        form = program_form(await self._body(request), program_id=program_id,
                            library=frozenset(titles))
        known = {c.id: c for c in current.classes}
        wrong = [FieldProblem(f"classes.{i}", "bad_row") for i, row in
                 enumerate(form.classes, start=1) if row.id is not None and row.id not in known]
        if wrong:
            raise FieldErrors(wrong)
        arrangement = None
        if form.arranged:
            # Every class the program has is named: kept in its new place, or removed.
            if {r.id for r in form.classes if r.id is not None} != set(known):
                raise FieldErrors([FieldProblem("classes", "classes_changed")])
            arrangement = ClassArrangement(
                tuple(ClassPlan(r.id, known[r.id].class_id if r.id is not None else r.class_id,
                                r.due_on, r.mandatory) for r in form.classes if not r.remove),
                tuple(r.id for r in form.classes if r.remove and r.id is not None))
        try:
            await gym.programs.update(who.org_id, form.spec, arrangement)
        except ClassInUse as error:
            row = {r.id: i for i, r in enumerate(form.classes, start=1)}
            raise FieldErrors([FieldProblem(f"classes.{row[u.program_class_id]}", u.code,
                                            {"count": u.count}) for u in error.uses]) from None
        except InvalidProgram as error:
            if error.code == "classes_changed":
                raise FieldErrors([FieldProblem("classes", "classes_changed")]) from None
            raise
        return await self._program_response(who.org_id, program_id)

    async def add_session(self, request: web.Request, who: Principal) -> web.StreamResponse:
        gym = self.services().gym
        program = await gym.records.program(who.org_id, self._slug(request, "program"))
        class_ids = {c.id: c.class_id for c in program.classes}
        program_class, spec = session_form(await self._body(request), class_ids)
        assert program_class is not None
        position = next(c.position for c in program.classes if c.id == program_class)
        await gym.programs.add_session(who.org_id, program.id, str(position), spec)
        return await self._program_response(who.org_id, program.id, status=201)

    async def update_session(self, request: web.Request, who: Principal) -> web.StreamResponse:
        gym = self.services().gym
        pass_id = self._slug(request, "pass")
        session = await gym.records.session(who.org_id, pass_id)
        _, spec = session_form(await self._body(request))
        try:
            await gym.programs.update_session(who.org_id, pass_id, spec)
        except Conflict as error:
            if error.code == "capacity_below_enrolled":
                raise FieldErrors([FieldProblem("capacity", "below_enrolled",
                                                {"enrolled": session.enrolled})]) from None
            raise
        return await self._program_response(who.org_id, session.program_id)

    async def invite(self, request: web.Request, who: Principal) -> web.StreamResponse:
        gym = self.services().gym
        program = await gym.records.program(who.org_id, self._slug(request, "program"))
        if program.state != "active":
            raise Conflict(f"program {program.id} has ended", code="program_ended")
        count = await gym.outbox.invite_audience(who.org_id, program.id)
        return web.json_response(wire.ok(invited=count))

    async def dashboard(self, request: web.Request, who: Principal) -> web.StreamResponse:
        board = await self.services().gym.dashboards.build(who.org_id,
                                                           self._slug(request, "program"))
        return web.json_response(wire.ok(dashboard=adminviews.dashboard(board)))

    @staticmethod
    def _class_id(value: object) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.isdigit() and len(value) < 19:
            return int(value)
        raise BadRequest("class: the program class's number", code="bad_payload")

    async def missing(self, request: web.Request, who: Principal) -> web.StreamResponse:
        people = await self.services().gym.dashboards.missing(
            who.org_id, self._slug(request, "program"), self._class_id(request.query.get("class")))
        return web.json_response(wire.ok(people=[adminviews.missing_person(p) for p in people]))

    async def breakdown(self, request: web.Request, who: Principal) -> web.StreamResponse:
        found = await self.services().gym.dashboards.breakdown(
            who.org_id, self._slug(request, "program"), self._class_id(request.query.get("class")))
        return web.json_response(wire.ok(breakdown=adminviews.breakdown(found)))

    async def remind(self, request: web.Request, who: Principal) -> web.StreamResponse:
        body = await self._body(request)
        count = await self.services().gym.dashboards.remind(
            who.org_id, self._slug(request, "program"),
            self._class_id(body.get("program_class_id")))
        return web.json_response(wire.ok(reminded=count))

    async def settings(self, request: web.Request, who: Principal) -> web.StreamResponse:
        body = await self._body(request)
        percent = body.get("top_warning_percent")
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            raise FieldErrors([FieldProblem("top_warning_percent", "range",
                                            {"min": 0, "max": 100})])
        org = await self.services().gym.records.set_top_warning(who.org_id, percent)
        return web.json_response(wire.ok(organisation=adminviews.organisation(org)))

    async def mail(self, request: web.Request, who: Principal) -> web.StreamResponse:
        mails = await self.services().gym.outbox.listing(who.org_id)
        return web.json_response(wire.ok(mail=[adminviews.mail(m) for m in mails[:200]]))

    async def retry(self, request: web.Request, who: Principal) -> web.StreamResponse:
        mail_id = self._class_id(request.match_info["mail"])
        if not await self.services().gym.outbox.retry(who.org_id, mail_id):
            raise NotFound(f"no failed mail {mail_id}", code="unknown_mail")
        return web.json_response(wire.ok())

    # -- the leadership page ---------------------------------------------------------

    async def insight_programs(self, request: web.Request,
                               who: Principal) -> web.StreamResponse:
        gym = self.services().gym
        programs = await gym.programs.all(who.org_id)
        return web.json_response(wire.ok(programs=[{"id": p.id, "name": p.name,
                                                    "state": p.state} for p in programs]))

    async def insights(self, request: web.Request, who: Principal) -> web.StreamResponse:
        def pick(name: str) -> str | None:
            value = request.query.get(name, "").strip()
            if len(value) > 100:
                raise BadRequest(f"{name}: at most 100 characters", code="bad_payload")
            return value or None

        slice_ = Slice(pick("department"), pick("site"), pick("level"))
        page = await self.services().gym.insights.build(who.org_id,
                                                        self._slug(request, "program"), slice_)
        return web.json_response(wire.ok(**adminviews.insights(page)))


__all__ = ["StaffRoutes"]
