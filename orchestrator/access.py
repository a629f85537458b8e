"""Who may do what: credentials for each role, issued and verified in one place.

Roles: a participant of one pass (join ticket), a facilitator of one pass, ops
(every pass, read only), and per organisation an admin (the learning lead:
roster, programs, schedule, invitations, the dashboard) and leadership (the
insights page), and its facilitators, by name (their upcoming passes; with
admins, the class page). Each credential is a signed bearer token (see
``orchestrator.tickets``) that expires after ``ticket_ttl``; admin and
leadership credentials last ``STAFF_TTL`` and name a stored row, so that
``orchestrator.gym.staff`` can revoke them (single sign-on can later issue
the same ``Principal``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from orchestrator import tickets
from orchestrator.errors import AuthError
from orchestrator.settings import Settings
from orchestrator.tickets import Claims, Kind

#: The roles of an organisation's staff, each with its own page.
STAFF_ROLES = frozenset({Kind.ADMIN, Kind.LEADERSHIP, Kind.FACILITATOR_HOME})
#: How long a staff link works unless revoked first.
STAFF_TTL = 180 * 24 * 60 * 60


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a staff credential lets in: one role of one organisation."""

    role: Kind
    org_id: str
    credential_id: int


class Access:
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock

    def _issue(self, kind: Kind, pass_id: str | None, subject: str,
               ttl: float | None = None) -> str:
        return tickets.issue(self.settings.secret, Claims(
            kind, pass_id, subject, self.clock() + (ttl or self.settings.ticket_ttl)))

    def participant_ticket(self, pass_id: str, person_id: str) -> str:
        return self._issue(Kind.PARTICIPANT, pass_id, person_id)

    def facilitator_credential(self, pass_id: str, subject: str = "facilitator") -> str:
        return self._issue(Kind.FACILITATOR, pass_id, subject)

    def ops_credential(self, ttl: float | None = None) -> str:
        """An ops credential; ``ttl`` seconds (default ``ticket_ttl``), longer for a scraper."""
        return self._issue(Kind.OPS, None, "ops", ttl)

    def staff_credential(self, role: Kind, org_id: str, credential_id: int) -> str:
        if role not in STAFF_ROLES:
            raise ValueError(f"{role.value} is not a staff role")
        return tickets.issue(self.settings.secret, Claims(
            role, None, f"{org_id}/{credential_id}", self.clock() + STAFF_TTL))

    def staff(self, credential: object, role: Kind) -> Principal:
        """Whose staff credential of ``role`` this is (not yet checked for revocation:
        ``orchestrator.gym.staff.StaffAccess.resolve`` does that)."""
        claims = self.verify(credential, role)
        org_id, _, number = claims.subject.rpartition("/")
        if not org_id or not number.isdigit():
            raise AuthError("the credential is malformed", code="invalid_credential")
        return Principal(role, org_id, int(number))

    def verify(self, credential: object, kind: Kind | frozenset[Kind]) -> Claims:
        """The claims of a valid credential of ``kind``; ``AuthError`` otherwise."""
        return tickets.verify(self.settings.secret, credential, now=self.clock(), kind=kind)
