"""Who may do what: credentials for each role, issued and verified in one place.

Roles (``tickets.Kind``, the one list of them): a participant of one pass
(join ticket), a facilitator of one pass, ops (every pass, read only), admin
(the learning lead of one organisation) and leadership (the insights of one
organisation). Each credential is a signed bearer token (see
``orchestrator.tickets``) that expires after ``ticket_ttl``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from orchestrator import tickets
from orchestrator.settings import Settings
from orchestrator.tickets import Claims, Kind


class Access:
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock

    def _issue(self, kind: Kind, pass_id: str | None, subject: str) -> str:
        return tickets.issue(self.settings.secret, Claims(
            kind, pass_id, subject, self.clock() + self.settings.ticket_ttl))

    def participant_ticket(self, pass_id: str, person_id: str) -> str:
        return self._issue(Kind.PARTICIPANT, pass_id, person_id)

    def facilitator_credential(self, pass_id: str, subject: str = "facilitator") -> str:
        return self._issue(Kind.FACILITATOR, pass_id, subject)

    def ops_credential(self) -> str:
        return self._issue(Kind.OPS, None, "ops")

    def admin_credential(self, org_id: str, subject: str = "admin") -> str:
        return tickets.issue(self.settings.secret, Claims(
            Kind.ADMIN, None, subject, self.clock() + self.settings.ticket_ttl, org_id))

    def leadership_credential(self, org_id: str, subject: str = "leadership") -> str:
        return tickets.issue(self.settings.secret, Claims(
            Kind.LEADERSHIP, None, subject, self.clock() + self.settings.ticket_ttl, org_id))

    def verify(self, credential: object, kind: Kind) -> Claims:
        """The claims of a valid credential of ``kind``; ``AuthError`` otherwise."""
        return tickets.verify(self.settings.secret, credential, now=self.clock(), kind=kind)
