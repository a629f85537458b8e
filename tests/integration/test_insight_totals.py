"""The totals triggers keep (migration 0008) on the real PostgreSQL stay what a count from
scratch makes them: archiving a pass (twice), someone in two sessions of one class, answers
and attendance removed, a roster change that moves people, erasure. The leadership page reads
a slice's figures, texts and themes from them: exactly the slice's people's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis.asyncio as aioredis

from exercises.gym.insights import Slice, texts_of, words
from exercises.gym.program import Audience, Cadence, ProgramClassSpec, ProgramSpec, SessionSpec
from exercises.gym.roster import parse_roster
from orchestrator.adapters.postgres import PostgresRecords
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.adapters.schema import LOCK_NAMESPACE, ROSTER_LOCK, bundled_migrations
from orchestrator.gym.flowrecords import ArchivedAnswer, AttendanceRow, PassArchive
from orchestrator.services import Services, build_services
from orchestrator.settings import Settings
from tests.orchestrator.fakes import FakeClock, FakeSfu, RecordingNotifier
from tests.waiting import eventually

pytestmark = pytest.mark.services

ORG = "acme"
HEADER = "employee_id,first_name,last_name,email,department,site,manager_employee_id,level\n"
POLL, REFLECTION, CHECK_IN = "feedback-situations-poll", "what-do-you-need", "tune-the-frequency"

#: Each total and the order its rows are compared in.
TOTALS = {"session_totals": "pass_id", "class_totals": "program_class_id",
          "class_pulse": "program_class_id, question",
          "program_people": "program_id, employee_id",
          "leadership_respondents": "program_id, class_id, step_id, employee_id",
          "leadership_keys": "program_id, class_id, step_id, step_kind, employee_id, key",
          "leadership_texts": "pass_id, step_id, employee_id",
          "insight_cells": "program_id, class_id, step_id, department, site, level",
          "insight_cell_keys": "program_id, class_id, step_id, step_kind, department, site, "
                               "level, key",
          "insight_cell_words": "program_id, class_id, step_id, step_kind, department, site, "
                                "level, word"}


def roster(moves: dict[str, tuple[str, str, str]] | None = None) -> bytes:
    """3 top managers; 8 people in HR Umeå, 6 in IT Umeå, 2 in IT Kiruna; ``moves`` puts
    some elsewhere (department, site, level)."""
    people = [(f"T{i}", "Ledning", "Umeå", "top", "") for i in range(3)]
    people += [(f"H{i}", "HR", "Umeå", "employee", "T0") for i in range(8)]
    people += [(f"I{i}", "IT", "Umeå", "employee", "T1") for i in range(6)]
    people += [(f"K{i}", "IT", "Kiruna", "employee", "T1") for i in range(2)]
    rows = []
    for pid, department, site, level, manager in people:
        department, site, level = (moves or {}).get(pid, (department, site, level))
        rows.append(f"{pid},Namn,Efternamn{pid},{pid.lower()}@acme.se,{department},{site},"
                    f"{manager},{level}")
    return (HEADER + "\n".join(rows) + "\n").encode()


@dataclass
class World:
    services: Services
    records: PostgresRecords
    sessions: list[str]


@pytest.fixture
async def world(records: PostgresRecords, redis_server) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    client = aioredis.from_url(redis_server.url)
    clock = FakeClock(datetime.now(timezone.utc).timestamp() - 5 * 3600)
    settings = Settings(secret="s" * 48, public_url="http://127.0.0.1:9")
    services = build_services(settings, RedisStore(client), FakeSfu(), RecordingNotifier(),
                              records=records, clock=clock)
    await records.ensure_org(ORG)
    await records.import_roster(ORG, parse_roster(roster(), "roster.csv"))
    g = services.gym
    await g.programs.create(ORG, ProgramSpec("lead", "Ledarskap", Audience(), Cadence.WEEKLY,
                                             True))
    await g.programs.add_class(ORG, "lead", ProgramClassSpec("feedback-that-helps",
                                                             mandatory=True))
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=3)
    made = [await g.programs.add_session(ORG, "lead", "1", SessionSpec(
        start + timedelta(hours=h), "UTC", 20, "Fia")) for h in range(3)]
    yield World(services, records, [s.pass_id for s in made])
    await client.aclose()


def word_of(person: str) -> str:
    """A word only this person writes ("lagha" for H0)."""
    return "lag" + person[0].lower() + "abcdefghij"[int(person[1:])]


def text_of(person: str) -> str:
    return f"Mer tid för samtal med {word_of(person)}"


async def archive(w: World, pass_id: str, people: list[str], at: float) -> None:
    answers = []
    for i, person in enumerate(people):
        answers += [
            ArchivedAnswer(person, POLL, "poll", "leadership", {"choices": [i % 3]}, at),
            ArchivedAnswer(person, REFLECTION, "reflection", "leadership",
                           {"text": text_of(person)}, at + i),
            ArchivedAnswer(person, CHECK_IN, "check-in", "plenary",
                           {"energy": 3 + i % 2, "word": "glad"}, at)]
    await w.records.archive_pass(PassArchive(
        ORG, pass_id, at + 3600, tuple(answers), (),
        tuple(AttendanceRow(p, at, 50, False) for p in people), ()))


#: Rows that say nothing (a count from scratch writes them for every session and class;
#: the triggers for those something happened in).
EMPTY = {"session_totals": "(enrolled, waiting, attended, missing) = (0, 0, 0, 0)",
         "class_totals": "attendees = 0"}


async def totals(records: PostgresRecords) -> dict[str, list[tuple[object, ...]]]:
    return {table: [tuple(r.values()) for r in await records.pool.fetch(
        f"SELECT * FROM {table} WHERE org_id = $1 AND NOT ({EMPTY.get(table, 'false')}) "
        f"ORDER BY {order}", ORG)]
        for table, order in TOTALS.items()}


async def kept_equals_recount(records: PostgresRecords) -> dict[str, list[tuple[object, ...]]]:
    """The totals as the triggers kept them, checked against a count from scratch."""
    kept = await totals(records)
    await records.pool.execute("SELECT onlive_refresh_totals($1)", ORG)
    await records.pool.execute("SELECT onlive_refresh_insight_totals($1)", ORG)
    assert await totals(records) == kept
    return kept


async def people_per_question(records: PostgresRecords) -> dict[tuple[str, Any], int]:
    return {(r["step_id"], (r["department"], r["site"], r["level"])): r["people"]
            for r in await records.pool.fetch(
                "SELECT * FROM insight_cells WHERE org_id = $1", ORG)}


async def test_totals_follow_archives_removals_roster_moves_and_erasure(world: World) -> None:
    g = world.services.gym
    now = datetime.now(timezone.utc).timestamp()
    first = [*(f"H{i}" for i in range(8)), "I0", "T0"]
    for person in first:
        await g.enrolments.choose(ORG, "lead", person, world.sessions[0])
    await g.enrolments.choose(ORG, "lead", "I1", world.sessions[1])
    await g.enrolments.choose(ORG, "lead", "I1", world.sessions[2])  # switches
    await archive(world, world.sessions[0], first, now - 7200)
    await archive(world, world.sessions[0], first, now - 7200)  # again: nothing changes
    # H0 came to a second session of the same class.
    await archive(world, world.sessions[1], ["H0", *(f"I{i}" for i in range(1, 6))],
                  now - 3600)
    kept = await kept_equals_recount(world.records)
    assert kept["class_totals"][0][-1] == 15  # distinct people, H0 once
    pulse = {r[2]: r for r in kept["class_pulse"]}
    assert pulse["energy"][3:5] == (15, 16)  # people, answers
    cells = await people_per_question(world.records)
    assert cells[(POLL, ("HR", "Umeå", "employee"))] == 8
    # The last session ends with nobody: K0 missed the class; I1 held a place in it but
    # did the class in another session.
    await g.enrolments.choose(ORG, "lead", "K0", world.sessions[2])
    await archive(world, world.sessions[2], [], now - 1800)
    missed = await world.records.pool.fetch(
        "SELECT employee_id FROM mail_outbox WHERE org_id = $1 AND kind = 'missed'", ORG)
    assert [r["employee_id"] for r in missed] == ["K0"]

    # H0's second session goes (its answers and attendance): H0 still did the class.
    for table in ("archived_answers", "attendance"):
        await world.records.pool.execute(
            f"DELETE FROM {table} WHERE org_id = $1 AND pass_id = $2 AND employee_id = 'H0'",
            ORG, world.sessions[1])
    kept = await kept_equals_recount(world.records)
    assert kept["class_totals"][0][-1] == 15
    assert {r[2]: r for r in kept["class_pulse"]}["energy"][3:5] == (15, 15)

    # A roster change moves H1 to IT in Kiruna and makes I2 a manager.
    moves = {"H1": ("IT", "Kiruna", "employee"), "I2": ("IT", "Umeå", "manager")}
    await world.records.import_roster(ORG, parse_roster(roster(moves), "roster.csv"))
    await kept_equals_recount(world.records)
    cells = await people_per_question(world.records)
    assert cells[(POLL, ("HR", "Umeå", "employee"))] == 7
    assert cells[(POLL, ("IT", "Kiruna", "employee"))] == 1
    assert cells[(REFLECTION, ("IT", "Umeå", "manager"))] == 1
    kiruna = await g.insights.build(ORG, "lead", Slice("IT", "Kiruna"))
    assert all(q.summary is None for q in kiruna.questions)  # one person: below k
    it = await g.insights.build(ORG, "lead", Slice("IT"))
    by_step = {q.step_id: q.summary for q in it.questions}
    reflection = by_step[REFLECTION]
    it_people = ["H1", *(f"I{i}" for i in range(6))]
    assert reflection is not None and reflection.people == 7
    assert sorted(reflection.texts) == sorted(text_of(p) for p in it_people)
    assert dict(reflection.themes)[word_of("H1")] == 1

    # Erasure takes H0's part out of every total; nothing left names them.
    before = await people_per_question(world.records)
    assert any(r["word"] == word_of("H0") for r in await world.records.pool.fetch(
        "SELECT word FROM insight_cell_words WHERE org_id = $1", ORG))
    assert await world.records.erase_person(ORG, "H0") > 0
    kept = await kept_equals_recount(world.records)
    assert not any("H0" in row for rows in kept.values() for row in rows)
    after = await people_per_question(world.records)
    for step in (POLL, REFLECTION):
        assert after[(step, ("HR", "Umeå", "employee"))] == \
            before[(step, ("HR", "Umeå", "employee"))] - 1
    words_left = {r[-2]: r[-1] for r in kept["insight_cell_words"]
                  if r[3] == REFLECTION and r[5:8] == ("HR", "Umeå", "employee")}
    assert word_of("H0") not in words_left and words_left["samtal"] == 6


async def test_a_pass_archived_while_a_roster_import_moves_its_people_counts_them_once(
        world: World) -> None:
    """The import moves H1 and is not committed yet when the pass ends: archiving waits
    for it, so H1's answers count in the cell H1 is in, not the one H1 left."""
    now = datetime.now(timezone.utc).timestamp()
    async with world.records.pool.acquire() as importing:
        move = importing.transaction()
        await move.start()
        await importing.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))",
                                LOCK_NAMESPACE + ROSTER_LOCK, ORG)
        await importing.execute("UPDATE people SET department = 'IT', site = 'Kiruna' "
                                "WHERE org_id = $1 AND employee_id = 'H1'", ORG)
        archiving = asyncio.create_task(
            archive(world, world.sessions[0], ["H0", "H1", "H2"], now - 3600))
        try:
            await eventually(lambda: world.records.pool.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"),
                what="the archive waits for the roster import")
        finally:
            await move.commit()
        await archiving
    await kept_equals_recount(world.records)
    cells = await people_per_question(world.records)
    assert cells[(REFLECTION, ("IT", "Kiruna", "employee"))] == 1
    assert cells[(REFLECTION, ("HR", "Umeå", "employee"))] == 2


def test_the_migration_locks_as_the_roster_import_does() -> None:
    (totals_migration,) = [m for m in bundled_migrations() if m.version == 8]
    assert f"pg_advisory_xact_lock_shared({LOCK_NAMESPACE + ROSTER_LOCK}, " in \
        totals_migration.sql


async def test_a_slice_shows_its_own_peoples_texts_and_themes(world: World) -> None:
    """Small slices read their cells' texts, large ones the question's newest: both give
    exactly the slice's people's texts, and themes count every answer of the slice."""
    g = world.services.gym
    now = datetime.now(timezone.utc).timestamp()
    people = [*(f"H{i}" for i in range(8)), *(f"I{i}" for i in range(6)), "K0", "K1"]
    await archive(world, world.sessions[0], people, now - 3600)
    where = {**{f"H{i}": ("HR", "Umeå") for i in range(8)},
             **{f"I{i}": ("IT", "Umeå") for i in range(6)},
             "K0": ("IT", "Kiruna"), "K1": ("IT", "Kiruna")}
    for hidden in (Slice("IT", "Umeå"), Slice(None, "Kiruna"), Slice(None, "Umeå")):
        page = await g.insights.build(ORG, "lead", hidden)
        assert all(q.summary is None for q in page.questions), hidden
    # Everyone and IT (half the people, two cells) are read from the question's newest
    # texts; HR (half the people, one cell) from its cell's.
    for slice_ in (Slice(), Slice("HR"), Slice("IT"), Slice(None, None, "employee")):
        page = await g.insights.build(ORG, "lead", slice_)
        inside = [p for p, (d, s) in where.items() if slice_.matches((d, s, "employee"))]
        summary = {q.step_id: q.summary for q in page.questions}[REFLECTION]
        assert summary is not None, slice_
        assert sorted(summary.texts) == sorted(text_of(p) for p in inside), slice_
        themes = dict(summary.themes)
        assert themes["samtal"] == len(inside) and themes["tid"] == len(inside)
        assert "för" not in themes and "med" not in themes  # stop words


async def test_the_database_reads_words_and_texts_as_the_code_does(
        records: PostgresRecords) -> None:
    values: list[dict[str, Any]] = [
        {"text": "Åsa FÅR ÉLAN, t’är x-y 2åå _ab naïve ΑΒΓ don't  - stopp-"},
        {"text": "  ", "word": "Glad!"}, {"words": ["trött", 3, "  ", "nyfiken lugn"]},
        {"word": 7, "text": None}, {"energy": 3}, {"text": "Mer\ttid\nför\u00a0samtal"}]
    for value in values:
        texts = await records.pool.fetchval("SELECT onlive_answer_texts($1::jsonb)", value)
        assert sorted(texts) == sorted(texts_of(value)), value
        found = await records.pool.fetchval("SELECT array(SELECT onlive_words($1::text[]))",
                                            texts)
        assert found == [w for t in texts for w in words(t)], value
