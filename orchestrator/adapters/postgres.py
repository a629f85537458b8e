"""The system of record on PostgreSQL (implements ``orchestrator.gym.ports.Records``).

``open_records(url)`` makes the connection pool, applies the numbered
migrations (``orchestrator.adapters.schema``) and yields the adapter; the
pool closes when the block ends.

Every query names its organisation. Roster imports load the file with COPY
into a temporary table and change ``people`` with three set-based
statements, in one transaction under a per-organisation lock.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import zoneinfo
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, cast

import asyncpg

from exercises.gym.errors import RosterError
from exercises.gym.program import (
    Audience,
    Cadence,
    ProgramClassSpec,
    ProgramSpec,
    SessionSpec,
    SessionState,
)
from exercises.gym.roster import Language, Level, Roster, RosterPerson, StoredPerson, check_against
from exercises.text import Text
from orchestrator.adapters.postgres_breakdown import BreakdownRecords
from orchestrator.adapters.postgres_classes import ClassRecords
from orchestrator.adapters.postgres_flows import FlowRecords
from orchestrator.adapters.postgres_reports import ReportRecords
from orchestrator.adapters.postgres_staff import StaffRecords
from orchestrator.adapters.schema import LOCK_NAMESPACE, ROSTER_LOCK, migrate
from orchestrator.errors import Conflict, NotFound, ServiceError
from orchestrator.gym.records import (
    ClassVersion,
    ImportReport,
    Organisation,
    PersonData,
    PersonRecord,
    ProgramClass,
    ProgramRecord,
    SessionRecord,
)

log = logging.getLogger(__name__)

ERASED = "–"

Row = Mapping[str, Any]


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads,
                              schema="pg_catalog")


#: Settings of each connection. The planner's default cost of a random page read (4)
#: assumes spinning disks; on SSDs, or with the working set in memory, reading a row by
#: its key is cheap, and PostgreSQL's own advice is a value near 1. With the default a
#: key lookup in a small table (the sessions of a year: a few pages) is planned as a
#: scan of the whole table, and every foreign-key check of an archived answer against
#: its session scanned all sessions.
SERVER_SETTINGS = {"random_page_cost": "1.1"}


async def create_pool(url: str, *, max_size: int = 10) -> asyncpg.Pool:
    try:
        pool = await asyncpg.create_pool(url, min_size=1, max_size=max_size,
                                         init=_init_connection, command_timeout=60,
                                         server_settings=SERVER_SETTINGS)
    except (OSError, asyncpg.PostgresError) as error:
        raise ServiceError(f"cannot reach PostgreSQL at {_safe(url)}: {error}; start it "
                           "(onlive dev does) or fix ONLIVE_DATABASE_URL") from error
    return cast(asyncpg.Pool, pool)


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


@asynccontextmanager
async def open_records(url: str, *, max_size: int = 10) -> AsyncIterator[PostgresRecords]:
    """A migrated system of record on a pool of at most ``max_size`` connections."""
    pool = await create_pool(url, max_size=max_size)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
        yield PostgresRecords(pool)
    finally:
        await pool.close()


def _count(status: str) -> int:
    """Rows touched, from a command status such as ``UPDATE 12`` or ``INSERT 0 5``."""
    return int(status.rsplit(" ", 1)[-1])


#: Where each table keeps rows about one person (for export and erasure).
PERSON_TABLES: Mapping[str, str] = {
    "people": "employee_id = $2",
    "enrolments": "employee_id = $2",
    "attendance": "employee_id = $2",
    "journal_entries": "employee_id = $2",
    "archived_answers": "employee_id = $2",
    "pairings": "(a = $2 OR b = $2)",
    "personal_links": "employee_id = $2",
    "mail_outbox": "employee_id = $2",
    "leadership_respondents": "employee_id = $2",
    "program_people": "employee_id = $2",
    "leadership_keys": "employee_id = $2",
    "leadership_texts": "employee_id = $2",
}


class PostgresRecords(FlowRecords, ReportRecords, BreakdownRecords, ClassRecords,
                      StaffRecords):
    """The whole system of record; enrolment, links, mail, archives and Min träning's
    reads come from ``FlowRecords`` (``postgres_flows.py``), staff credentials and the
    dashboard's and insights' reads from ``ReportRecords`` (``postgres_reports.py``), a
    class's breakdown by department, site and level from ``BreakdownRecords``
    (``postgres_breakdown.py``)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def ping(self) -> None:
        await self.pool.fetchval("SELECT 1")

    # -- organisations ------------------------------------------------------------

    async def create_org(self, org: Organisation) -> Organisation:
        row = await self.pool.fetchrow(
            "INSERT INTO organisations (id, name, anonymity_k, top_warning_percent) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING *",
            org.id, org.name, org.anonymity_k, org.top_warning_percent)
        if row is None:
            raise Conflict(f"organisation {org.id!r} exists already", code="exists")
        return _org(row)

    async def ensure_org(self, org_id: str, name: str | None = None) -> Organisation:
        row = await self.pool.fetchrow(
            "INSERT INTO organisations (id, name) VALUES ($1, $2) "
            "ON CONFLICT (id) DO UPDATE SET name = organisations.name RETURNING *",
            org_id, name or org_id)
        assert row is not None
        return _org(row)

    async def org(self, org_id: str) -> Organisation:
        row = await self.pool.fetchrow("SELECT * FROM organisations WHERE id = $1", org_id)
        if row is None:
            raise NotFound(f"no organisation {org_id!r}", code="unknown_org")
        return _org(row)

    async def orgs(self) -> list[Organisation]:
        return [_org(r) for r in await self.pool.fetch("SELECT * FROM organisations ORDER BY id")]

    # -- the roster ---------------------------------------------------------------

    async def import_roster(self, org_id: str, roster: Roster) -> ImportReport:
        async with self.pool.acquire() as conn, conn.transaction():
            await self._lock_roster(conn, org_id)
            stored = {r["employee_id"]: StoredPerson(r["manager_employee_id"], r["email"],
                                                     r["active"], r["source"] == "roster")
                      for r in await conn.fetch(
                          "SELECT employee_id, manager_employee_id, email, active, source "
                          "FROM people WHERE org_id = $1", org_id)}
            problems = check_against(roster, stored)
            if problems:
                raise RosterError(problems)
            await conn.execute("""
                CREATE TEMP TABLE roster_in (
                    employee_id text PRIMARY KEY, first_name text NOT NULL,
                    last_name text NOT NULL, email text NOT NULL, department text NOT NULL,
                    site text NOT NULL, manager_employee_id text, level text NOT NULL,
                    language text) ON COMMIT DROP""")
            await conn.copy_records_to_table(
                "roster_in", records=[_roster_row(p) for p in roster.people],
                columns=["employee_id", "first_name", "last_name", "email", "department",
                         "site", "manager_employee_id", "level", "language"])
            deactivated = 0
            if not roster.partial:
                deactivated = _count(await conn.execute("""
                    UPDATE people p SET active = false, deactivated_at = now(), updated_at = now()
                    WHERE p.org_id = $1 AND p.active AND p.source = 'roster'
                      AND NOT EXISTS (SELECT 1 FROM roster_in r
                                      WHERE r.employee_id = p.employee_id)""", org_id))
            changed = _count(await conn.execute("""
                UPDATE people p SET first_name = r.first_name, last_name = r.last_name,
                    email = r.email, department = r.department, site = r.site,
                    manager_employee_id = r.manager_employee_id, level = r.level,
                    language = coalesce(r.language, p.language), active = true,
                    deactivated_at = NULL, source = 'roster', updated_at = now()
                FROM roster_in r
                WHERE p.org_id = $1 AND p.employee_id = r.employee_id
                  AND (p.first_name, p.last_name, p.email, p.department, p.site,
                       p.manager_employee_id, p.level, p.language, p.active, p.source)
                      IS DISTINCT FROM
                      (r.first_name, r.last_name, r.email, r.department, r.site,
                       r.manager_employee_id, r.level, coalesce(r.language, p.language),
                       true, 'roster')""", org_id))
            added = _count(await conn.execute("""
                INSERT INTO people (org_id, employee_id, first_name, last_name, email,
                                    department, site, manager_employee_id, level, language)
                SELECT $1, r.employee_id, r.first_name, r.last_name, r.email, r.department,
                       r.site, r.manager_employee_id, r.level, coalesce(r.language, 'sv')
                FROM roster_in r
                WHERE NOT EXISTS (SELECT 1 FROM people p
                                  WHERE p.org_id = $1 AND p.employee_id = r.employee_id)""",
                org_id))
            report = ImportReport(roster.file, "partial" if roster.partial else "full", added,
                                  changed, len(roster.people) - added - changed, deactivated)
            await conn.execute(
                "INSERT INTO roster_imports (org_id, file_name, mode, added, changed, unchanged, "
                "deactivated) VALUES ($1, $2, $3, $4, $5, $6, $7)", org_id, report.file,
                report.mode, report.added, report.changed, report.unchanged, report.deactivated)
            # Deferred constraints (managers, one active address each) are checked here,
            # inside the transaction, so that a violation rolls everything back with a
            # clear error rather than at commit.
            await _check_deferred(conn)
        return report

    async def _lock_roster(self, conn: asyncpg.Connection, org_id: str) -> None:
        if await conn.fetchval("SELECT 1 FROM organisations WHERE id = $1", org_id) is None:
            raise NotFound(f"no organisation {org_id!r}", code="unknown_org")
        await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))",
                           LOCK_NAMESPACE + ROSTER_LOCK, org_id)

    async def add_person(self, org_id: str, person: RosterPerson) -> PersonRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            await self._lock_roster(conn, org_id)
            if person.manager_id is not None and await conn.fetchval(
                    "SELECT 1 FROM people WHERE org_id = $1 AND employee_id = $2 AND active",
                    org_id, person.manager_id) is None:
                raise NotFound(f"manager {person.manager_id!r} is not an active person of "
                               f"{org_id!r}", code="unknown_person")
            row = await conn.fetchrow("""
                INSERT INTO people (org_id, employee_id, first_name, last_name, email,
                                    department, site, manager_employee_id, level, language,
                                    source)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'manual')
                ON CONFLICT (org_id, employee_id) DO NOTHING RETURNING *""",
                org_id, *_roster_row(person)[:8], (person.language or Language.SV).value)
            if row is None:
                raise Conflict(f"{person.employee_id!r} is already in the roster of {org_id!r}",
                               code="exists")
            await _check_deferred(conn)
        return _person(row)

    async def person(self, org_id: str, employee_id: str) -> PersonRecord:
        row = await self.pool.fetchrow(
            "SELECT * FROM people WHERE org_id = $1 AND employee_id = $2", org_id, employee_id)
        if row is None:
            raise NotFound(f"no person {employee_id!r} in the roster of {org_id!r}",
                           code="unknown_person")
        return _person(row)

    async def people(self, org_id: str, *, active_only: bool = True) -> list[PersonRecord]:
        rows = await self.pool.fetch(
            "SELECT * FROM people WHERE org_id = $1 AND (active OR NOT $2) ORDER BY employee_id",
            org_id, active_only)
        return [_person(r) for r in rows]

    # -- classes ------------------------------------------------------------------

    async def save_class_version(self, org_id: str, class_id: str, yaml: str, *, title: Text,
                                 duration_s: int, created_by: str,
                                 source: str = "file") -> ClassVersion:
        digest = hashlib.sha256(yaml.encode()).hexdigest()
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("INSERT INTO classes (org_id, id) VALUES ($1, $2) "
                               "ON CONFLICT DO NOTHING", org_id, class_id)
            # Versions of one class are numbered one at a time.
            await conn.execute("SELECT 1 FROM classes WHERE org_id = $1 AND id = $2 FOR UPDATE",
                               org_id, class_id)
            latest = await conn.fetchrow(
                "SELECT * FROM class_versions WHERE org_id = $1 AND class_id = $2 "
                "ORDER BY version DESC LIMIT 1", org_id, class_id)
            if latest is not None and latest["sha256"] == digest:
                return _class_version(latest)
            row = await conn.fetchrow("""
                INSERT INTO class_versions (org_id, class_id, version, yaml, sha256, title_sv,
                                            title_en, duration_s, created_by, source)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *""",
                org_id, class_id, 1 if latest is None else latest["version"] + 1, yaml, digest,
                title.sv, title.en, duration_s, created_by, source)
        assert row is not None
        return _class_version(row)

    async def class_version(self, org_id: str, class_id: str,
                            version: int | None = None) -> ClassVersion:
        row = await self.pool.fetchrow(
            "SELECT * FROM class_versions WHERE org_id = $1 AND class_id = $2 "
            "AND (version = $3 OR $3 IS NULL) ORDER BY version DESC LIMIT 1",
            org_id, class_id, version)
        if row is None:
            which = f" version {version}" if version is not None else ""
            raise NotFound(f"no class {class_id!r}{which} in the library of {org_id!r}",
                           code="unknown_class")
        return _class_version(row)

    # -- programs and sessions ----------------------------------------------------

    async def create_program(self, org_id: str, spec: ProgramSpec) -> ProgramRecord:
        a = spec.audience
        async with self.pool.acquire() as conn:
            status = await conn.execute("""
                INSERT INTO programs (org_id, id, name, departments, sites, levels, cadence,
                                      mandatory, anonymity_k, starts_on, ends_on)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                ON CONFLICT (org_id, id) DO NOTHING""",
                org_id, spec.id, spec.name, list(a.departments), list(a.sites),
                [v.value for v in a.levels], spec.cadence.value, spec.mandatory,
                spec.anonymity_k, spec.starts_on, spec.ends_on)
            if _count(status) == 0:
                raise Conflict(f"program {spec.id!r} exists already in {org_id!r}",
                               code="exists")
            return await self._program(conn, org_id, spec.id)

    async def programs(self, org_id: str) -> list[ProgramRecord]:
        async with self.pool.acquire() as conn:
            ids = await conn.fetch("SELECT id FROM programs WHERE org_id = $1 ORDER BY id",
                                   org_id)
            return [await self._program(conn, org_id, r["id"]) for r in ids]

    async def program(self, org_id: str, program_id: str) -> ProgramRecord:
        async with self.pool.acquire() as conn:
            return await self._program(conn, org_id, program_id)

    async def _program(self, conn: asyncpg.Connection, org_id: str,
                       program_id: str) -> ProgramRecord:
        row = await conn.fetchrow("""
            SELECT p.*, coalesce(p.anonymity_k, o.anonymity_k) AS k
            FROM programs p JOIN organisations o ON o.id = p.org_id
            WHERE p.org_id = $1 AND p.id = $2""", org_id, program_id)
        if row is None:
            raise NotFound(f"no program {program_id!r} in {org_id!r}", code="unknown_program")
        classes = await conn.fetch(
            "SELECT * FROM program_classes WHERE org_id = $1 AND program_id = $2 "
            "ORDER BY position", org_id, program_id)
        return ProgramRecord(
            org_id, row["id"], row["name"],
            Audience(tuple(row["departments"]), tuple(row["sites"]),
                     tuple(Level(v) for v in row["levels"])),
            Cadence(row["cadence"]), row["mandatory"], row["k"], row["starts_on"],
            row["ends_on"], row["state"], tuple(_program_class(c) for c in classes))

    async def add_program_class(self, org_id: str, program_id: str, spec: ProgramClassSpec,
                                parameters: Mapping[str, str]) -> ProgramClass:
        async with self.pool.acquire() as conn, conn.transaction():
            if await conn.fetchval("SELECT 1 FROM programs WHERE org_id = $1 AND id = $2 "
                                   "FOR UPDATE", org_id, program_id) is None:
                raise NotFound(f"no program {program_id!r} in {org_id!r}",
                               code="unknown_program")
            if await conn.fetchval("SELECT 1 FROM classes WHERE org_id = $1 AND id = $2",
                                   org_id, spec.class_id) is None:
                raise NotFound(f"no class {spec.class_id!r} in the library of {org_id!r}",
                               code="unknown_class")
            row = await conn.fetchrow("""
                INSERT INTO program_classes (org_id, program_id, position, class_id, due_on,
                                             mandatory, parameters)
                SELECT $1, $2, coalesce(max(position), 0) + 1, $3, $4, $5, $6
                FROM program_classes WHERE org_id = $1 AND program_id = $2
                RETURNING *""", org_id, program_id, spec.class_id, spec.due_on, spec.mandatory,
                dict(parameters))
        assert row is not None
        return _program_class(row)

    async def add_session(self, org_id: str, program_id: str, program_class_id: int, *,
                          pass_id: str, class_version: int, duration_s: int,
                          spec: SessionSpec) -> SessionRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            pc = await conn.fetchrow(
                "SELECT class_id FROM program_classes WHERE org_id = $1 AND program_id = $2 "
                "AND id = $3", org_id, program_id, program_class_id)
            if pc is None:
                raise NotFound(f"program {program_id!r} of {org_id!r} has no class "
                               f"#{program_class_id}", code="unknown_class")
            try:
                await conn.execute("""
                    INSERT INTO sessions (org_id, pass_id, program_id, program_class_id,
                                          class_id, class_version, starts_at, time_zone,
                                          duration_s, capacity, facilitator)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
                    org_id, pass_id, program_id, program_class_id, pc["class_id"],
                    class_version, spec.starts_at, spec.time_zone, duration_s, spec.capacity,
                    spec.facilitator)
            except asyncpg.UniqueViolationError:
                raise Conflict(f"pass id {pass_id!r} is taken", code="exists") from None
            except asyncpg.ForeignKeyViolationError:
                raise NotFound(f"class {pc['class_id']!r} has no version {class_version}",
                               code="unknown_class") from None
            return await self._session(conn, org_id, pass_id)

    async def sessions(self, org_id: str, program_id: str) -> list[SessionRecord]:
        rows = await self.pool.fetch(_SESSIONS + " WHERE s.org_id = $1 AND s.program_id = $2 "
                                     "ORDER BY s.starts_at, s.pass_id", org_id, program_id)
        return [_session(r) for r in rows]

    async def session(self, org_id: str, pass_id: str) -> SessionRecord:
        async with self.pool.acquire() as conn:
            return await self._session(conn, org_id, pass_id)

    async def _session(self, conn: asyncpg.Connection, org_id: str,
                       pass_id: str) -> SessionRecord:
        row = await conn.fetchrow(_SESSIONS + " WHERE s.org_id = $1 AND s.pass_id = $2",
                                  org_id, pass_id)
        if row is None:
            raise NotFound(f"no session {pass_id!r} in {org_id!r}", code="unknown_session")
        return _session(row)

    async def move_session(self, org_id: str, pass_id: str, current: SessionState,
                           to: SessionState) -> SessionRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.execute("""
                UPDATE sessions SET state = $4,
                    opened_at = CASE WHEN $4 = 'open' THEN now() ELSE opened_at END,
                    ended_at = CASE WHEN $4 IN ('ended', 'cancelled') THEN now()
                                    ELSE ended_at END
                WHERE org_id = $1 AND pass_id = $2 AND state = $3""",
                org_id, pass_id, current.value, to.value)
            session = await self._session(conn, org_id, pass_id)
            if _count(status) == 0:
                raise Conflict(f"session {pass_id!r} is {session.state.value}, not "
                               f"{current.value}", code="session_moved")
            return session

    # -- attendance ---------------------------------------------------------------

    async def record_invitation(self, org_id: str, pass_id: str, employee_id: str) -> bool:
        status = await self.pool.execute("""
            INSERT INTO attendance (org_id, pass_id, employee_id)
            SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM sessions
                                            WHERE org_id = $1 AND pass_id = $2)
            ON CONFLICT (org_id, pass_id, employee_id) DO NOTHING""",
            org_id, pass_id, employee_id)
        if _count(status):
            return True
        return await self.pool.fetchval(
            "SELECT 1 FROM attendance WHERE org_id = $1 AND pass_id = $2 AND employee_id = $3",
            org_id, pass_id, employee_id) is not None

    # -- one person's data (GDPR) -------------------------------------------------

    async def export_person(self, org_id: str, employee_id: str) -> PersonData:
        tables: dict[str, tuple[Mapping[str, Any], ...]] = {}
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                                 readonly=True):
            for table, where in PERSON_TABLES.items():
                rows = await conn.fetch(f"SELECT to_jsonb(t) AS row FROM {table} t "
                                        f"WHERE org_id = $1 AND {where}", org_id, employee_id)
                tables[table] = tuple(_exportable(table, r["row"]) for r in rows)
            person = tables["people"][0] if tables["people"] else None
            authored = await conn.fetch(
                "SELECT class_id, version, created_at FROM class_versions "
                "WHERE org_id = $1 AND created_by = ANY($2::text[])", org_id,
                [employee_id, *([person["email"]] if person else [])])
            tables["class_versions"] = tuple(
                {"class_id": r["class_id"], "version": r["version"],
                 "created_at": r["created_at"].isoformat()} for r in authored)
        return PersonData(org_id, employee_id, tables)

    async def erase_person(self, org_id: str, employee_id: str) -> int:
        removed = 0
        async with self.pool.acquire() as conn, conn.transaction():
            email = await conn.fetchval(
                "SELECT email FROM people WHERE org_id = $1 AND employee_id = $2 FOR UPDATE",
                org_id, employee_id)
            for table, where in PERSON_TABLES.items():
                if table != "people":
                    removed += _count(await conn.execute(
                        f"DELETE FROM {table} WHERE org_id = $1 AND {where}", org_id,
                        employee_id))
            removed += _count(await conn.execute(
                "UPDATE class_versions SET created_by = $3 WHERE org_id = $1 "
                "AND created_by = ANY($2::text[])", org_id,
                [employee_id, *([email] if email else [])], ERASED))
            # Their reports keep their rows; the link to this manager goes (ON DELETE SET NULL).
            removed += _count(await conn.execute(
                "DELETE FROM people WHERE org_id = $1 AND employee_id = $2", org_id, employee_id))
        return removed


async def _check_deferred(conn: asyncpg.Connection) -> None:
    try:
        await conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except asyncpg.ExclusionViolationError as error:
        raise Conflict(f"two active people would share an e-mail address: {error.detail}",
                       code="duplicate_email") from None
    except asyncpg.ForeignKeyViolationError as error:
        raise Conflict(f"a manager is not in the roster: {error.detail}",
                       code="unknown_manager") from None


_SESSIONS = """
    SELECT s.*,
        (SELECT count(*) FROM enrolments e WHERE e.org_id = s.org_id AND e.pass_id = s.pass_id
           AND e.status = 'enrolled') AS enrolled,
        (SELECT count(*) FROM enrolments e WHERE e.org_id = s.org_id AND e.pass_id = s.pass_id
           AND e.status = 'waiting') AS waiting
    FROM sessions s"""


def _roster_row(p: RosterPerson) -> tuple[Any, ...]:
    return (p.employee_id, p.first_name, p.last_name, p.email, p.department, p.site,
            p.manager_id, p.level.value, p.language.value if p.language else None)


def _org(row: Row) -> Organisation:
    return Organisation(row["id"], row["name"], row["anonymity_k"], row["top_warning_percent"])


def _person(row: Row) -> PersonRecord:
    return PersonRecord(row["org_id"], row["employee_id"], row["first_name"], row["last_name"],
                        row["email"], row["department"], row["site"],
                        row["manager_employee_id"], Level(row["level"]),
                        Language(row["language"]), row["active"], row["source"])


def _class_version(row: Row) -> ClassVersion:
    return ClassVersion(row["org_id"], row["class_id"], row["version"], row["yaml"],
                        Text(row["title_sv"], row["title_en"]), row["duration_s"],
                        row["created_by"], row["created_at"])


def _program_class(row: Row) -> ProgramClass:
    return ProgramClass(row["id"], row["position"], row["class_id"], row["due_on"],
                        row["mandatory"], dict(row["parameters"]))


def _session(row: Row) -> SessionRecord:
    starts: datetime = row["starts_at"]
    return SessionRecord(row["org_id"], row["pass_id"], row["program_id"],
                         row["program_class_id"], row["class_id"], row["class_version"],
                         starts.astimezone(zoneinfo.ZoneInfo(row["time_zone"])),
                         row["time_zone"], row["duration_s"], row["capacity"],
                         row["facilitator"], SessionState(row["state"]), row["enrolled"],
                         row["waiting"])


def _exportable(table: str, row: dict[str, Any]) -> dict[str, Any]:
    # A personal link's token hash is a credential, not data about the person.
    if table == "personal_links":
        row.pop("token_hash", None)
    return row


__all__ = ["PERSON_TABLES", "PostgresRecords", "create_pool", "open_records"]
