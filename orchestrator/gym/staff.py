"""Admin, leadership and facilitator access: revocable links, each for one role of one
organisation (a facilitator's link is labelled with the name their sessions give them).

``issue`` stores a row (organisation, role, label) and returns a credential
signed by ``orchestrator.access`` that names the row; ``resolve`` checks the
signature, the role and that the row still stands. Revoking a row (one, or
all of a role) shuts its links out at their next request.

Errors: ``AuthError`` with codes ``missing_credential`` / ``invalid_credential``
(no, forged or damaged link), ``wrong_role`` (a link for another page),
``expired_credential`` and ``revoked_credential``; ``NotFound`` for an unknown
organisation when issuing.
"""

from __future__ import annotations

import logging

from orchestrator.access import STAFF_ROLES, Access, Principal
from orchestrator.errors import AuthError
from orchestrator.gym.ports import Records
from orchestrator.gym.reports import StaffCredential
from orchestrator.tickets import Kind

log = logging.getLogger(__name__)

PAGES = {Kind.ADMIN: "/admin", Kind.LEADERSHIP: "/insights", Kind.FACILITATOR_HOME: "/passes"}
MAX_LABEL = 120


class StaffAccess:
    def __init__(self, records: Records, access: Access, base_url: str) -> None:
        self.records = records
        self.access = access
        self.base_url = base_url

    async def issue(self, org_id: str, role: Kind, label: str = "") -> tuple[StaffCredential, str]:
        """A new link for ``role`` in ``org_id``; returns its row and its URL."""
        if role not in STAFF_ROLES:
            raise ValueError(f"{role.value} is not a staff role")
        await self.records.org(org_id)
        row = await self.records.add_staff_credential(org_id, role.value,
                                                      label.strip()[:MAX_LABEL])
        token = self.access.staff_credential(role, org_id, row.id)
        log.info("staff link issued", extra={"org_id": org_id, "role": role.value,
                                             "credential_id": row.id})
        return row, f"{self.base_url}{PAGES[role]}#credential={token}"

    async def resolve(self, credential: object, role: Kind) -> Principal:
        """Who the credential lets in as ``role``; ``AuthError`` (see the module) otherwise."""
        principal = self.access.staff(credential, role)
        row = await self.records.staff_credential(principal.credential_id)
        if row is None or row.org_id != principal.org_id or row.role != role.value \
                or row.revoked_at is not None:
            raise AuthError("this link has been revoked; ask for a new one",
                            code="revoked_credential")
        return principal

    async def revoke(self, org_id: str, role: Kind, credential_id: int | None = None) -> int:
        """Revoke one link of ``role`` (or all of them); returns how many stopped working."""
        ids = await self.records.revoke_staff_credentials(org_id, role.value, credential_id)
        if ids and role is Kind.FACILITATOR_HOME and self.access.store is not None:
            # The control panels opened from these pages fall with them (their
            # credentials carry the row, ``Access.facilitator_credential``).
            await self.access.revoke_names([self.access.staff_holder(i) for i in ids])
        log.info("staff links revoked", extra={"org_id": org_id, "role": role.value,
                                               "count": len(ids)})
        return len(ids)

    async def all(self, org_id: str) -> list[StaffCredential]:
        return await self.records.staff_credentials(org_id)
