"""A synthetic year of the gym, shared by the benchmarks of the pages that read it.

``synthetic_year`` adds to an organisation whose roster is imported (see
``program.synthetic_roster``): one program with ``classes`` weekly classes
(alternating built-in classes) of ``sessions_per_class`` sessions each, the
first ``past`` classes ended a week apart up to ``now`` and the rest still to
come; each person attended ``attended`` of the ended classes (one session
each, enrolled and present), answered every step that asks an answer (values
that fit each step's kind, with the step's kind and visibility as archived),
wrote the journal those answers make and met one or two others per pass
(pairings); a share of people already chose a session of the next class.
Rows go in with COPY, a class at a time, so memory stays small, on one
connection whose foreign-key triggers are off (``session_replication_role``
replica, as bulk loads do: the generator makes only consistent rows); the
totals the other triggers keep are then counted once from the rows
(``onlive_refresh_totals``, ``onlive_refresh_insight_totals``). Then the
database is vacuumed, analysed and checkpointed, as one in use would be,
so the stages that read it time the pages, not the aftermath of the load.

The dashboard, insights and Min träning benchmarks read the same data.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from exercises.gym.program import Audience, Cadence, ProgramClassSpec, ProgramSpec
from exercises.script import ClassScript, Step, StepKind, Visibility
from orchestrator.adapters.postgres import PostgresRecords
from orchestrator.gym.classes import ClassLibrary

PROGRAM = "ledarskap-ar"
CLASSES = ("listening-for-real", "feedback-that-helps")
WORDS = ("nyfiken", "trött", "glad", "fokuserad", "stressad", "lugn", "tacksam", "splittrad")
TEXTS = ("Mer tid för samtal i teamet", "Tydligare prioriteringar från ledningen",
         "Jag vill lyssna mer innan jag svarar", "Feedback oftare, i små doser",
         "Mindre möten, mer fokus", "Att våga be om hjälp")


@dataclass
class Year:
    """What was made, for the stages that read it."""

    org_id: str
    program_id: str
    now: datetime
    people: list[str]
    past_sessions: list[str]
    future_sessions: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _value(step: Step, rng: random.Random) -> dict[str, Any]:
    kind = step.kind
    if kind is StepKind.CHECK_IN:
        return {"energy": rng.choices((1, 2, 3, 4, 5), (1, 2, 4, 4, 2))[0],
                "word": rng.choice(WORDS)}
    if kind is StepKind.CHECK_OUT:
        return {"word": rng.choice(WORDS)}
    if kind in (StepKind.REFLECTION, StepKind.COMMITMENT):
        return {"text": rng.choice(TEXTS)}
    if kind is StepKind.SCALE:
        return {"value": rng.randint(step.scale_min, step.scale_max)}
    if kind is StepKind.POLL:
        return {"choices": [rng.randrange(len(step.options))]}
    if kind is StepKind.WORD_CLOUD:
        return {"words": rng.sample(WORDS, 2)}
    return {"tried": rng.choice(("yes", "partly", "no"))}


def _journal(step: Step) -> bool:
    return step.kind in (StepKind.CHECK_IN, StepKind.COMMITMENT, StepKind.FOLLOW_UP) or (
        step.kind is StepKind.REFLECTION and step.visibility is Visibility.PRIVATE)


async def synthetic_year(records: PostgresRecords, org_id: str, *, seed: int = 7,
                         classes: int = 50, sessions_per_class: int = 4, past: int = 40,
                         attended: int = 30, capacity: int = 1000,
                         now: datetime | None = None) -> Year:
    """Make the year (see the module); the roster of ``org_id`` must be imported."""
    started = time.perf_counter()
    rng = random.Random(seed)
    now = now or datetime.now(timezone.utc).replace(microsecond=0)
    pool = records.pool
    people = [r["employee_id"] for r in await pool.fetch(
        "SELECT employee_id FROM people WHERE org_id = $1 AND active ORDER BY employee_id",
        org_id)]
    library = ClassLibrary(records)
    scripts: dict[str, tuple[int, ClassScript]] = {}
    for class_id in CLASSES:
        stored = await library.ensure(org_id, class_id)
        scripts[class_id] = (stored.version, await library.script(org_id, class_id,
                                                                  stored.version, {}))
    first_week = now - timedelta(weeks=past)
    await records.create_program(org_id, ProgramSpec(PROGRAM, "Ledarskap, ett år", Audience(),
                                                     Cadence.WEEKLY, True))
    class_rows = []
    for k in range(classes):
        class_id = CLASSES[k % len(CLASSES)]
        due = (first_week + timedelta(weeks=k + 2)).date()
        class_rows.append(await records.add_program_class(
            org_id, PROGRAM, ProgramClassSpec(class_id, due, True), {}))
    session_rows: list[tuple[Any, ...]] = []
    by_class: list[list[tuple[str, datetime]]] = []
    for k, pc in enumerate(class_rows):
        version, script = scripts[pc.class_id]
        week = []
        for s in range(sessions_per_class):
            starts = first_week + timedelta(weeks=k, days=s, hours=9 - s % 2)
            pass_id = f"y{k:02d}s{s}-{seed:04d}"
            ended = k < past
            week.append((pass_id, starts))
            session_rows.append((org_id, pass_id, PROGRAM, pc.id, pc.class_id, version, starts,
                                 "Europe/Stockholm", round(script.duration), capacity,
                                 f"Facilitator {s + 1}", "ended" if ended else "scheduled",
                                 starts - timedelta(minutes=5) if ended else None,
                                 starts + timedelta(seconds=script.duration) if ended else None))
        by_class.append(week)
    await pool.copy_records_to_table(
        "sessions", records=session_rows,
        columns=["org_id", "pass_id", "program_id", "program_class_id", "class_id",
                 "class_version", "starts_at", "time_zone", "duration_s", "capacity",
                 "facilitator", "state", "opened_at", "ended_at"])
    # Who attended which ended class.
    attends: dict[int, list[str]] = {k: [] for k in range(past)}
    for person in people:
        for k in rng.sample(range(past), min(attended, past)):
            attends[k].append(person)
    counts = {"sessions": len(session_rows), "enrolments": 0, "attendance": 0,
              "archived_answers": 0, "journal_entries": 0, "pairings": 0}
    async with pool.acquire() as conn:
        await conn.execute("SET session_replication_role = replica")
        # asyncpg's own jsonb codec (binary, takes JSON text) lets COPY load answers directly.
        await conn.reset_type_codec("jsonb", schema="pg_catalog")
        try:
            await _fill(conn, org_id, rng, scripts, class_rows, by_class, attends, past,
                        sessions_per_class, counts)
            if past < classes:
                await _choose_next(conn, org_id, rng, people, class_rows[past].id,
                                   by_class[past], capacity, counts)
            # Who answered each leadership question, as archiving keeps it, and the totals
            # the triggers keep (COPY bypassed them), counted once from the rows.
            await conn.execute("""
                INSERT INTO leadership_respondents (org_id, program_id, class_id, step_id,
                                                    employee_id, department, site, level)
                SELECT DISTINCT a.org_id, s.program_id, s.class_id, a.step_id, a.employee_id,
                       p.department, p.site, p.level
                FROM archived_answers a
                JOIN sessions s ON s.org_id = a.org_id AND s.pass_id = a.pass_id
                JOIN people p ON p.org_id = a.org_id AND p.employee_id = a.employee_id
                WHERE a.org_id = $1 AND a.visibility = 'leadership'
                ON CONFLICT DO NOTHING""", org_id)
            await conn.execute("SELECT onlive_refresh_totals($1)", org_id)
            await conn.execute("SELECT onlive_refresh_insight_totals($1)", org_id)
        finally:
            await conn.execute("SET session_replication_role = DEFAULT")
            await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads,
                                      schema="pg_catalog")
    # A database in use, not one just bulk-loaded: rows vacuumed (visibility known, so
    # autovacuum does not start on two million new rows while later stages are timed),
    # statistics gathered, and the written pages flushed by a checkpoint now rather than
    # in the middle of a timed stage.
    await pool.execute("VACUUM (ANALYZE)", timeout=3600)
    await pool.execute("CHECKPOINT", timeout=3600)
    return Year(org_id, PROGRAM, now, people,
                [p for week in by_class[:past] for p, _ in week],
                [p for week in by_class[past:] for p, _ in week], counts,
                time.perf_counter() - started)


async def _fill(conn: Any, org_id: str, rng: random.Random,
                scripts: dict[str, tuple[int, ClassScript]], class_rows: list[Any],
                by_class: list[list[tuple[str, datetime]]], attends: dict[int, list[str]],
                past: int, sessions_per_class: int, counts: dict[str, int]) -> None:
    for k in range(past):
        pc = class_rows[k]
        _, script = scripts[pc.class_id]
        asked = [s for s in script.steps if s.asks_answer]
        variants = [[json.dumps(_value(step, rng)) for _ in range(12)] for step in asked]
        journaled = [_journal(step) for step in asked]
        enrolments: list[tuple[Any, ...]] = []
        attendance: list[tuple[Any, ...]] = []
        answers: list[tuple[Any, ...]] = []
        journal: list[tuple[Any, ...]] = []
        pairings: list[tuple[Any, ...]] = []
        per_session: dict[str, list[str]] = {p: [] for p, _ in by_class[k]}
        for person in attends[k]:
            pass_id, starts = by_class[k][rng.randrange(sessions_per_class)]
            per_session[pass_id].append(person)
            enrolments.append((org_id, pass_id, person, pc.id, "enrolled"))
            joined = starts + timedelta(seconds=rng.randint(-240, 300))
            attendance.append((org_id, pass_id, person, starts - timedelta(days=7), joined,
                               rng.randint(30, 45), rng.random() < 0.05))
            for i, step in enumerate(asked):
                at = starts + timedelta(minutes=3 + 5 * i)
                value = rng.choice(variants[i])
                answers.append((org_id, pass_id, step.id, person, step.kind.value,
                                step.visibility.value, value, at))
                if journaled[i]:
                    journal.append((org_id, person, pass_id, step.id, step.kind.value, value, at))
        for pass_id, members in per_session.items():
            starts = dict(by_class[k])[pass_id]
            order = members[:]
            rng.shuffle(order)
            for a, b in zip(order[::2], order[1::2]):
                pairings.append((org_id, PROGRAM, pass_id, min(a, b), max(a, b),
                                 starts + timedelta(minutes=10)))
        await _copy(conn, "enrolments", enrolments,
                    ["org_id", "pass_id", "employee_id", "program_class_id", "status"])
        await _copy(conn, "attendance", attendance,
                    ["org_id", "pass_id", "employee_id", "invited_at", "first_joined_at",
                     "minutes_present", "left_early"])
        await _copy(conn, "archived_answers", answers,
                         ["org_id", "pass_id", "step_id", "employee_id", "step_kind",
                          "visibility", "value", "answered_at"])
        await _copy(conn, "journal_entries", journal,
                         ["org_id", "employee_id", "pass_id", "step_id", "kind", "value",
                          "written_at"])
        await _copy(conn, "pairings", pairings, ["org_id", "program_id", "pass_id", "a", "b",
                                                 "met_at"])
        for name, made in (("enrolments", enrolments), ("attendance", attendance),
                           ("archived_answers", answers), ("journal_entries", journal),
                           ("pairings", pairings)):
            counts[name] += len(made)


async def _choose_next(conn: Any, org_id: str, rng: random.Random, people: list[str],
                       program_class_id: int, upcoming: list[tuple[str, datetime]],
                       capacity: int, counts: dict[str, int]) -> None:
    """A third of the people already chose a session of the next class; full ones wait."""
    taken: dict[str, int] = {p: 0 for p, _ in upcoming}
    rows: list[tuple[Any, ...]] = []
    for person in people:
        if rng.random() < 1 / 3:
            pass_id = upcoming[rng.randrange(len(upcoming))][0]
            taken[pass_id] += 1
            waiting = taken[pass_id] - capacity
            rows.append((org_id, pass_id, person, program_class_id,
                         "waiting" if waiting > 0 else "enrolled",
                         waiting if waiting > 0 else None))
    await _copy(conn, "enrolments", rows, ["org_id", "pass_id", "employee_id",
                                           "program_class_id", "status", "waiting_position"])
    counts["enrolments"] += len(rows)


async def _copy(conn: Any, table: str, rows: list[tuple[Any, ...]], columns: list[str]) -> None:
    for chunk in _chunks(rows):
        await conn.copy_records_to_table(table, records=chunk, columns=columns)


def _chunks(rows: list[tuple[Any, ...]], size: int = 50_000) -> Iterator[list[tuple[Any, ...]]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]
