"""Who may do what: credentials for each role, issued, admitted and revoked in one place.

Roles (``tickets.Kind``, the one list of them): a participant of one pass
(join ticket), a facilitator of one pass, ops (every pass, read only), and
per organisation an admin (the learning lead: roster, programs, schedule,
invitations, the dashboard), leadership (the insights page) and its
facilitators, by name (their upcoming passes; with admins, the class page). Each
credential is a signed bearer token (see ``orchestrator.tickets``) that
expires after ``ticket_ttl``; admin and leadership credentials last
``STAFF_TTL`` and name a stored row, so that ``orchestrator.gym.staff`` can
revoke them. Staff who sign in with the organisation's identity provider
(``signalling.sso``) get the same credentials: facilitator and ops ones held
by their sign-in session (subject ``sso:HANDLE``, a keyed digest of the session
id: a credential is readable by whoever holds it and its subject becomes a
LiveKit identity and an audit entry, while the session id is the cookie's
secret), admin and leadership ones
as a stored row labelled with the sign-in, revoked at sign-out.

``admit`` is the one door: a valid signature, the right role, not expired,
and not revoked. Revocation is recorded in the live store until the
credentials it refuses would have expired anyway, and every socket holding a
revoked credential is dropped at once, on every worker (``Notifier.drop``).
Sockets join the rooms ``holders(claims)`` names when they connect. Holders
are named by a keyed digest, so neither the store nor a room name carries a
person's id (an erased person leaves no id behind).

Errors: ``AuthError`` with code ``revoked_credential`` (revoked, or its
holder was), ``unknown_credential`` (``revoke`` given something that is no
credential of this installation), and the codes of ``tickets.verify``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from orchestrator import tickets
from orchestrator.errors import AuthError
from orchestrator.ports import Notifier, Store
from orchestrator.settings import Settings
from orchestrator.tickets import Claims, Kind

log = logging.getLogger(__name__)

#: The roles of an organisation's staff, each with its own page.
STAFF_ROLES = frozenset({Kind.ADMIN, Kind.LEADERSHIP, Kind.FACILITATOR_HOME})
#: How long a staff link works unless revoked first.
STAFF_TTL = 180 * 24 * 60 * 60
#: The subject of credentials a single sign-on session holds: ``sso:HANDLE``.
SSO_PREFIX = "sso:"
#: What a session's handle looks like (``Access.session_handle``).
SESSION_HANDLE = re.compile(r"[0-9a-f]{24}")
_ID = re.compile(r"[0-9a-f]{%d}" % tickets.ID_CHARS)
#: Link fragments that carry a credential: ``/p#ticket=…``, ``/f#credential=…``.
_IN_LINK = re.compile(r"[#?&](?:ticket|credential)=([^&#\s]+)")


def withdrawn() -> AuthError:
    """The refusal of a revoked credential."""
    return AuthError("this link has been withdrawn; ask for a new one", code="revoked_credential")


@dataclass(frozen=True, slots=True)
class Revoked:
    """What ``revoke`` did: the credential's id, and its role and text (None when given an
    id only)."""

    id: str
    kind: Kind | None
    credential: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a staff credential lets in: one role of one organisation."""

    role: Kind
    org_id: str
    credential_id: int


class Access:
    def __init__(self, settings: Settings, store: Store | None = None,
                 notifier: Notifier | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = store
        self.notifier = notifier
        self.clock = clock
        self._key = hashlib.sha256(b"onlive-holder\0" + settings.secret.encode()).digest()

    # -- issuing --------------------------------------------------------------------

    def _issue(self, kind: Kind, pass_id: str | None, subject: str, *,
               ttl: float | None = None, via: str | None = None) -> str:
        lifetime = self.settings.ticket_ttl if ttl is None else ttl
        return tickets.issue(self.settings.secret, Claims(
            kind, pass_id, subject, self.clock() + lifetime, via=via))

    def participant_ticket(self, pass_id: str, person_id: str) -> str:
        return self._issue(Kind.PARTICIPANT, pass_id, person_id)

    def facilitator_credential(self, pass_id: str, subject: str = "facilitator", *,
                               opened_with: str | None = None) -> str:
        """A control panel's credential; ``opened_with`` (the credential of the
        facilitator's own page it was opened from) makes it fall with that one:
        revoking the page's link, or ending the sign-in, closes the panels opened
        from it (``holders``)."""
        return self._issue(Kind.FACILITATOR, pass_id, subject,
                           via=None if opened_with is None else self._parent(opened_with))

    def _parent(self, credential: str) -> str:
        """The revocation name a derived credential carries for ``credential``: its
        sign-on session, or its staff link's row (revoked by id or all at once)."""
        claims = self.verify(credential, STAFF_ROLES)
        if claims.subject.startswith(SSO_PREFIX):
            return "session:" + claims.subject.removeprefix(SSO_PREFIX)
        return self.staff_holder(self.staff(credential, claims.kind).credential_id)

    @staticmethod
    def staff_holder(credential_id: int) -> str:
        """The name that refuses what was opened with staff link row ``credential_id``."""
        return f"staff:{credential_id}"

    def ops_credential(self, subject: str = "ops", *, ttl: float | None = None) -> str:
        """An ops credential; ``ttl`` seconds (default ``ticket_ttl``), longer for a scraper."""
        return self._issue(Kind.OPS, None, subject, ttl=ttl)

    def staff_credential(self, role: Kind, org_id: str, credential_id: int) -> str:
        if role not in STAFF_ROLES:
            raise ValueError(f"{role.value} is not a staff role")
        return self._issue(role, None, f"{org_id}/{credential_id}", ttl=STAFF_TTL)

    def staff(self, credential: object, role: Kind) -> Principal:
        """Whose staff credential of ``role`` this is (not yet checked for revocation:
        ``orchestrator.gym.staff.StaffAccess.resolve`` does that)."""
        claims = self.verify(credential, role)
        org_id, _, number = claims.subject.rpartition("/")
        if not org_id or not number.isdigit():
            raise AuthError("the credential is malformed", code="invalid_credential")
        return Principal(role, org_id, int(number))

    def session_credential(self, kind: Kind, session_id: str, *, expires: float,
                           pass_id: str | None = None) -> str:
        """A facilitator or ops credential held by a single sign-on session, living no
        longer than it (admin and leadership: ``gym.staff`` rows, see the module)."""
        if kind not in (Kind.FACILITATOR, Kind.OPS):
            raise AuthError(f"a sign-in session holds facilitator or ops credentials, not "
                            f"{kind.value}", code="wrong_role")
        return self._issue(kind, pass_id, SSO_PREFIX + self.session_handle(session_id),
                           ttl=max(0.0, min(expires - self.clock(), self.settings.ticket_ttl)))

    # -- admitting ------------------------------------------------------------------

    def verify(self, credential: object, kind: Kind | frozenset[Kind]) -> Claims:
        """The claims of a validly signed credential of ``kind`` (or one of the kinds;
        revocation unchecked: use ``admit`` wherever a credential opens something)."""
        return tickets.verify(self.settings.secret, credential, now=self.clock(), kind=kind)

    def _digest(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()[:24]

    def holder(self, kind: Kind, subject: str) -> str:
        """A keyed digest naming who holds credentials of ``kind`` for ``subject``."""
        return "holder:" + self._digest(f"{kind.value}\0{subject}")

    def holders(self, claims: Claims) -> list[str]:
        """The names (socket rooms, revocation keys) a credential is refused by."""
        names = [f"cred:{claims.id}", self.holder(claims.kind, claims.subject)]
        if claims.via is not None:
            names.append(claims.via)
        if claims.subject.startswith(SSO_PREFIX):
            names.append("session:" + claims.subject.removeprefix(SSO_PREFIX))
        return names

    def session_handle(self, session_id: str) -> str:
        """A sign-on session's public name (a keyed digest): safe in a credential, a LiveKit
        identity or the audit stream, where the session id itself must never be."""
        return self._digest(f"session\0{session_id}")

    def session_holder(self, session_id: str) -> str:
        """The name every credential of one sign-on session is refused by."""
        return "session:" + self.session_handle(session_id)

    async def admit(self, credential: object, kind: Kind) -> Claims:
        """The claims of a valid, unexpired, unrevoked credential of ``kind``."""
        claims = self.verify(credential, kind)
        if self.store is not None and await self.store.revoked(self.holders(claims)):
            raise withdrawn()
        return claims

    async def still_admitted(self, claims: Claims) -> bool:
        """Whether a connected holder of ``claims`` may stay (nothing revoked since)."""
        return self.store is None or not await self.store.revoked(self.holders(claims))

    # -- revoking -------------------------------------------------------------------

    async def revoke(self, credential_or_id: str) -> Revoked:
        """Revoke one credential (the credential, its link, or its id) and drop its sockets."""
        text = credential_or_id.strip()
        in_link = _IN_LINK.search(text)
        if in_link:
            text = in_link.group(1)
        kind: Kind | None = None
        credential: str | None = None
        if _ID.fullmatch(text):
            cred_id = text
        else:
            claims = self._any_kind(text)
            cred_id, kind, credential = claims.id, claims.kind, text
        await self._refuse([f"cred:{cred_id}"])
        log.info("credential revoked", extra={"credential_id": cred_id,
                                              "kind": kind.value if kind else ""})
        return Revoked(cred_id, kind, credential)

    async def revoke_holder(self, kind: Kind, subject: str) -> None:
        """Revoke every credential of ``kind`` held by ``subject`` (e.g. an erased person)."""
        await self._refuse([self.holder(kind, subject)])

    async def revoke_session(self, session_id: str) -> None:
        """Revoke every credential a sign-on session holds (sign-out, or withdrawn)."""
        await self._refuse([self.session_holder(session_id)])

    async def revoke_names(self, names: list[str]) -> None:
        """Revoke every credential refused by ``names`` (as ``holders`` and
        ``session_holder`` give them), e.g. a sign-in an admin withdraws by its id."""
        await self._refuse(names)

    async def _refuse(self, names: list[str]) -> None:
        if self.store is None or self.notifier is None:
            raise AuthError("revocation needs the live store", code="unavailable")
        # Every credential it refuses expires within ticket_ttl of now.
        until = self.clock() + self.settings.ticket_ttl
        for name in names:
            await self.store.revoke(name, until)
        await self.notifier.drop(names)

    def _any_kind(self, credential: str) -> Claims:
        for kind in Kind:
            try:
                return self.verify(credential, kind)
            except AuthError as error:
                if error.code != "wrong_role":
                    raise AuthError("this is not a credential of this installation (or it "
                                    "has expired already)", code="unknown_credential") from None
        raise AuthError("this is not a credential of this installation",
                        code="unknown_credential")
