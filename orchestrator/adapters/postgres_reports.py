"""Staff credentials, edits of programs and sessions, and the reads of the admin's dashboard
and the leadership insights on PostgreSQL (part of ``PostgresRecords``, as a mixin).

The dashboard's reads are independent of each other and run side by side on
pooled connections; they read totals that triggers keep as enrolments,
attendance and answers change (``session_totals``, ``class_totals``,
``class_pulse``, ``program_people``; migrations 0006 and 0008), not every row
of the year. The insights read totals per cell (department, site, level) that
triggers keep as answers are archived and people move (migration 0008): who
answered each leadership question (``insight_cells``), how often each value
was given (``insight_cell_keys``) and each word written
(``insight_cell_words``), so a slice sums a few hundred rows; and the slice's
newest free texts, at most ``MAX_SLICE_TEXTS`` per question, from indexes in
answer-time order (per question, or per cell for a small slice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, timezone
from typing import Any, TypeVar

import asyncpg

from exercises.gym.errors import ClassInUse, ClassUse
from exercises.gym.insights import MAX_THEMES, MIN_WORD, STOP_WORDS, Cell, Slice
from exercises.gym.program import (
    Audience,
    Cadence,
    SessionSpec,
    SessionState,
    check_arrangement,
)
from exercises.text import Text
from orchestrator.errors import Conflict, NotFound
from orchestrator.gym.records import (
    ClassArrangement,
    Organisation,
    ProgramRecord,
    SessionRecord,
)
from orchestrator.gym.reports import (
    ClassDone,
    DashboardFacts,
    GroupFacts,
    InsightAnswers,
    MissingPerson,
    PulsePoint,
    SessionFacts,
    StaffCredential,
    TopFacts,
)

Row = Mapping[str, Any]
T = TypeVar("T")
MAX_SLICE_TEXTS = 200
MAX_MISSING = 500
#: One position per class of a program, checked at the end of an arrangement.
POSITION_UNIQUE = "program_classes_org_id_program_id_position_key"

#: Run by the archive (``postgres_flows``) in its transaction: who answered which
#: leadership question of the session's program.
LEADERSHIP_RESPONDENTS = """
    INSERT INTO leadership_respondents (org_id, program_id, class_id, step_id, employee_id,
                                        department, site, level)
    SELECT DISTINCT a.org_id, s.program_id, s.class_id, a.step_id, a.employee_id,
           p.department, p.site, p.level
    FROM archived_answers a JOIN sessions s ON s.org_id = a.org_id AND s.pass_id = a.pass_id
    JOIN people p ON p.org_id = a.org_id AND p.employee_id = a.employee_id
    WHERE a.org_id = $1 AND a.pass_id = $2 AND a.visibility = 'leadership'
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT DO NOTHING"""


class ReportRecords:
    """Staff credentials, edits, the dashboard's and the insights' reads over ``self.pool``."""

    pool: asyncpg.Pool

    async def _program(self, conn: asyncpg.Connection, org_id: str,
                       program_id: str) -> ProgramRecord:
        raise NotImplementedError  # PostgresRecords has it

    async def _session(self, conn: asyncpg.Connection, org_id: str,
                       pass_id: str) -> SessionRecord:
        raise NotImplementedError  # PostgresRecords has it

    # -- staff credentials ---------------------------------------------------------

    async def add_staff_credential(self, org_id: str, role: str, label: str) -> StaffCredential:
        try:
            row = await self.pool.fetchrow(
                "INSERT INTO staff_credentials (org_id, role, label) VALUES ($1, $2, $3) "
                "RETURNING *", org_id, role, label)
        except asyncpg.ForeignKeyViolationError:
            raise NotFound(f"no organisation {org_id!r}", code="unknown_org") from None
        assert row is not None
        return _staff(row)

    async def staff_credential(self, credential_id: int) -> StaffCredential | None:
        row = await self.pool.fetchrow("SELECT * FROM staff_credentials WHERE id = $1",
                                       credential_id)
        return None if row is None else _staff(row)

    async def staff_credentials(self, org_id: str) -> list[StaffCredential]:
        return [_staff(r) for r in await self.pool.fetch(
            "SELECT * FROM staff_credentials WHERE org_id = $1 ORDER BY id", org_id)]

    async def revoke_staff_credentials(self, org_id: str, role: str,
                                       credential_id: int | None = None) -> list[int]:
        return [r["id"] for r in await self.pool.fetch(
            "UPDATE staff_credentials SET revoked_at = now() WHERE org_id = $1 AND role = $2 "
            "AND ($3::bigint IS NULL OR id = $3) AND revoked_at IS NULL RETURNING id",
            org_id, role, credential_id)]

    async def set_top_warning(self, org_id: str, percent: int) -> Organisation:
        row = await self.pool.fetchrow(
            "UPDATE organisations SET top_warning_percent = $2 WHERE id = $1 RETURNING *",
            org_id, percent)
        if row is None:
            raise NotFound(f"no organisation {org_id!r}", code="unknown_org")
        return Organisation(row["id"], row["name"], row["anonymity_k"],
                            row["top_warning_percent"])

    async def class_titles(self, org_id: str) -> dict[str, Text]:
        """The organisation's library: each class's latest title."""
        return {r["class_id"]: Text(r["title_sv"], r["title_en"]) for r in await self.pool.fetch(
            "SELECT DISTINCT ON (class_id) class_id, title_sv, title_en FROM class_versions "
            "WHERE org_id = $1 ORDER BY class_id, version DESC", org_id)}

    # -- edits -----------------------------------------------------------------------

    async def update_program(self, org_id: str, program_id: str, *, name: str,
                             audience: Audience, cadence: Cadence, mandatory: bool,
                             starts_on: date | None, ends_on: date | None,
                             classes: ClassArrangement | None = None) -> ProgramRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            done = await conn.execute(
                "UPDATE programs SET name = $3, departments = $4, sites = $5, levels = $6, "
                "cadence = $7, mandatory = $8, starts_on = $9, ends_on = $10 "
                "WHERE org_id = $1 AND id = $2", org_id, program_id, name,
                list(audience.departments), list(audience.sites),
                [v.value for v in audience.levels], cadence.value, mandatory, starts_on,
                ends_on)
            if _count(done) == 0:
                raise NotFound(f"no program {program_id!r} in {org_id!r}",
                               code="unknown_program")
            if classes is not None:
                await self._arrange(conn, org_id, program_id, classes)
            return await self._program(conn, org_id, program_id)

    async def arrange_program_classes(self, org_id: str, program_id: str,
                                      classes: ClassArrangement) -> ProgramRecord:
        async with self.pool.acquire() as conn, conn.transaction():
            if await conn.fetchval("SELECT 1 FROM programs WHERE org_id = $1 AND id = $2 "
                                   "FOR UPDATE", org_id, program_id) is None:
                raise NotFound(f"no program {program_id!r} in {org_id!r}",
                               code="unknown_program")
            await self._arrange(conn, org_id, program_id, classes)
            return await self._program(conn, org_id, program_id)

    async def _arrange(self, conn: asyncpg.Connection, org_id: str, program_id: str,
                       classes: ClassArrangement) -> None:
        """The new sequence, in the caller's transaction (the program's row is locked, so
        arrangements of one program follow each other)."""
        current = await conn.fetch(
            "SELECT id, position FROM program_classes WHERE org_id = $1 AND program_id = $2",
            org_id, program_id)
        check_arrangement([r["id"] for r in current], [r.id for r in classes.rows],
                          classes.removed)
        if classes.removed:
            removed = list(classes.removed)
            # Locked in pass id order as choosing a place locks them: nobody takes a place
            # in a session while it goes, and the two never wait for each other in a cycle.
            await conn.execute(
                "SELECT 1 FROM sessions WHERE org_id = $1 AND program_class_id = ANY($2) "
                "ORDER BY pass_id FOR UPDATE", org_id, removed)
            positions = {r["id"]: r["position"] for r in current}
            uses = []
            for r in await conn.fetch(_CLASS_USE, org_id, removed):
                if r["held"]:
                    uses.append(ClassUse(r["id"], positions[r["id"]], "class_held", r["held"]))
                elif r["people"]:
                    uses.append(ClassUse(r["id"], positions[r["id"]], "class_has_people",
                                         r["people"]))
            if uses:
                raise ClassInUse(sorted(uses, key=lambda u: u.position))
            # Their scheduled sessions, nobody's yet, go with them (foreign keys cascade).
            await conn.execute("DELETE FROM program_classes WHERE org_id = $1 AND id = ANY($2)",
                               org_id, removed)
        await conn.execute(f"SET CONSTRAINTS {POSITION_UNIQUE} DEFERRED")
        for position, row in enumerate(classes.rows, start=1):
            if row.id is not None:
                await conn.execute(
                    "UPDATE program_classes SET position = $3, due_on = $4, mandatory = $5 "
                    "WHERE org_id = $1 AND id = $2", org_id, row.id, position, row.due_on,
                    row.mandatory)
                continue
            try:
                await conn.execute(
                    "INSERT INTO program_classes (org_id, program_id, position, class_id, "
                    "due_on, mandatory, parameters) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    org_id, program_id, position, row.class_id, row.due_on, row.mandatory,
                    dict(row.parameters))
            except asyncpg.ForeignKeyViolationError:
                raise NotFound(f"no class {row.class_id!r} in the library of {org_id!r}",
                               code="unknown_class") from None
        await conn.execute(f"SET CONSTRAINTS {POSITION_UNIQUE} IMMEDIATE")

    async def update_session(self, org_id: str, pass_id: str,
                             spec: SessionSpec) -> SessionRecord:
        """Move a scheduled session or change its capacity and facilitator; ``Conflict``
        once it opened, or when fewer places than people who hold one."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT state FROM sessions WHERE org_id = $1 AND pass_id = $2 FOR UPDATE",
                org_id, pass_id)
            if row is None:
                raise NotFound(f"no session {pass_id!r} in {org_id!r}", code="unknown_session")
            if row["state"] != SessionState.SCHEDULED.value:
                raise Conflict(f"session {pass_id} is {row['state']}; only a scheduled "
                               "session can change", code="session_not_scheduled")
            holding = await conn.fetchval(
                "SELECT count(*) FROM enrolments WHERE org_id = $1 AND pass_id = $2 "
                "AND status = 'enrolled'", org_id, pass_id)
            if spec.capacity < holding:
                raise Conflict(f"capacity: {holding} people hold a place already",
                               code="capacity_below_enrolled")
            await conn.execute(
                "UPDATE sessions SET starts_at = $3, time_zone = $4, capacity = $5, "
                "facilitator = $6 WHERE org_id = $1 AND pass_id = $2", org_id, pass_id,
                spec.starts_at, spec.time_zone, spec.capacity, spec.facilitator.strip())
            return await self._session(conn, org_id, pass_id)

    # -- the dashboard -------------------------------------------------------------

    async def _read(self, query: Callable[[asyncpg.Connection], Awaitable[T]],
                    ordered: bool = False) -> T:
        """``query`` in a read-only transaction; ``ordered``: the planner walks indexes in
        their order (a bounded read of the newest rows stops early) rather than reading
        every matching row and sorting, which it prefers when it cannot tell how many
        rows a question has."""
        async with self.pool.acquire() as conn, conn.transaction(readonly=True):
            await conn.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            if ordered:
                await conn.execute("SET LOCAL enable_bitmapscan = off; "
                                   "SET LOCAL enable_sort = off")
            return await query(conn)

    async def dashboard_facts(self, org_id: str, program_id: str,
                              now: datetime) -> DashboardFacts:
        async with self.pool.acquire() as conn:
            org_row = await conn.fetchrow("SELECT * FROM organisations WHERE id = $1", org_id)
            if org_row is None:
                raise NotFound(f"no organisation {org_id!r}", code="unknown_org")
            program = await self._program(conn, org_id, program_id)
        org = Organisation(org_row["id"], org_row["name"], org_row["anonymity_k"],
                           org_row["top_warning_percent"])
        aud = program.audience
        audience_args = (list(aud.departments), list(aud.sites), [v.value for v in aud.levels])

        async def titles(conn: asyncpg.Connection) -> dict[str, Text]:
            return {r["class_id"]: Text(r["title_sv"], r["title_en"]) for r in await conn.fetch(
                "SELECT DISTINCT ON (class_id) class_id, title_sv, title_en FROM class_versions "
                "WHERE org_id = $1 AND class_id = ANY($2::text[]) ORDER BY class_id, "
                "version DESC", org_id, [c.class_id for c in program.classes])}

        async def sessions(conn: asyncpg.Connection) -> list[Row]:
            return list(await conn.fetch(_DASH_SESSIONS, org_id, program_id))

        async def groups(conn: asyncpg.Connection) -> list[Row]:
            return list(await conn.fetch(_DASH_GROUPS, org_id, program_id, *audience_args))

        async def done(conn: asyncpg.Connection) -> list[Row]:
            return list(await conn.fetch(_DASH_DONE, org_id, program_id, *audience_args))

        async def pulse(conn: asyncpg.Connection) -> list[Row]:
            return list(await conn.fetch(_DASH_PULSE, org_id, program_id))

        async def failed(conn: asyncpg.Connection) -> int:
            return int(await conn.fetchval(
                "SELECT count(*) FROM mail_outbox WHERE org_id = $1 AND status = 'failed'",
                org_id))

        async def lists() -> list[list[Row]]:
            return list(await asyncio.gather(*(self._read(q) for q in (
                sessions, groups, done, pulse))))

        title_map, top, failed_n, (session_rows, group_rows, done_rows, pulse_rows) = \
            await asyncio.gather(self._read(titles), self.top_facts(org_id, now),
                                 self._read(failed), lists())
        return DashboardFacts(
            org, program, title_map,
            tuple(SessionFacts(_session_record(r), r["attended"], r["missing"])
                  for r in session_rows),
            tuple(GroupFacts((r["department"], r["site"], r["level"]), r["audience"],
                             r["enrolled"], r["attended"]) for r in group_rows),
            tuple(ClassDone(r["program_class_id"], r["done"]) for r in done_rows),
            top,
            tuple(PulsePoint(r["program_class_id"], r["question"], r["people"], r["answers"],
                             float(r["mean"])) for r in pulse_rows),
            failed_n)

    async def top_facts(self, org_id: str, now: datetime) -> TopFacts:
        """Top management of the organisation, and who of them joined a session this
        calendar month (UTC)."""
        month = now.astimezone(timezone.utc).date().replace(day=1)
        row = await self.pool.fetchrow(
            _DASH_TOP, org_id, datetime(month.year, month.month, 1, tzinfo=timezone.utc))
        return TopFacts(month, int(row["top"]) if row else 0, int(row["trained"]) if row else 0)

    async def missing_people(self, org_id: str, program_id: str, program_class_id: int,
                             limit: int = MAX_MISSING) -> list[MissingPerson]:
        """The audience who have not attended a session of the class (by name)."""
        async with self.pool.acquire() as conn:
            program = await self._program(conn, org_id, program_id)
            if not any(c.id == program_class_id for c in program.classes):
                raise NotFound(f"program {program_id!r} has no such class",
                               code="unknown_class")
            aud = program.audience
            rows = await conn.fetch(_MISSING, org_id, program_class_id, list(aud.departments),
                                    list(aud.sites), [v.value for v in aud.levels],
                                    MAX_MISSING)
        return [MissingPerson(r["employee_id"], f"{r['first_name']} {r['last_name']}",
                              r["email"], r["department"], r["site"], r["level"],
                              r["enrolled"]) for r in rows]

    # -- insights ---------------------------------------------------------------------

    async def insight_answers(self, org_id: str, program_id: str,
                              slice_: Slice) -> InsightAnswers:
        async with self.pool.acquire() as conn:
            program = await self._program(conn, org_id, program_id)
        filters = (slice_.department, slice_.site, slice_.level)

        async def counts(conn: asyncpg.Connection) -> list[Row]:
            return list(await conn.fetch(_INSIGHT_COUNTS, org_id, program_id, *filters))

        async def words(conn: asyncpg.Connection) -> list[Row]:
            return list(await conn.fetch(_INSIGHT_WORDS, org_id, program_id, *filters,
                                         MIN_WORD, sorted(STOP_WORDS), MAX_THEMES))

        async def versions(conn: asyncpg.Connection) -> list[Row]:
            return list(await conn.fetch(
                "SELECT class_id, max(class_version) AS version FROM sessions "
                "WHERE org_id = $1 AND program_id = $2 GROUP BY class_id",
                org_id, program_id))

        async def cells_and_texts() -> tuple[list[Row], list[Row]]:
            cell_rows = await self._read(lambda conn: conn.fetch(_INSIGHT_CELLS, org_id,
                                                                 program_id))
            # The newest texts of a slice: for the whole organisation, or a slice of many
            # cells that holds a large share, the question's newest rows filtered;
            # otherwise each cell's newest rows, merged.
            share, cells = _slice_share(cell_rows, slice_)
            if slice_ == Slice() or share * cells >= 1:
                query = _INSIGHT_TEXTS_NEWEST
            else:
                query = _INSIGHT_TEXTS_BY_CELL
            text_rows = await self._read(lambda conn: conn.fetch(
                query, org_id, program_id, *filters, MAX_SLICE_TEXTS))
            return list(cell_rows), list(text_rows)

        (cell_rows, text_rows), count_rows, word_rows, version_rows = await asyncio.gather(
            cells_and_texts(), self._read(counts), self._read(words), self._read(versions))
        by_question: dict[tuple[str, str], dict[Cell, int]] = {}
        kinds: dict[tuple[str, str], str] = {}
        for r in cell_rows:
            key = (r["class_id"], r["step_id"])
            by_question.setdefault(key, {})[(r["department"], r["site"], r["level"])] = r["n"]
        distributions: dict[tuple[str, str], dict[str, int]] = {}
        for r in count_rows:
            key = (r["class_id"], r["step_id"])
            kinds[key] = r["step_kind"]
            distributions.setdefault(key, {})[r["key"]] = r["n"]
        counted: dict[tuple[str, str], dict[str, int]] = {}
        for r in word_rows:
            key = (r["class_id"], r["step_id"])
            kinds.setdefault(key, r["step_kind"])
            counted.setdefault(key, {})[r["word"]] = r["n"]
        grouped: dict[tuple[str, str], list[str]] = {}
        for r in text_rows:
            key = (r["class_id"], r["step_id"])
            kinds.setdefault(key, r["step_kind"])
            grouped.setdefault(key, []).extend(r["texts"])
        missing = [k for k in by_question if k not in kinds]
        if missing:
            for r in await self.pool.fetch(_INSIGHT_KINDS, org_id, program_id,
                                           [k[0] for k in missing], [k[1] for k in missing]):
                if r["step_kind"] is not None:
                    kinds[(r["class_id"], r["step_id"])] = r["step_kind"]
        questions = tuple(sorted((c, s, kinds.get((c, s), "")) for c, s in by_question))
        return InsightAnswers(program, questions, by_question, distributions,
                              {k: tuple(v) for k, v in grouped.items()}, counted, slice_,
                              {r["class_id"]: r["version"] for r in version_rows})


def _slice_share(cells: list[Row], slice_: Slice) -> tuple[float, float]:
    """The slice's share of the people who answered, and how many cells it spans per
    question."""
    everyone = inside = spans = 0
    questions = set()
    for r in cells:
        everyone += r["n"]
        questions.add((r["class_id"], r["step_id"]))
        if slice_.matches((r["department"], r["site"], r["level"])):
            inside += r["n"]
            spans += 1
    return (inside / everyone if everyone else 0.0), spans / max(len(questions), 1)


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


def _staff(row: Row) -> StaffCredential:
    return StaffCredential(row["id"], row["org_id"], row["role"], row["label"],
                           row["issued_at"], row["revoked_at"])


def _session_record(row: Row) -> SessionRecord:
    from zoneinfo import ZoneInfo

    return SessionRecord(row["org_id"], row["pass_id"], row["program_id"],
                         row["program_class_id"], row["class_id"], row["class_version"],
                         row["starts_at"].astimezone(ZoneInfo(row["time_zone"])),
                         row["time_zone"], row["duration_s"], row["capacity"],
                         row["facilitator"], SessionState(row["state"]), row["enrolled"],
                         row["waiting"])


# What keeps a class in its program: sessions held, and people who hold, wait for or were
# invited to a place in one of its sessions.
_CLASS_USE = """
    SELECT pc.id,
           (SELECT count(*) FROM sessions s WHERE s.org_id = pc.org_id
              AND s.program_class_id = pc.id AND s.state IN ('open', 'ended')) AS held,
           (SELECT count(DISTINCT x.employee_id) FROM (
               SELECT e.employee_id FROM enrolments e WHERE e.org_id = pc.org_id
                 AND e.program_class_id = pc.id AND e.status <> 'cancelled'
               UNION ALL
               SELECT a.employee_id FROM sessions s JOIN attendance a
                 ON a.org_id = s.org_id AND a.pass_id = s.pass_id
               WHERE s.org_id = pc.org_id AND s.program_class_id = pc.id) x) AS people
    FROM program_classes pc WHERE pc.org_id = $1 AND pc.id = ANY($2)"""
_AUDIENCE = """(cardinality($3::text[]) = 0 OR p.department = ANY($3::text[]))
      AND (cardinality($4::text[]) = 0 OR p.site = ANY($4::text[]))
      AND (cardinality($5::text[]) = 0 OR p.level = ANY($5::text[]))"""
# Sessions with their totals (kept by triggers, see migration 0006).
_DASH_SESSIONS = """
    SELECT s.*, coalesce(t.enrolled, 0) AS enrolled, coalesce(t.waiting, 0) AS waiting,
           coalesce(t.attended, 0) AS attended, coalesce(t.missing, 0) AS missing
    FROM sessions s
    LEFT JOIN session_totals t ON t.org_id = s.org_id AND t.pass_id = s.pass_id
    WHERE s.org_id = $1 AND s.program_id = $2
    ORDER BY s.starts_at, s.pass_id"""
# The audience by cell, with who holds a place and who came (``program_people``).
_DASH_GROUPS = f"""
    SELECT p.department, p.site, p.level, count(*) AS audience,
           count(*) FILTER (WHERE m.enrolments > 0) AS enrolled,
           count(*) FILTER (WHERE m.attended > 0) AS attended
    FROM people p
    LEFT JOIN program_people m ON m.org_id = p.org_id AND m.program_id = $2
                              AND m.employee_id = p.employee_id
    WHERE p.org_id = $1 AND p.active AND {_AUDIENCE}
    GROUP BY p.department, p.site, p.level"""
# Who of the audience attended each class: everyone who attended it (``class_totals``)
# minus those who are inactive or outside the audience now.
_DASH_DONE = f"""
    SELECT c.program_class_id, c.attendees - coalesce(x.n, 0) AS done
    FROM class_totals c
    JOIN program_classes pc ON pc.org_id = c.org_id AND pc.id = c.program_class_id
    LEFT JOIN (
        SELECT s.program_class_id, count(DISTINCT a.employee_id) AS n
        FROM people p
        -- Few people are left out: their attendance by person (the index), not a scan.
        CROSS JOIN LATERAL (SELECT a.pass_id, a.employee_id FROM attendance a
                            WHERE a.org_id = p.org_id AND a.employee_id = p.employee_id
                              AND a.first_joined_at IS NOT NULL OFFSET 0) a
        JOIN sessions s ON s.org_id = p.org_id AND s.pass_id = a.pass_id
        WHERE p.org_id = $1 AND NOT coalesce(p.active AND {_AUDIENCE}, false)
          AND s.program_id = $2
        GROUP BY s.program_class_id) x ON x.program_class_id = c.program_class_id
    WHERE c.org_id = $1 AND pc.program_id = $2 AND c.attendees > 0"""
# Top management of the whole organisation (any program): who trained this month.
_DASH_TOP = """
    SELECT count(*) AS top,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM attendance a WHERE a.org_id = p.org_id
                 AND a.employee_id = p.employee_id AND a.first_joined_at >= $2)) AS trained
    FROM people p WHERE p.org_id = $1 AND p.active AND p.level = 'top'"""
_DASH_PULSE = """
    SELECT c.program_class_id, c.question, c.people, c.answers,
           c.total / nullif(c.valued, 0) AS mean
    FROM class_pulse c
    JOIN program_classes pc ON pc.org_id = c.org_id AND pc.id = c.program_class_id
    WHERE c.org_id = $1 AND pc.program_id = $2"""
_MISSING = f"""
    SELECT p.employee_id, p.first_name, p.last_name, p.email, p.department, p.site, p.level,
           EXISTS (SELECT 1 FROM enrolments e JOIN sessions s ON s.org_id = e.org_id
                   AND s.pass_id = e.pass_id WHERE e.org_id = p.org_id
                   AND e.employee_id = p.employee_id AND e.program_class_id = $2
                   AND e.status = 'enrolled' AND s.state IN ('scheduled', 'open')) AS enrolled
    FROM people p
    WHERE p.org_id = $1 AND p.active AND {_AUDIENCE}
      AND NOT EXISTS (SELECT 1 FROM attendance a JOIN sessions s ON s.org_id = a.org_id
                      AND s.pass_id = a.pass_id WHERE a.org_id = p.org_id
                      AND a.employee_id = p.employee_id AND s.program_class_id = $2
                      AND a.first_joined_at IS NOT NULL)
    ORDER BY p.last_name, p.first_name, p.employee_id
    LIMIT $6"""
# Who answered each leadership question, per cell (``insight_cells``, migration 0008).
_INSIGHT_CELLS = """
    SELECT class_id, step_id, department, site, level, people AS n
    FROM insight_cells
    WHERE org_id = $1 AND program_id = $2 AND people > 0"""
_SLICE = """
      AND ($3::text IS NULL OR department = $3)
      AND ($4::text IS NULL OR site = $4)
      AND ($5::text IS NULL OR level = $5)"""
# The slice's scales, choices, energy and follow-ups, counted (no person, time or room),
# from the counts per cell (``insight_cell_keys``).
_INSIGHT_COUNTS = f"""
    SELECT class_id, step_id, step_kind, key, sum(n)::bigint AS n
    FROM insight_cell_keys
    WHERE org_id = $1 AND program_id = $2 {_SLICE}
    GROUP BY 1, 2, 3, 4"""
# The slice's most frequent words that may be themes ($6: the shortest, $7: the stop
# words), at most $8 per question, from the words per cell (``insight_cell_words``).
# Ties: alphabetical by code point, as in Python.
_INSIGHT_WORDS = f"""
    SELECT class_id, step_id, step_kind, word, n FROM (
        SELECT class_id, step_id, max(step_kind) AS step_kind, word, sum(n)::bigint AS n,
               row_number() OVER (PARTITION BY class_id, step_id
                                  ORDER BY sum(n) DESC, word COLLATE "C") AS place
        FROM insight_cell_words
        WHERE org_id = $1 AND program_id = $2 {_SLICE}
          AND char_length(word) >= $6 AND word <> ALL($7::text[])
        GROUP BY class_id, step_id, word) w
    WHERE place <= $8"""
_FREE_TEXT = "step_kind IN ('reflection', 'commitment', 'follow-up')"
# The slice's free texts, newest first, at most $6 per question: the question's newest
# rows, filtered (``leadership_texts_newest``)...
_INSIGHT_TEXTS_NEWEST = f"""
    SELECT q.class_id, q.step_id, t.step_kind, t.texts
    FROM (SELECT DISTINCT class_id, step_id FROM insight_cells
          WHERE org_id = $1 AND program_id = $2) q
    CROSS JOIN LATERAL (
        SELECT step_kind, texts FROM leadership_texts
        WHERE org_id = $1 AND program_id = $2 AND class_id = q.class_id
          AND step_id = q.step_id AND {_FREE_TEXT} {_SLICE}
        ORDER BY answered_at DESC
        LIMIT $6) t"""
# ... or the newest rows of each of the slice's cells (``leadership_texts_cell_newest``),
# merged: a small slice's rows are found without passing everyone else's.
_INSIGHT_TEXTS_BY_CELL = f"""
    SELECT class_id, step_id, step_kind, texts FROM (
        SELECT c.class_id, c.step_id, t.step_kind, t.texts,
               row_number() OVER (PARTITION BY c.class_id, c.step_id
                                  ORDER BY t.answered_at DESC) AS place
        FROM (SELECT class_id, step_id, department, site, level FROM insight_cells
              WHERE org_id = $1 AND program_id = $2 {_SLICE}) c
        CROSS JOIN LATERAL (
            SELECT step_kind, texts, answered_at FROM leadership_texts t
            WHERE t.org_id = $1 AND t.program_id = $2 AND t.class_id = c.class_id
              AND t.step_id = c.step_id AND t.department = c.department
              AND t.site = c.site AND t.level = c.level AND {_FREE_TEXT}
            ORDER BY t.answered_at DESC
            LIMIT $6) t) x
    WHERE place <= $6"""
# The kind of a question the slice has nothing of (a row of any cell says it).
_INSIGHT_KINDS = """
    SELECT q.class_id, q.step_id, coalesce(
        (SELECT step_kind FROM insight_cell_keys k WHERE k.org_id = $1 AND k.program_id = $2
           AND k.class_id = q.class_id AND k.step_id = q.step_id LIMIT 1),
        (SELECT step_kind FROM insight_cell_words w WHERE w.org_id = $1
           AND w.program_id = $2 AND w.class_id = q.class_id AND w.step_id = q.step_id
         LIMIT 1)) AS step_kind
    FROM unnest($3::text[], $4::text[]) AS q(class_id, step_id)"""
