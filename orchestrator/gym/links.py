"""Personal links: one per person per program, the way into "Min träning".

A link's token is derived from its row (an HMAC with the installation
secret over the link's id, organisation, program and person), and only the
token's SHA-256 is stored. So a mail rendered weeks later carries the same
live link without the outbox keeping it, a stolen database alone opens
nothing, and re-issuing (a new row) or revoking makes the old token useless.

``resolve`` turns a token into whose link it is, refusing with codes
``invalid_link`` (unknown, malformed or revoked: ask for a new one),
``person_inactive`` (no longer in the roster) and ``program_ended``; the
last two say so and offer nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re

from orchestrator.errors import AuthError
from orchestrator.gym.flowrecords import LinkHolder
from orchestrator.gym.ports import Records

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class PersonalLinks:
    def __init__(self, records: Records, secret: str, base_url: str) -> None:
        self.records = records
        self._secret = secret.encode()
        self.base_url = base_url

    def _token(self, link_id: int, org_id: str, program_id: str, employee_id: str) -> str:
        message = f"onlive-personal-link\0{link_id}\0{org_id}\0{program_id}\0{employee_id}"
        mac = hmac.new(self._secret, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    @staticmethod
    def digest(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def url(self, token: str) -> str:
        return f"{self.base_url}/m#link={token}"

    async def issue(self, org_id: str, program_id: str, employee_id: str) -> str:
        """A new link (revoking the person's old one for the program); returns its token."""
        await self.records.program(org_id, program_id)
        await self.records.person(org_id, employee_id)
        tokens: dict[int, str] = {}

        def digest(link_id: int) -> bytes:
            tokens[link_id] = self._token(link_id, org_id, program_id, employee_id)
            return self.digest(tokens[link_id])

        link_id = await self.records.issue_link(org_id, program_id, employee_id, digest)
        log.info("personal link issued", extra={"org_id": org_id, "program_id": program_id,
                                                "participant_id": employee_id})
        return tokens[link_id]

    async def current(self, org_id: str, program_id: str, employee_id: str) -> str:
        """The person's live link for the program, issued if they have none."""
        link_id = await self.records.live_link(org_id, program_id, employee_id)
        if link_id is None:
            return await self.issue(org_id, program_id, employee_id)
        return self._token(link_id, org_id, program_id, employee_id)

    async def revoke(self, org_id: str, program_id: str, employee_id: str) -> bool:
        return await self.records.revoke_link(org_id, program_id, employee_id)

    @staticmethod
    def looks_like_token(text: str) -> bool:
        return bool(_TOKEN.fullmatch(text))

    async def revoke_token(self, token: str) -> bool:
        """Revoke the link ``token`` opens; False when it opens nothing (any more)."""
        holder = await self.records.link_by_hash(self.digest(token)) \
            if _TOKEN.fullmatch(token) else None
        if holder is None or holder.revoked:
            return False
        return await self.records.revoke_link(holder.org_id, holder.program_id,
                                              holder.employee_id)

    async def resolve(self, token: object) -> LinkHolder:
        """Whose live link ``token`` is; ``AuthError`` (see the module's codes) otherwise."""
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise AuthError("this is not a personal link; open the whole link from your e-mail",
                            code="invalid_link")
        holder = await self.records.link_by_hash(self.digest(token))
        if holder is None or holder.revoked or not hmac.compare_digest(
                token, self._token(holder.link_id, holder.org_id, holder.program_id,
                                   holder.employee_id)):
            raise AuthError("this link is no longer valid; ask for a new one",
                            code="invalid_link")
        person = await self.records.person(holder.org_id, holder.employee_id)
        if not person.active:
            raise AuthError("you are no longer in the organisation's roster, so this link "
                            "no longer opens anything", code="person_inactive")
        program = await self.records.program(holder.org_id, holder.program_id)
        if program.state != "active":
            raise AuthError(f"the program {program.name} has ended", code="program_ended")
        return holder
