"""The facilitator's page on PostgreSQL: the sessions one facilitator runs; and the
count of "mail me my link" per address (part of ``PostgresRecords``, as a mixin)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

import asyncpg

from exercises.gym.program import SessionState
from exercises.text import Text
from orchestrator.gym.records import FacilitatedSession, SessionRecord

__all__ = ["StaffRecords"]


class StaffRecords:
    pool: asyncpg.Pool

    async def facilitator_sessions(self, org_id: str, facilitator: str,
                                   ending_after: datetime) -> list[FacilitatedSession]:
        rows = await self.pool.fetch("""
            SELECT s.*, p.name AS program_name, v.title_sv, v.title_en,
                (SELECT count(*) FROM enrolments e WHERE e.org_id = s.org_id
                   AND e.pass_id = s.pass_id AND e.status = 'enrolled') AS enrolled,
                (SELECT count(*) FROM enrolments e WHERE e.org_id = s.org_id
                   AND e.pass_id = s.pass_id AND e.status = 'waiting') AS waiting
            FROM sessions s
            JOIN programs p ON p.org_id = s.org_id AND p.id = s.program_id
            JOIN class_versions v ON v.org_id = s.org_id AND v.class_id = s.class_id
                                 AND v.version = s.class_version
            WHERE s.org_id = $1 AND s.facilitator = $2 AND s.state IN ('scheduled', 'open')
              AND s.starts_at + make_interval(secs => s.duration_s) > $3
            ORDER BY s.starts_at, s.pass_id""", org_id, facilitator, ending_after)
        return [FacilitatedSession(
            SessionRecord(r["org_id"], r["pass_id"], r["program_id"], r["program_class_id"],
                          r["class_id"], r["class_version"],
                          r["starts_at"].astimezone(zoneinfo.ZoneInfo(r["time_zone"])),
                          r["time_zone"], r["duration_s"], r["capacity"], r["facilitator"],
                          SessionState(r["state"]), r["enrolled"], r["waiting"]),
            r["program_name"], Text(r["title_sv"], r["title_en"])) for r in rows]

    async def count_link_request(self, address_hmac: str, now: datetime,
                                 since: datetime) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            # Nothing is kept past the window, whichever address asked.
            await conn.execute("DELETE FROM link_requests WHERE requested_at < $1", since)
            await conn.execute("INSERT INTO link_requests (address_hmac, requested_at) "
                               "VALUES ($1, $2)", address_hmac, now)
            count: int = await conn.fetchval(
                "SELECT count(*) FROM link_requests WHERE address_hmac = $1", address_hmac)
        return count
