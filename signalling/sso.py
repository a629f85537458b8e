"""HTTP routes of staff single sign-on, and the admin page's revocation route.

    GET  /auth/login?next=/ops      to the identity provider (a sign-in flow with PKCE)
    GET  /auth/callback             back from it: the session cookie, then ``next``
    GET  /auth/me                   who is signed in, their roles and the CSRF token
    POST /auth/credential           {role, pass?} -> a credential for that page (a
                                    facilitator's own page: role facilitator-home)
    POST /auth/logout               ends the session; every credential it holds is revoked
    POST /api/revoke                {credential}: an admin revokes any link or credential
    GET  /api/admin/signins         an admin's list of active staff sign-ins (who, roles,
                                    since, until; ``sso`` false where none can exist)
    POST /api/admin/signins/withdraw {id}: an admin ends one sign-in at once
    GET  /signin                    the sign-in page: its errors, and "signed out"

The session cookie is HttpOnly, SameSite=Lax, and Secure unless the pages
are served over plain http on loopback. Every POST needs the session's CSRF
token in ``X-CSRF-Token`` (or, for the sign-out form, a ``csrf`` field) and,
when the browser says where it comes from, an ``Origin`` of this site;
``/api/revoke`` also takes an admin link's credential as a bearer token,
which no other site can send; the sign-in list takes only that (the admin
page's credential, from a link or its own sign-in). Sign-ins belong to the
organisation ``oidc_org``: another organisation's admin sees none. Refusals
are JSON ``{"error": {"code", ...}}`` for scripts, and the sign-in page with
the code for a browser (translated there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web

from orchestrator.access import Principal
from orchestrator.errors import AuthError, NotFound, OnliveError
from orchestrator.revocation import revoke
from orchestrator.services import Services
from orchestrator.settings import Settings
from orchestrator.signon import SignedIn, SignOn
from orchestrator.tickets import Kind
from signalling import adminviews, wire

log = logging.getLogger(__name__)

COOKIE = "onlive_session"
MAX_BODY = 8 * 1024


def local_path(next_path: object) -> str:
    """``next_path`` if it is a path on this site, else ``/`` (no open redirects)."""
    if not isinstance(next_path, str) or not next_path.startswith("/") \
            or next_path.startswith("//") or "\\" in next_path or len(next_path) > 300:
        return "/"
    parts = urlsplit(next_path)
    return next_path if not parts.scheme and not parts.netloc else "/"


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def _refusal(error: OnliveError, status: int) -> web.Response:
    return web.json_response({"error": {"code": error.code, "message": error.message}},
                             status=status)


class SignOnRoutes:
    def __init__(self, signon: Callable[[], SignOn], services: Callable[[], Services],
                 settings: Settings) -> None:
        self.signon = signon
        self.services = services
        self.settings = settings

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/auth/login", self.login)
        app.router.add_get("/auth/callback", self.callback)
        app.router.add_get("/auth/me", self.me)
        app.router.add_post("/auth/credential", self.credential)
        app.router.add_post("/auth/logout", self.logout)
        app.router.add_post("/api/revoke", self.revoke)
        app.router.add_get("/api/admin/signins", self.signins)
        app.router.add_post("/api/admin/signins/withdraw", self.withdraw)

    # -- helpers --------------------------------------------------------------------

    def _to_signin(self, code: str, next_path: str = "/") -> web.Response:
        return _redirect(f"/signin?error={quote(code)}&next={quote(local_path(next_path))}")

    async def _signed_in(self, request: web.Request) -> SignedIn:
        return await self.signon().session(request.cookies.get(COOKIE))

    def _same_origin(self, request: web.Request) -> None:
        # Pages are served with Referrer-Policy no-referrer, so their own form posts say
        # "Origin: null"; the CSRF token is what proves the request came from our page.
        origin = request.headers.get("Origin")
        if origin is not None and origin != "null" and origin not in self.settings.origins:
            raise AuthError("this request came from another site", code="csrf_refused")

    async def _json(self, request: web.Request) -> dict[str, Any]:
        if (request.content_length or 0) > MAX_BODY:
            raise AuthError("the request is too large", code="bad_payload")
        try:
            body = await request.json()
        except ValueError:
            body = None
        return body if isinstance(body, dict) else {}

    async def _checked(self, request: web.Request, token: object) -> SignedIn:
        """The signed-in person of a state-changing request, CSRF checked."""
        self._same_origin(request)
        signed = await self._signed_in(request)
        SignOn.check_csrf(signed, token)
        return signed

    # -- routes ---------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.StreamResponse:
        next_path = local_path(request.query.get("next"))
        try:
            url = await self.signon().begin(next_path)
        except AuthError as error:
            return self._to_signin(error.code, next_path)
        return _redirect(url)

    async def callback(self, request: web.Request) -> web.StreamResponse:
        if "error" in request.query:
            log.info("sign-in refused by the provider", extra={"code": "sso_failed"})
            return self._to_signin("sso_refused")
        try:
            signed, next_path = await self.signon().finish(request.query.get("code", ""),
                                                           request.query.get("state", ""))
        except AuthError as error:
            return self._to_signin(error.code)
        response = _redirect(local_path(next_path))
        response.set_cookie(COOKIE, signed.session_id, max_age=self.settings.session_ttl,
                            path="/", httponly=True, samesite="Lax",
                            secure=self.settings.secure_cookies)
        return response

    async def me(self, request: web.Request) -> web.Response:
        signon = self.signon()
        try:
            signed = await self._signed_in(request)
        except AuthError as error:
            return web.json_response({"sso": signon.enabled, "signed_in": False,
                                      "error": {"code": error.code}}, status=401)
        return web.json_response({"sso": True, "signed_in": True, "name": signed.name,
                                  "roles": [r.value for r in signed.roles],
                                  "csrf": signed.csrf},
                                 headers={"Cache-Control": "no-store"})

    async def credential(self, request: web.Request) -> web.Response:
        try:
            signed = await self._checked(request, request.headers.get("X-CSRF-Token"))
            body = await self._json(request)
            try:
                role = Kind(str(body.get("role")))
            except ValueError:
                raise AuthError("role is one of facilitator, admin, ops, leadership",
                                code="wrong_role") from None
            pass_id = body.get("pass")
            credential = await self.signon().credential(
                signed, role, pass_id if isinstance(pass_id, str) and pass_id else None)
        except AuthError as error:
            return _refusal(error, 403 if error.code in ("csrf_refused", "wrong_role",
                                                         "sso_no_name") else 401)
        except NotFound as error:  # the organisation is not in the system of record yet
            return _refusal(error, 404)
        return web.json_response({"credential": credential},
                                 headers={"Cache-Control": "no-store"})

    async def logout(self, request: web.Request) -> web.StreamResponse:
        form = await request.post() if request.content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")) else {}
        token = request.headers.get("X-CSRF-Token") or form.get("csrf")
        try:
            signed = await self._checked(request, token)
        except AuthError as error:
            return _refusal(error, 403 if error.code == "csrf_refused" else 401)
        await self.signon().sign_out(signed)
        response = web.json_response({"ok": True}) if request.headers.get("X-CSRF-Token") \
            else _redirect("/signin?signed_out=1")
        response.del_cookie(COOKIE, path="/")
        return response

    async def revoke(self, request: web.Request) -> web.Response:
        services = self.services()
        try:
            bearer = request.headers.get("Authorization", "")
            if bearer.startswith("Bearer "):
                await services.gym.staff.resolve(bearer.removeprefix("Bearer ").strip(),
                                                 Kind.ADMIN)
            else:
                signed = await self._checked(request, request.headers.get("X-CSRF-Token"))
                if Kind.ADMIN not in signed.roles:
                    raise AuthError("only an admin may revoke links", code="wrong_role")
            body = await self._json(request)
            what = body.get("credential")
            if not isinstance(what, str) or not what.strip():
                raise AuthError("give the link, credential or id to revoke",
                                code="unknown_credential")
            done = await revoke(what, services.access, services.gym.links, services.gym.staff)
        except AuthError as error:
            status = {"csrf_refused": 403, "wrong_role": 403, "unknown_credential": 404}
            return _refusal(error, status.get(error.code, 401))
        return web.json_response({"ok": True, "kind": done.kind, "id": done.id})

    # -- the admin's list of sign-ins -------------------------------------------------

    async def _admin(self, request: web.Request) -> Principal:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token.strip():
            raise AuthError("open the page from your link", code="missing_credential")
        return await self.services().gym.staff.resolve(token.strip(), Kind.ADMIN)

    @staticmethod
    def _coded(body: dict[str, Any], status: int = 200) -> web.Response:
        return web.json_response(body, status=status, headers={"Cache-Control": "no-store"})

    async def signins(self, request: web.Request) -> web.Response:
        try:
            admin = await self._admin(request)
        except AuthError as error:
            return self._coded(wire.error(error.code, error.message), 401)
        signon = self.signon()
        found = await signon.signed_in() \
            if signon.enabled and admin.org_id == self.settings.oidc_org else []
        return self._coded(wire.ok(sso=signon.enabled,
                                   signins=[adminviews.active_signin(s) for s in found]))

    async def withdraw(self, request: web.Request) -> web.Response:
        try:
            admin = await self._admin(request)
            body = await self._json(request)
            if admin.org_id != self.settings.oidc_org:
                raise NotFound("no such sign-in in this organisation", code="unknown_signin")
            done = await self.signon().withdraw(body.get("id"))
        except AuthError as error:
            return self._coded(wire.error(error.code, error.message),
                               400 if error.code == "bad_payload" else 401)
        except NotFound as error:
            return self._coded(wire.error(error.code, error.message), 404)
        log.info("sign-in withdrawn by an admin", extra={"org_id": admin.org_id,
                                                         "credential_id": admin.credential_id})
        return self._coded(wire.ok(withdrawn=adminviews.active_signin(done)))
