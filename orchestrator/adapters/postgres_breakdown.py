"""One class of a program by department, site and level, on PostgreSQL (part of
``PostgresRecords``, as a mixin): read when the admin opens a class's breakdown on the
dashboard, so its cost is one class's places, attendance and pulse answers, never the
program's year.

Who holds a place in the class comes from its enrolments (the partial index on the
class), who came from its sessions' attendance, and the pulse from its sessions'
archived check-in and scale answers; everyone is counted in the cell the roster puts
them in now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import asyncpg

from orchestrator.errors import NotFound
from orchestrator.gym.records import ProgramRecord
from orchestrator.gym.reports import BreakdownFacts, PlaceCounts, PulseCell

Row = Mapping[str, Any]


class BreakdownRecords:
    pool: asyncpg.Pool

    async def _program(self, conn: asyncpg.Connection, org_id: str,
                       program_id: str) -> ProgramRecord:
        raise NotImplementedError  # PostgresRecords has it

    async def class_breakdown(self, org_id: str, program_id: str,
                              program_class_id: int) -> BreakdownFacts:
        """The class's places and attendance (its ``pulse`` is left empty: see
        ``class_pulse``, read beside it)."""
        async with self.pool.acquire() as conn:
            program = await self._program(conn, org_id, program_id)
        if not any(c.id == program_class_id for c in program.classes):
            raise NotFound(f"program {program_id!r} has no such class", code="unknown_class")
        aud = program.audience
        audience_args = (list(aud.departments), list(aud.sites), [v.value for v in aud.levels])

        audience, sessions, order = await asyncio.gather(
            _read(self.pool, _AUDIENCE, org_id, program_class_id, *audience_args),
            _read(self.pool, _SESSIONS, org_id, program_class_id),
            _read(self.pool, _ORDER, org_id, program_class_id))
        by_pass: dict[str, list[PlaceCounts]] = {r["pass_id"]: [] for r in order}
        for r in sessions:
            by_pass.setdefault(r["pass_id"], []).append(_counts(r))
        return BreakdownFacts(
            program, program_class_id, max((r["class_version"] for r in order), default=0),
            tuple(_counts(r) for r in audience),
            tuple((p, tuple(cells)) for p, cells in by_pass.items()), ())

    async def class_pulse(self, org_id: str, program_id: str,
                          program_class_id: int) -> tuple[PulseCell, ...]:
        return tuple(PulseCell(r["question"], (r["department"], r["site"], r["level"]),
                               r["people"], r["valued"], float(r["total"]))
                     for r in await _read(self.pool, _PULSE, org_id, program_class_id,
                                          program_id))


async def _read(pool: asyncpg.Pool, sql: str, *args: object) -> list[Row]:
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await conn.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        return list(await conn.fetch(sql, *args))


def _counts(r: Row) -> PlaceCounts:
    return PlaceCounts((r["department"], r["site"], r["level"]), r["audience"], r["enrolled"],
                       r["waiting"], r["attended"], r["missing"])


# The program's audience (active people who match it) by cell: who holds or waits for a
# place in the class, and who came to any of its sessions.
_AUDIENCE = """
    WITH placed AS (
        SELECT employee_id, status FROM enrolments
        WHERE org_id = $1 AND program_class_id = $2 AND status <> 'cancelled'),
    came AS (
        SELECT DISTINCT a.employee_id FROM sessions s
        JOIN attendance a ON a.org_id = s.org_id AND a.pass_id = s.pass_id
        WHERE s.org_id = $1 AND s.program_class_id = $2 AND a.first_joined_at IS NOT NULL)
    SELECT p.department, p.site, p.level, count(*) AS audience,
           count(*) FILTER (WHERE pl.status = 'enrolled') AS enrolled,
           count(*) FILTER (WHERE pl.status = 'waiting') AS waiting,
           count(c.employee_id) AS attended, 0 AS missing
    FROM people p
    LEFT JOIN placed pl ON pl.employee_id = p.employee_id
    LEFT JOIN came c ON c.employee_id = p.employee_id
    WHERE p.org_id = $1 AND p.active
      AND (cardinality($3::text[]) = 0 OR p.department = ANY($3::text[]))
      AND (cardinality($4::text[]) = 0 OR p.site = ANY($4::text[]))
      AND (cardinality($5::text[]) = 0 OR p.level = ANY($5::text[]))
    GROUP BY p.department, p.site, p.level"""
# Each session of the class by cell: places, the waiting list, who came and who was
# expected (invited or enrolled) and never came.
_SESSIONS = """
    SELECT x.pass_id, p.department, p.site, p.level, 0 AS audience,
           count(*) FILTER (WHERE x.what = 'enrolled') AS enrolled,
           count(*) FILTER (WHERE x.what = 'waiting') AS waiting,
           count(*) FILTER (WHERE x.what = 'attended') AS attended,
           count(*) FILTER (WHERE x.what = 'missing') AS missing
    FROM (SELECT pass_id, employee_id, status AS what FROM enrolments
          WHERE org_id = $1 AND program_class_id = $2 AND status <> 'cancelled'
          UNION ALL
          SELECT a.pass_id, a.employee_id,
                 CASE WHEN a.first_joined_at IS NULL THEN 'missing' ELSE 'attended' END
          FROM sessions s JOIN attendance a ON a.org_id = s.org_id AND a.pass_id = s.pass_id
          WHERE s.org_id = $1 AND s.program_class_id = $2) x
    JOIN people p ON p.org_id = $1 AND p.employee_id = x.employee_id
    GROUP BY x.pass_id, p.department, p.site, p.level"""
_ORDER = """
    SELECT pass_id, class_version FROM sessions WHERE org_id = $1 AND program_class_id = $2
    ORDER BY starts_at, pass_id"""
# The class's check-in energy and scales by cell: distinct people, and the values' sum.
# Its sessions' pass ids as an array, so the answers are read by the primary key's
# (org_id, pass_id) prefix: the planner cannot tell how few a join would match and
# scans the year's answers instead.
_PULSE = """
    SELECT CASE WHEN a.step_kind = 'check-in' THEN 'energy' ELSE a.step_id END AS question,
           p.department, p.site, p.level, count(DISTINCT a.employee_id) AS people,
           count(v.value) AS valued, coalesce(sum(v.value), 0) AS total
    FROM archived_answers a
    JOIN people p ON p.org_id = a.org_id AND p.employee_id = a.employee_id
    CROSS JOIN LATERAL (SELECT CASE WHEN a.step_kind = 'check-in'
                                    THEN (a.value->>'energy')::numeric
                                    ELSE (a.value->>'value')::numeric END AS value) v
    WHERE a.org_id = $1 AND a.pass_id = ANY(ARRAY(
            SELECT pass_id FROM sessions WHERE org_id = $1 AND program_class_id = $2
              AND program_id = $3))
      AND a.step_kind IN ('check-in', 'scale')
    GROUP BY 1, 2, 3, 4"""


__all__ = ["BreakdownRecords"]
