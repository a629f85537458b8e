"""The gym's flows on PostgreSQL: enrolment, personal links, the mail outbox, archives,
and the reads of Min träning (part of ``PostgresRecords``, as a mixin).

Enrolment locks every session of the class (``FOR UPDATE``, in pass id
order, so two people switching between the same sessions never deadlock),
reads the facts, lets the domain decide (``exercises.gym.enrolment``) and
writes the plan, its mails included, in the same transaction: a place and
its confirmation are stored together or not at all. Due mail is claimed
with ``FOR UPDATE SKIP LOCKED``, so several workers never send one twice;
a claim is a lease, and a worker that dies mid-send leaves the row to be
claimed again. Archiving an ended pass is idempotent: rows of a second
attempt conflict and are kept once.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import asyncpg

from exercises.gym.enrolment import EnrolmentFacts, Plan, Seat, waiting_order
from exercises.gym.mail import MailKind, MailOrder, MailStatus
from exercises.gym.program import Audience, EnrolmentStatus, SessionState
from exercises.gym.progress import TrendPoint
from exercises.gym.roster import Language, Level
from exercises.text import Text
from orchestrator.adapters.postgres_reports import LEADERSHIP_RESPONDENTS
from orchestrator.adapters.schema import LOCK_NAMESPACE, ROSTER_LOCK
from orchestrator.errors import NotFound
from orchestrator.gym.flowrecords import (
    Colleague,
    JournalLine,
    LinkHolder,
    MyAttendance,
    MyEnrolment,
    OutboxMail,
    PassArchive,
    SessionSlot,
    TrainingFacts,
)
from orchestrator.gym.records import PersonRecord, ProgramRecord

Row = Mapping[str, Any]
INFINITY = datetime.max.replace(tzinfo=timezone.utc)


class FlowRecords:
    """Enrolment, links, outbox, archives and Min träning's reads over ``self.pool``."""

    pool: asyncpg.Pool

    async def _program(self, conn: asyncpg.Connection, org_id: str,
                       program_id: str) -> ProgramRecord:
        raise NotImplementedError  # PostgresRecords has it

    # -- enrolment ------------------------------------------------------------------

    async def enrol(self, org_id: str, pass_id: str, employee_id: str,
                    decide: Callable[[EnrolmentFacts], Plan]) -> Plan:
        async with self.pool.acquire() as conn, conn.transaction():
            sessions, seats = await self._class_seats(conn, org_id, pass_id)
            target = seats[pass_id]
            person = await conn.fetchrow(
                "SELECT active, department, site, level FROM people WHERE org_id = $1 "
                "AND employee_id = $2", org_id, employee_id)
            if person is None:
                raise NotFound(f"no person {employee_id!r} in {org_id!r}", code="unknown_person")
            program_id, class_ref = sessions[pass_id]["program_id"], \
                sessions[pass_id]["program_class_id"]
            program = await conn.fetchrow(
                "SELECT state, departments, sites, levels FROM programs WHERE org_id = $1 "
                "AND id = $2", org_id, program_id)
            assert program is not None  # the session's foreign key
            audience = Audience(tuple(program["departments"]), tuple(program["sites"]),
                                tuple(Level(v) for v in program["levels"]))
            done = bool(await conn.fetchval(_ATTENDED_CLASS, org_id, employee_id, class_ref))
            current = next((s for p, s in seats.items() if p != pass_id and s.holds(employee_id)),
                           None)
            facts = EnrolmentFacts(
                employee_id, person["active"],
                audience.includes(person["department"], person["site"], Level(person["level"])),
                program["state"] == "active", target, current, done,
                current is not None and current.state is SessionState.ENDED and not done)
            plan = decide(facts)
            await self._apply(conn, org_id, class_ref, program_id, plan)
        return plan

    async def cancel_enrolment(self, org_id: str, pass_id: str, employee_id: str,
                               decide: Callable[[Seat], Plan]) -> Plan:
        async with self.pool.acquire() as conn, conn.transaction():
            sessions, seats = await self._class_seats(conn, org_id, pass_id)
            plan = decide(seats[pass_id])
            await self._apply(conn, org_id, sessions[pass_id]["program_class_id"],
                              sessions[pass_id]["program_id"], plan)
        return plan

    async def _class_seats(self, conn: asyncpg.Connection, org_id: str, pass_id: str
                           ) -> tuple[dict[str, Row], dict[str, Seat]]:
        rows = await conn.fetch("""
            SELECT s.pass_id, s.program_id, s.program_class_id, s.starts_at, s.state, s.capacity
            FROM sessions s
            WHERE s.org_id = $1 AND s.program_class_id = (
                SELECT program_class_id FROM sessions WHERE org_id = $1 AND pass_id = $2)
            ORDER BY s.pass_id FOR UPDATE""", org_id, pass_id)
        sessions = {r["pass_id"]: r for r in rows}
        if pass_id not in sessions:
            raise NotFound(f"no session {pass_id!r} in {org_id!r}", code="unknown_session")
        places = await conn.fetch(
            "SELECT pass_id, employee_id, status, waiting_position FROM enrolments "
            "WHERE org_id = $1 AND program_class_id = $2 AND status <> 'cancelled'",
            org_id, sessions[pass_id]["program_class_id"])
        seats = {}
        for p, r in sessions.items():
            mine = [x for x in places if x["pass_id"] == p]
            seats[p] = Seat(p, r["starts_at"], SessionState(r["state"]), r["capacity"],
                            tuple(sorted(x["employee_id"] for x in mine
                                         if x["status"] == "enrolled")),
                            waiting_order([(x["employee_id"], x["waiting_position"])
                                           for x in mine if x["status"] == "waiting"]))
        return sessions, seats

    async def _apply(self, conn: asyncpg.Connection, org_id: str, program_class_id: int,
                     program_id: str, plan: Plan) -> None:
        # In order, one row at a time: the old place is given up before the new one
        # is taken (one place per class is a unique index that cannot wait).
        await conn.executemany("""
            INSERT INTO enrolments (org_id, pass_id, employee_id, program_class_id, status,
                                    waiting_position)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (org_id, pass_id, employee_id) DO UPDATE
            SET status = EXCLUDED.status, waiting_position = EXCLUDED.waiting_position,
                updated_at = now()""",
            [(org_id, c.pass_id, c.employee_id, program_class_id, c.status.value, c.position)
             for c in plan.changes])
        await _queue(conn, org_id, program_id, plan.mails)

    async def enrolment_of(self, org_id: str, pass_id: str,
                           employee_id: str) -> MyEnrolment | None:
        row = await self.pool.fetchrow(
            "SELECT * FROM enrolments WHERE org_id = $1 AND pass_id = $2 AND employee_id = $3",
            org_id, pass_id, employee_id)
        return None if row is None else _enrolment(row)

    async def enrolled_people(self, org_id: str, pass_id: str) -> list[PersonRecord]:
        rows = await self.pool.fetch("""
            SELECT p.* FROM enrolments e
            JOIN people p ON p.org_id = e.org_id AND p.employee_id = e.employee_id
            WHERE e.org_id = $1 AND e.pass_id = $2 AND e.status = 'enrolled'
            ORDER BY p.employee_id""", org_id, pass_id)
        return [_person(r) for r in rows]

    async def audience_of(self, org_id: str, program_id: str) -> list[PersonRecord]:
        rows = await self.pool.fetch("""
            SELECT p.* FROM people p JOIN programs g ON g.org_id = p.org_id AND g.id = $2
            WHERE p.org_id = $1 AND p.active
              AND (cardinality(g.departments) = 0 OR p.department = ANY(g.departments))
              AND (cardinality(g.sites) = 0 OR p.site = ANY(g.sites))
              AND (cardinality(g.levels) = 0 OR p.level = ANY(g.levels))
            ORDER BY p.employee_id""", org_id, program_id)
        return [_person(r) for r in rows]

    async def people_with_email(self, email: str) -> list[PersonRecord]:
        rows = await self.pool.fetch(
            "SELECT * FROM people WHERE active AND lower(email) = lower($1)", email)
        return [_person(r) for r in rows]

    # -- personal links -----------------------------------------------------------

    async def issue_link(self, org_id: str, program_id: str, employee_id: str,
                         token_hash: Callable[[int], bytes]) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "UPDATE personal_links SET revoked_at = now() WHERE org_id = $1 "
                "AND program_id = $2 AND employee_id = $3 AND revoked_at IS NULL",
                org_id, program_id, employee_id)
            try:
                link_id: int = await conn.fetchval("""
                    INSERT INTO personal_links (org_id, program_id, employee_id, token_hash)
                    VALUES ($1, $2, $3, sha256(convert_to(gen_random_uuid()::text, 'UTF8')))
                    RETURNING id""", org_id, program_id, employee_id)
            except asyncpg.ForeignKeyViolationError:
                raise NotFound(f"no program {program_id!r} or person {employee_id!r} in "
                               f"{org_id!r}", code="unknown_person") from None
            await conn.execute("UPDATE personal_links SET token_hash = $2 WHERE id = $1",
                               link_id, token_hash(link_id))
        return link_id

    async def live_link(self, org_id: str, program_id: str, employee_id: str) -> int | None:
        found: int | None = await self.pool.fetchval(
            "SELECT id FROM personal_links WHERE org_id = $1 AND program_id = $2 "
            "AND employee_id = $3 AND revoked_at IS NULL", org_id, program_id, employee_id)
        return found

    async def revoke_link(self, org_id: str, program_id: str, employee_id: str) -> bool:
        status = await self.pool.execute(
            "UPDATE personal_links SET revoked_at = now() WHERE org_id = $1 AND program_id = $2 "
            "AND employee_id = $3 AND revoked_at IS NULL", org_id, program_id, employee_id)
        return _count(status) > 0

    async def link_by_hash(self, token_hash: bytes) -> LinkHolder | None:
        row = await self.pool.fetchrow(
            "SELECT id, org_id, program_id, employee_id, revoked_at FROM personal_links "
            "WHERE token_hash = $1", token_hash)
        if row is None:
            return None
        return LinkHolder(row["id"], row["org_id"], row["program_id"], row["employee_id"],
                          row["revoked_at"] is not None)

    # -- the mail outbox ------------------------------------------------------------

    async def queue_mail(self, org_id: str, program_id: str | None,
                         orders: Sequence[MailOrder]) -> None:
        async with self.pool.acquire() as conn:
            await _queue(conn, org_id, program_id, orders)

    async def claim_mail(self, limit: int, lease_s: float) -> list[OutboxMail]:
        rows = await self.pool.fetch("""
            UPDATE mail_outbox m SET status = 'sending', attempts = m.attempts + 1,
                next_attempt_at = now() + make_interval(secs => $2)
            WHERE m.id IN (SELECT id FROM mail_outbox
                           WHERE status IN ('pending', 'sending', 'failed')
                             AND next_attempt_at <= now() AND send_after <= now()
                           ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING m.*""", limit, lease_s)
        return [_mail(r) for r in rows]

    async def mail_sent(self, mail_id: int) -> None:
        await self.pool.execute("UPDATE mail_outbox SET status = 'sent', sent_at = now(), "
                                "last_error = NULL WHERE id = $1", mail_id)

    async def mail_failed(self, mail_id: int, error: str, retry_in_s: float | None) -> None:
        await self.pool.execute("""
            UPDATE mail_outbox SET status = 'failed', last_error = $2,
                next_attempt_at = CASE WHEN $3::float8 IS NULL THEN 'infinity'::timestamptz
                                       ELSE now() + make_interval(secs => $3) END
            WHERE id = $1""", mail_id, error[:500], retry_in_s)

    async def mail_obsolete(self, mail_id: int, reason: str) -> None:
        await self.pool.execute("UPDATE mail_outbox SET status = 'obsolete', last_error = $2 "
                                "WHERE id = $1", mail_id, reason[:500])

    async def mails(self, org_id: str, statuses: Iterable[MailStatus] | None = None,
                    limit: int = 500) -> list[OutboxMail]:
        wanted = [s.value for s in statuses] if statuses is not None else None
        rows = await self.pool.fetch(
            "SELECT m.*, p.first_name || ' ' || p.last_name AS person_name "
            "FROM mail_outbox m JOIN people p ON p.org_id = m.org_id "
            "AND p.employee_id = m.employee_id WHERE m.org_id = $1 "
            "AND ($2::text[] IS NULL OR m.status = ANY($2::text[])) "
            "ORDER BY m.created_at DESC, m.id DESC LIMIT $3", org_id, wanted, limit)
        return [_mail(r) for r in rows]

    async def retry_mail(self, org_id: str, mail_id: int) -> bool:
        status = await self.pool.execute(
            "UPDATE mail_outbox SET status = 'pending', attempts = 0, next_attempt_at = now() "
            "WHERE org_id = $1 AND id = $2 AND status = 'failed'", org_id, mail_id)
        return _count(status) > 0

    # -- archiving an ended pass ------------------------------------------------------

    async def archive_pass(self, archive: PassArchive) -> dict[str, int]:
        org_id, pass_id = archive.org_id, archive.pass_id
        counts: dict[str, int] = {}
        async with self.pool.acquire() as conn, conn.transaction():
            session = await conn.fetchrow(
                "SELECT program_id, program_class_id FROM sessions WHERE org_id = $1 "
                "AND pass_id = $2 FOR UPDATE", org_id, pass_id)
            if session is None:
                raise NotFound(f"no session {pass_id!r} in {org_id!r}", code="unknown_session")
            for table, rows in (("archived_answers", archive.answers),
                                ("journal_entries", archive.journal)):
                counts[table] = _count(await conn.execute(
                    _ARCHIVE_ANSWERS if table == "archived_answers" else _ARCHIVE_JOURNAL,
                    org_id, pass_id, [a.employee_id for a in rows], [a.step_id for a in rows],
                    [a.step_kind for a in rows], [a.visibility for a in rows],
                    [json.dumps(a.value) for a in rows], [a.answered_at for a in rows]))
            # Who answered which leadership question (the insights' k counts), with their
            # cell: a roster import that moves people waits for this transaction.
            await conn.execute("SELECT pg_advisory_xact_lock_shared($1, hashtext($2))",
                               LOCK_NAMESPACE + ROSTER_LOCK, org_id)
            await conn.execute(LEADERSHIP_RESPONDENTS, org_id, pass_id)
            present = archive.attendance
            counts["attendance"] = _count(await conn.execute(
                _ARCHIVE_ATTENDANCE, org_id, pass_id, [a.employee_id for a in present],
                [a.first_joined_at for a in present], [a.minutes_present for a in present],
                [a.left_early for a in present]))
            # Everyone enrolled was invited; their row stays empty if they never came.
            await conn.execute("""
                INSERT INTO attendance (org_id, pass_id, employee_id)
                SELECT org_id, pass_id, employee_id FROM enrolments
                WHERE org_id = $1 AND pass_id = $2 AND status = 'enrolled'
                ORDER BY employee_id
                ON CONFLICT DO NOTHING""", org_id, pass_id)
            counts["pairings"] = _count(await conn.execute(
                _ARCHIVE_PAIRINGS, org_id, session["program_id"], pass_id,
                [p.a for p in archive.pairings], [p.b for p in archive.pairings],
                [p.met_at for p in archive.pairings]))
            counts["missed"] = _count(await conn.execute(
                _MISSED, org_id, pass_id, await conn.fetchval(
                    "SELECT array_agg(pass_id) FROM sessions WHERE org_id = $1 "
                    "AND program_class_id = $2", org_id, session["program_class_id"])))
            await conn.execute(
                "UPDATE sessions SET state = 'ended', ended_at = to_timestamp($3) "
                "WHERE org_id = $1 AND pass_id = $2 AND state = 'open'",
                org_id, pass_id, archive.ended_at)
        return counts

    # -- Min träning -------------------------------------------------------------------

    async def training_facts(self, org_id: str, program_id: str,
                             employee_id: str) -> TrainingFacts:
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read",
                                                                 readonly=True):
            # A page's reads are small: starting parallel workers costs more than they save.
            await conn.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            person_row = await conn.fetchrow(
                "SELECT * FROM people WHERE org_id = $1 AND employee_id = $2",
                org_id, employee_id)
            if person_row is None:
                raise NotFound(f"no person {employee_id!r} in {org_id!r}", code="unknown_person")
            program = await self._program(conn, org_id, program_id)
            titles = {r["class_id"]: Text(r["title_sv"], r["title_en"]) for r in await conn.fetch(
                "SELECT DISTINCT ON (class_id) class_id, title_sv, title_en FROM class_versions "
                "WHERE org_id = $1 AND class_id = ANY($2::text[]) ORDER BY class_id, version DESC",
                org_id, [c.class_id for c in program.classes])}
            rows = await conn.fetch(_SLOTS, org_id, program_id)
            places = {r["pass_id"]: r for r in await conn.fetch(
                _PLACES, org_id, [r["pass_id"] for r in rows
                                  if r["state"] in ("scheduled", "open")])}
            sessions = tuple(_slot(r, places.get(r["pass_id"])) for r in rows)
            enrolments = tuple(_enrolment(r) for r in await conn.fetch(
                "SELECT e.* FROM enrolments e JOIN sessions s ON s.org_id = e.org_id "
                "AND s.pass_id = e.pass_id WHERE e.org_id = $1 AND e.employee_id = $2 "
                "AND s.program_id = $3 AND e.status <> 'cancelled'",
                org_id, employee_id, program_id))
            attendance = tuple(MyAttendance(r["pass_id"], r["program_class_id"],
                                            r["first_joined_at"], r["minutes_present"],
                                            r["left_early"]) for r in await conn.fetch(
                "SELECT a.*, s.program_class_id FROM attendance a JOIN sessions s "
                "ON s.org_id = a.org_id AND s.pass_id = a.pass_id WHERE a.org_id = $1 "
                "AND a.employee_id = $2 AND s.program_id = $3", org_id, employee_id, program_id))
            journal = tuple(JournalLine(r["pass_id"], Text(r["title_sv"], r["title_en"]),
                                        r["step_id"], r["kind"], r["value"], r["written_at"])
                            for r in await conn.fetch(_JOURNAL, org_id, employee_id, program_id))
            points = tuple(p for p in (_point(r) for r in await conn.fetch(
                _TREND, org_id, employee_id, program_id)) if p is not None)
            colleagues = tuple(Colleague(r["employee_id"], f"{r['first_name']} {r['last_name']}",
                                         r["department"], r["site"], r["times"], r["last_met"])
                               for r in await conn.fetch(_COLLEAGUES, org_id, employee_id))
        return TrainingFacts(_person(person_row), program, titles, sessions, enrolments,
                             attendance, journal, points, colleagues)


async def _queue(conn: asyncpg.Connection, org_id: str, program_id: str | None,
                 orders: Sequence[MailOrder]) -> None:
    if not orders:
        return
    # A mail made obsolete (a cancelled place) comes back when its reason does.
    await conn.executemany("""
        INSERT INTO mail_outbox (org_id, employee_id, kind, program_id, pass_id, dedupe_key,
                                 send_after, next_attempt_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
        ON CONFLICT (org_id, dedupe_key) DO UPDATE
        SET status = 'pending', attempts = 0, last_error = NULL,
            send_after = EXCLUDED.send_after, next_attempt_at = EXCLUDED.next_attempt_at
        WHERE mail_outbox.status = 'obsolete'""",
        [(org_id, o.employee_id, o.kind.value, program_id, o.pass_id, o.dedupe_key,
          o.send_after, ) for o in orders])


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


_ATTENDED_CLASS = """
    SELECT EXISTS (SELECT 1 FROM attendance a JOIN sessions s
                   ON s.org_id = a.org_id AND s.pass_id = a.pass_id
                   WHERE a.org_id = $1 AND a.employee_id = $2 AND s.program_class_id = $3
                     AND a.first_joined_at IS NOT NULL)"""

# Rows of people the organisation no longer has (erased meanwhile) are left out.
_ARCHIVE_ANSWERS = """
    INSERT INTO archived_answers (org_id, pass_id, step_id, employee_id, step_kind, visibility,
                                  value, answered_at)
    SELECT $1, $2, u.step, u.person, u.kind, u.vis, u.value::jsonb, to_timestamp(u.at)
    FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[])
         AS u(person, step, kind, vis, value, at)
    JOIN people p ON p.org_id = $1 AND p.employee_id = u.person
    ON CONFLICT DO NOTHING"""
_ARCHIVE_JOURNAL = """
    INSERT INTO journal_entries (org_id, employee_id, pass_id, step_id, kind, value, written_at)
    SELECT $1, u.person, $2, u.step, u.kind, u.value::jsonb, to_timestamp(u.at)
    FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[])
         AS u(person, step, kind, vis, value, at)
    JOIN people p ON p.org_id = $1 AND p.employee_id = u.person
    ON CONFLICT DO NOTHING"""
_ARCHIVE_ATTENDANCE = """
    INSERT INTO attendance (org_id, pass_id, employee_id, first_joined_at, minutes_present,
                            left_early)
    SELECT $1, $2, u.person, to_timestamp(u.first), u.minutes, u.early
    FROM unnest($3::text[], $4::float8[], $5::int[], $6::bool[]) AS u(person, first, minutes, early)
    JOIN people p ON p.org_id = $1 AND p.employee_id = u.person
    ON CONFLICT (org_id, pass_id, employee_id) DO UPDATE
    SET first_joined_at = EXCLUDED.first_joined_at, minutes_present = EXCLUDED.minutes_present,
        left_early = EXCLUDED.left_early
    -- Archiving again changes nothing (and moves no total).
    WHERE (attendance.first_joined_at, attendance.minutes_present, attendance.left_early)
          IS DISTINCT FROM
          (EXCLUDED.first_joined_at, EXCLUDED.minutes_present, EXCLUDED.left_early)"""
_ARCHIVE_PAIRINGS = """
    INSERT INTO pairings (org_id, program_id, pass_id, a, b, met_at)
    SELECT $1, $2, $3, u.a, u.b, to_timestamp(u.at)
    FROM unnest($4::text[], $5::text[], $6::float8[]) AS u(a, b, at)
    JOIN people pa ON pa.org_id = $1 AND pa.employee_id = u.a
    JOIN people pb ON pb.org_id = $1 AND pb.employee_id = u.b
    ON CONFLICT DO NOTHING"""
# Enrolled in a mandatory class's session that ended without them, and not done
# in another session of the class ($3: its sessions, each looked up by key):
# "you missed class X, choose another session".
_MISSED = """
    INSERT INTO mail_outbox (org_id, employee_id, kind, program_id, pass_id, dedupe_key)
    SELECT e.org_id, e.employee_id, 'missed', s.program_id, s.pass_id,
           'missed:' || s.pass_id || ':' || e.employee_id
    FROM enrolments e
    JOIN sessions s ON s.org_id = e.org_id AND s.pass_id = e.pass_id
    JOIN program_classes pc ON pc.org_id = s.org_id AND pc.id = s.program_class_id
    JOIN people p ON p.org_id = e.org_id AND p.employee_id = e.employee_id AND p.active
    WHERE e.org_id = $1 AND e.pass_id = $2 AND e.status = 'enrolled' AND pc.mandatory
      AND NOT EXISTS (SELECT 1 FROM attendance a
                      WHERE a.org_id = e.org_id AND a.pass_id = ANY($3::text[])
                        AND a.employee_id = e.employee_id
                        AND a.first_joined_at IS NOT NULL)
    ON CONFLICT DO NOTHING"""
_SLOTS = """
    SELECT pass_id, program_class_id, class_id, starts_at, time_zone, duration_s, capacity,
           facilitator, state, class_version
    FROM sessions WHERE org_id = $1 AND program_id = $2
    ORDER BY starts_at, pass_id"""
# Places are counted only for sessions still to come (a year of ended ones is not).
_PLACES = """
    SELECT pass_id, count(*) FILTER (WHERE status = 'enrolled') AS enrolled,
           count(*) FILTER (WHERE status = 'waiting') AS waiting
    FROM enrolments WHERE org_id = $1 AND pass_id = ANY($2::text[]) GROUP BY pass_id"""
_JOURNAL = """
    SELECT j.pass_id, j.step_id, j.kind, j.value, j.written_at, cv.title_sv, cv.title_en
    FROM journal_entries j
    JOIN sessions s ON s.org_id = j.org_id AND s.pass_id = j.pass_id
    JOIN class_versions cv ON cv.org_id = s.org_id AND cv.class_id = s.class_id
                          AND cv.version = s.class_version
    WHERE j.org_id = $1 AND j.employee_id = $2 AND s.program_id = $3
    ORDER BY j.written_at DESC, j.pass_id, j.step_id LIMIT 500"""
_TREND = """
    SELECT a.pass_id, a.step_id, a.step_kind, a.value, a.answered_at
    FROM archived_answers a JOIN sessions s ON s.org_id = a.org_id AND s.pass_id = a.pass_id
    WHERE a.org_id = $1 AND a.employee_id = $2 AND s.program_id = $3
      AND a.step_kind IN ('check-in', 'scale')"""
_COLLEAGUES = """
    SELECT p.employee_id, p.first_name, p.last_name, p.department, p.site,
           m.times, m.last_met
    FROM (SELECT other, count(DISTINCT pass_id) AS times, max(met_at) AS last_met
          FROM (SELECT b AS other, pass_id, met_at FROM pairings WHERE org_id = $1 AND a = $2
                UNION ALL
                SELECT a, pass_id, met_at FROM pairings WHERE org_id = $1 AND b = $2) x
          GROUP BY other) m
    JOIN people p ON p.org_id = $1 AND p.employee_id = m.other
    ORDER BY m.last_met DESC, p.employee_id LIMIT 200"""


def _point(row: Row) -> TrendPoint | None:
    value = row["value"]
    at = row["answered_at"].timestamp()
    if row["step_kind"] == "check-in" and isinstance(value.get("energy"), int):
        return TrendPoint("energy", at, float(value["energy"]), row["pass_id"])
    if row["step_kind"] == "scale" and isinstance(value.get("value"), int):
        return TrendPoint(row["step_id"], at, float(value["value"]), row["pass_id"])
    return None


def _slot(row: Row, places: Row | None) -> SessionSlot:
    starts: datetime = row["starts_at"]
    return SessionSlot(row["pass_id"], row["program_class_id"], row["class_id"],
                       starts.astimezone(zoneinfo.ZoneInfo(row["time_zone"])),
                       row["time_zone"], row["duration_s"], row["capacity"],
                       row["facilitator"], SessionState(row["state"]),
                       places["enrolled"] if places else 0, places["waiting"] if places else 0,
                       row["class_version"])


def _enrolment(row: Row) -> MyEnrolment:
    return MyEnrolment(row["pass_id"], row["program_class_id"], EnrolmentStatus(row["status"]),
                       row["waiting_position"])


def _person(row: Row) -> PersonRecord:
    return PersonRecord(row["org_id"], row["employee_id"], row["first_name"], row["last_name"],
                        row["email"], row["department"], row["site"],
                        row["manager_employee_id"], Level(row["level"]),
                        Language(row["language"]), row["active"], row["source"])


def _mail(row: Row) -> OutboxMail:
    return OutboxMail(row["id"], row["org_id"], row["employee_id"], MailKind(row["kind"]),
                      row["program_id"], row["pass_id"], row["dedupe_key"],
                      MailStatus(row["status"]), row["attempts"], row["last_error"],
                      row["send_after"], row["next_attempt_at"], row["created_at"],
                      row["sent_at"], row.get("person_name") or "")


__all__ = ["FlowRecords", "INFINITY"]
