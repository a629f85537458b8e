""""Mail me my link": a new personal link to whoever owns an address, limited per address.

The answer is the same whether the address is anyone's (nobody learns who is
in the roster); a person gets at most one link mail an hour per program
(``Outbox.send_link``), and one address may ask :data:`MAX_PER_HOUR` times an
hour, after which it is refused with ``RateLimited`` (code
``too_many_requests``) until the hour has passed.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Protocol

from orchestrator.errors import RateLimited
from orchestrator.gym.mail import Outbox
from orchestrator.gym.records import PersonRecord, ProgramRecord

__all__ = ["MAX_PER_HOUR", "LinkRequests"]

MAX_PER_HOUR = 3
WINDOW = timedelta(hours=1)


class LinkRequestStore(Protocol):
    async def count_link_request(self, address_hmac: str, now: datetime,
                                 since: datetime) -> int:
        """Note one request of the address now; how many it made since ``since``,
        this one included (older ones are forgotten)."""
        ...

    async def people_with_email(self, email: str) -> list[PersonRecord]: ...
    async def programs(self, org_id: str) -> list[ProgramRecord]: ...


class LinkRequests:
    def __init__(self, records: LinkRequestStore, outbox: Outbox, secret: str, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.records = records
        self.outbox = outbox
        self.secret = secret.encode()
        self.clock = clock

    async def ask(self, email: str) -> None:
        address = email.strip().lower()
        key = hmac.new(self.secret, address.encode(), hashlib.sha256).hexdigest()
        now = datetime.fromtimestamp(self.clock(), timezone.utc)
        if await self.records.count_link_request(key, now, now - WINDOW) > MAX_PER_HOUR:
            raise RateLimited("this address has asked for its link often this hour; "
                              "use the last mail, or try again in an hour",
                              code="too_many_requests")
        for person in await self.records.people_with_email(email.strip()):
            for program in await self.records.programs(person.org_id):
                if program.state == "active" and program.audience.includes(
                        person.department, person.site, person.level):
                    # The live link is sent again (a revoked one is replaced when the
                    # mail is written); asking never revokes anyone's link.
                    await self.outbox.send_link(person.org_id, program.id, person)
