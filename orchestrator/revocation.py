"""Revoking whatever credential someone hands in: a join or staff link, its bare
credential or id, a personal link to Min träning, or a sign-on session.

``revoke`` is what ``onlive link revoke`` and the admin page's route call. It
works out what it was given and revokes it where it lives: signed credentials
in the live store (``Access.revoke``, whose sockets are dropped at once),
admin and leadership links also as their stored row (``gym.staff``),
personal links in the system of record (their pages are plain HTTP, refused
from the next request), sign-on sessions in the session store.

Errors: ``AuthError`` with code ``unknown_credential`` when it is none of these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orchestrator.access import SESSION_HANDLE, STAFF_ROLES, Access
from orchestrator.errors import AuthError
from orchestrator.gym.links import PersonalLinks
from orchestrator.gym.staff import StaffAccess

_PERSONAL = re.compile(r"[#?&]link=([A-Za-z0-9_-]+)")
#: How a sign-on session is named to revoke it: ``sso:HANDLE`` (as its credentials,
#: LiveKit identities and the audit stream name it) or ``sso:SESSION_ID``.
SESSION_PREFIX = "sso:"


@dataclass(frozen=True, slots=True)
class Revocation:
    """What was revoked: ``kind`` is a role, ``personal_link`` or ``session``."""

    kind: str
    id: str


async def revoke(text: str, access: Access, links: PersonalLinks | None,
                 staff: StaffAccess | None = None) -> Revocation:
    text = text.strip()
    personal = _PERSONAL.search(text)
    token = personal.group(1) if personal else text
    if links is not None and PersonalLinks.looks_like_token(token):
        if await links.revoke_token(token):
            return Revocation("personal_link", PersonalLinks.digest(token).hex()[:20])
        if personal:
            raise AuthError("this personal link opens nothing (revoked already, or not ours)",
                            code="unknown_credential")
    if text.startswith(SESSION_PREFIX):
        named = text.removeprefix(SESSION_PREFIX)
        if SESSION_HANDLE.fullmatch(named):
            await access.revoke_names(["session:" + named])
            return Revocation("session", named)
        await access.revoke_session(named)
        return Revocation("session", access.session_handle(named))
    done = await access.revoke(text)
    if done.kind in STAFF_ROLES and staff is not None and done.credential is not None:
        principal = access.staff(done.credential, done.kind)
        await staff.revoke(principal.org_id, done.kind, principal.credential_id)
    return Revocation(done.kind.value if done.kind else "credential", done.id)
