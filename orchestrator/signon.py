"""Single sign-on for staff with OpenID Connect: the authorisation code flow with PKCE.

Lifecycle of one sign-in::

    begin(next)  -> a flow (state, nonce, PKCE verifier) kept 10 min -> provider's URL
    finish(code, state) -> the flow is taken (once), the code exchanged, the ID token
                           verified, roles worked out -> a session (``session_ttl``)
    session(id)  -> the signed-in person, unless it expired, was revoked or signed out
    credential(session, role, pass) -> the same credential a CLI link carries
    sign_out(session) -> the session goes and every credential it holds is revoked
                         (their sockets drop at once)
    signed_in() -> every active session, as an admin sees it (who, roles, since, until)
    withdraw(id) -> an admin ends one: the same as its sign-out, from outside

Roles come from a claim that lists onlive's role names (``oidc_role_claim``)
and from groups mapped to roles in settings (``oidc_group_roles``); anything
else is ignored, and a person with no staff role is refused. The cookie
holds the session id; the store keeps a session under a digest of it, so a
reader of the store cannot take a session over. Each session has its own
CSRF token that state-changing routes require.

Errors: ``AuthError`` with codes ``sso_off`` (no identity provider
configured), ``sso_state`` (an unknown, used or expired sign-in flow),
``sso_failed`` (the provider or its token did not hold), ``sso_no_role``,
``sso_no_name`` (a facilitator's page, but the provider gives no name),
``not_signed_in``, ``wrong_role``; ``NotFound`` ``unknown_signin`` when
``withdraw`` is given no active session's id.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from orchestrator.access import STAFF_ROLES, Access
from orchestrator.errors import AuthError, NotFound
from orchestrator.gym.staff import StaffAccess
from orchestrator.ports import Store
from orchestrator.settings import Settings
from orchestrator.tickets import STAFF, Kind

log = logging.getLogger(__name__)

FLOW_TTL_S = 600
SCOPE = "openid profile email groups"
_SESSION = "sso-session:"


class IdentityProvider(Protocol):
    async def authorization_url(self, *, state: str, nonce: str, verifier: str,
                                scope: str) -> str:
        """Where to send the browser; the PKCE challenge is made from ``verifier`` (S256)."""
        ...

    async def exchange(self, code: str, verifier: str, nonce: str) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A signed-in staff member: who (for display only), their roles, their session."""

    session_id: str
    name: str
    roles: tuple[Kind, ...]
    csrf: str
    expires: float
    staff_rows: tuple[tuple[str, int], ...] = ()  # (role, row id) issued to this session
    since: float = 0.0


@dataclass(frozen=True, slots=True)
class ActiveSignIn:
    """A session as the admin's list shows it: the least that tells who it is. ``id`` is
    the digest the store keeps it under; it cannot be used to sign in."""

    id: str
    name: str
    roles: tuple[Kind, ...]
    since: float
    expires: float


def roles_of(claims: Mapping[str, Any], settings: Settings) -> tuple[Kind, ...]:
    """The staff roles an ID token grants, in ``STAFF`` order (pure)."""
    def listed(name: str) -> list[str]:
        value = claims.get(name)
        if isinstance(value, str):
            return value.replace(",", " ").split()
        return [str(v) for v in value] if isinstance(value, list) else []

    wanted = set(listed(settings.oidc_role_claim))
    groups = set(listed(settings.oidc_group_claim))
    wanted |= {role for group, role in settings.oidc_group_roles if group in groups}
    return tuple(k for k in STAFF if k.value in wanted)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SignOn:
    def __init__(self, settings: Settings, store: Store, access: Access,
                 provider: IdentityProvider | None, staff: StaffAccess | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.access = access
        self.provider = provider
        self.staff = staff
        self.clock = clock

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    def _provider(self) -> IdentityProvider:
        if self.provider is None:
            raise AuthError("single sign-on is not set up here; use the link you were given",
                            code="sso_off")
        return self.provider

    async def begin(self, next_path: str) -> str:
        """Start a sign-in; returns the provider's URL to send the browser to."""
        provider = self._provider()
        state, nonce, verifier = (secrets.token_urlsafe(32), secrets.token_urlsafe(32),
                                  secrets.token_urlsafe(48))
        await self.store.put_secret(f"sso-flow:{_digest(state)}", {
            "nonce": nonce, "verifier": verifier, "next": next_path}, FLOW_TTL_S)
        return await provider.authorization_url(
            state=state, nonce=nonce, verifier=verifier, scope=SCOPE)

    async def finish(self, code: str, state: str) -> tuple[SignedIn, str]:
        """Finish a sign-in: the new session and where to go next."""
        provider = self._provider()
        flow = await self.store.take_secret(f"sso-flow:{_digest(state)}") if state else None
        if flow is None:
            raise AuthError("this sign-in is unknown, used or too old; sign in again",
                            code="sso_state")
        claims = await provider.exchange(code, flow["verifier"], flow["nonce"])
        roles = roles_of(claims, self.settings)
        if not roles:
            log.info("sign-in refused: no staff role", extra={"code": "sso_no_role"})
            raise AuthError("you signed in, but your organisation has given you no role in "
                            "onlive", code="sso_no_role")
        session_id = secrets.token_urlsafe(32)
        now = self.clock()
        signed = SignedIn(session_id, str(claims.get("name") or claims.get("email") or ""),
                          roles, secrets.token_urlsafe(32), now + self.settings.session_ttl,
                          since=now)
        await self._save(signed)
        log.info("staff signed in", extra={"roles": ",".join(r.value for r in roles),
                                           "session": _digest(session_id)[:12]})
        return signed, flow["next"]

    async def _save(self, signed: SignedIn) -> None:
        await self.store.put_secret(f"{_SESSION}{_digest(signed.session_id)}", {
            "name": signed.name, "roles": ",".join(r.value for r in signed.roles),
            "csrf": signed.csrf, "expires": f"{signed.expires:.3f}",
            "since": f"{signed.since:.3f}",
            # What refuses its credentials, so that an admin can withdraw it by its id.
            "holder": self.access.session_holder(signed.session_id),
            "rows": ",".join(f"{role}:{row}" for role, row in signed.staff_rows)},
            max(1.0, signed.expires - self.clock()))

    async def session(self, session_id: object) -> SignedIn:
        """The signed-in person of a session cookie; ``not_signed_in`` otherwise."""
        found = None
        if isinstance(session_id, str) and 20 <= len(session_id) <= 100:
            found = await self.store.get_secret(f"{_SESSION}{_digest(session_id)}")
        if found is None or float(found["expires"]) <= self.clock() or \
                await self.store.revoked([self.access.session_holder(session_id)]):  # type: ignore[arg-type]
            raise AuthError("you are not signed in (or your sign-in ended); sign in again",
                            code="not_signed_in")
        return SignedIn(str(session_id), found["name"], _roles(found), found["csrf"],
                        float(found["expires"]), _rows(found),
                        float(found.get("since") or 0.0))

    @staticmethod
    def check_csrf(signed: SignedIn, token: object) -> None:
        if not isinstance(token, str) or not hmac.compare_digest(token, signed.csrf):
            raise AuthError("this request did not come from onlive's own page",
                            code="csrf_refused")

    async def credential(self, signed: SignedIn, role: Kind, pass_id: str | None) -> str:
        """The credential of ``role`` this session may hold (as a CLI link would carry). A
        facilitator also holds their own page's (``facilitator-home``), named by the name
        the identity provider gives them, as sessions name their facilitator."""
        held = signed.roles + ((Kind.FACILITATOR_HOME,) if Kind.FACILITATOR in signed.roles
                               else ())
        if role not in held:
            raise AuthError(f"your sign-in does not give you the {role.value} role",
                            code="wrong_role")
        if role in STAFF_ROLES:
            if self.staff is None:
                raise AuthError("this needs the system of record", code="sso_off")
            label = f"sso {_digest(signed.session_id)[:12]}"
            if role is Kind.FACILITATOR_HOME:
                label = signed.name.strip()
                if not label:
                    raise AuthError("your organisation's sign-in gives no name, and a "
                                    "facilitator's passes are found by name",
                                    code="sso_no_name")
            row, url = await self.staff.issue(self.settings.oidc_org, role, label)
            await self._save(SignedIn(signed.session_id, signed.name, signed.roles,
                                      signed.csrf, signed.expires,
                                      signed.staff_rows + ((role.value, row.id),),
                                      signed.since))
            return url.partition("#credential=")[2]
        if role is Kind.FACILITATOR and not pass_id:
            raise AuthError("open the facilitator page of a pass (/f?pass=PASS)",
                            code="missing_pass")
        return self.access.session_credential(role, signed.session_id, expires=signed.expires,
                                              pass_id=pass_id if role is Kind.FACILITATOR
                                              else None)

    async def sign_out(self, signed: SignedIn) -> None:
        """End the session and revoke everything it holds (sockets drop at once)."""
        await self.store.take_secret(f"{_SESSION}{_digest(signed.session_id)}")
        await self.access.revoke_session(signed.session_id)
        await self._revoke_rows(signed.staff_rows)
        log.info("staff signed out", extra={"session": _digest(signed.session_id)[:12]})

    async def _revoke_rows(self, rows: tuple[tuple[str, int], ...]) -> None:
        if self.staff is not None:
            for role, row in rows:
                await self.staff.revoke(self.settings.oidc_org, Kind(role), row)

    async def signed_in(self) -> list[ActiveSignIn]:
        """Every active sign-in (of ``oidc_org``), the earliest first."""
        now = self.clock()
        found = []
        for key, fields in (await self.store.secrets_under(_SESSION)).items():
            if float(fields.get("expires") or 0.0) <= now or (
                    fields.get("holder") and await self.store.revoked([fields["holder"]])):
                continue
            found.append(ActiveSignIn(key.removeprefix(_SESSION), fields.get("name", ""),
                                      _roles(fields), float(fields.get("since") or 0.0),
                                      float(fields["expires"])))
        return sorted(found, key=lambda s: (s.since, s.id))

    async def withdraw(self, session: object) -> ActiveSignIn:
        """End the sign-in ``session`` (an ``ActiveSignIn.id``) at once: its next request
        is refused, its credentials revoked and the sockets holding them dropped."""
        if not isinstance(session, str) or len(session) != 64 or \
                any(c not in "0123456789abcdef" for c in session):
            raise NotFound("no such sign-in", code="unknown_signin")
        fields = await self.store.take_secret(f"{_SESSION}{session}")
        if fields is None:
            raise NotFound("this sign-in has ended already (signed out, withdrawn or "
                           "expired)", code="unknown_signin")
        if fields.get("holder"):
            await self.access.revoke_names([fields["holder"]])
        await self._revoke_rows(_rows(fields))
        log.info("staff sign-in withdrawn", extra={"session": session[:12]})
        return ActiveSignIn(session, fields.get("name", ""), _roles(fields),
                            float(fields.get("since") or 0.0),
                            float(fields.get("expires") or 0.0))


def _roles(fields: Mapping[str, str]) -> tuple[Kind, ...]:
    return tuple(Kind(r) for r in fields.get("roles", "").split(",") if r)


def _rows(fields: Mapping[str, str]) -> tuple[tuple[str, int], ...]:
    return tuple((r.split(":")[0], int(r.split(":")[1]))
                 for r in fields.get("rows", "").split(",") if r)
