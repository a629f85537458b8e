"""The admin's and leadership's side on the real PostgreSQL: revocable staff links, the
program dashboard (attendance, missing people, reminders, top management, the pulse) and
k-anonymous leadership insights over archived passes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import redis.asyncio as aioredis

from exercises.gym.insights import Slice
from exercises.gym.program import Audience, Cadence, ProgramClassSpec, ProgramSpec, SessionSpec
from exercises.gym.roster import parse_roster
from exercises.library import CLASSES_DIR
from exercises.text import Text
from orchestrator.adapters.postgres import PostgresRecords
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.errors import AuthError, NotFound
from orchestrator.gym.flowrecords import ArchivedAnswer, AttendanceRow, PassArchive
from orchestrator.services import Services, build_services
from orchestrator.settings import Settings
from orchestrator.tickets import Kind
from tests.orchestrator.fakes import FakeClock, FakeSfu, RecordingNotifier

pytestmark = pytest.mark.services

ORG = "acme"
HEADER = "employee_id,first_name,last_name,email,department,site,manager_employee_id,level\n"


def roster() -> str:
    """3 top managers; 8 people in HR Umeå, 6 in IT Umeå, 2 in IT Kiruna."""
    rows = [f"T{i},Top,Chef{i},t{i}@acme.se,Ledning,Umeå,,top" for i in range(3)]
    rows += [f"H{i},Hanna,Hr{i},h{i}@acme.se,HR,Umeå,T0,employee" for i in range(8)]
    rows += [f"I{i},Ivar,It{i},i{i}@acme.se,IT,Umeå,T1,employee" for i in range(6)]
    rows += [f"K{i},Kim,Kiruna{i},k{i}@acme.se,IT,Kiruna,T1,employee" for i in range(2)]
    return HEADER + "\n".join(rows) + "\n"


@dataclass
class World:
    services: Services
    records: PostgresRecords
    sessions: list[str]
    clock: FakeClock


@pytest.fixture
async def world(records: PostgresRecords, redis_server) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    client = aioredis.from_url(redis_server.url)
    # Choosing happens two hours before the first session; the dashboard reads later.
    clock = FakeClock(datetime.now(timezone.utc).timestamp() - 5 * 3600)
    settings = Settings(secret="s" * 48, public_url="http://127.0.0.1:9")
    services = build_services(settings, RedisStore(client), FakeSfu(), RecordingNotifier(),
                              records=records, clock=clock)
    await records.ensure_org(ORG)
    await records.import_roster(ORG, parse_roster(roster().encode(), "roster.csv"))
    g = services.gym
    await g.programs.create(ORG, ProgramSpec("lead", "Ledarskap", Audience(), Cadence.WEEKLY,
                                             True))
    await g.programs.add_class(ORG, "lead", ProgramClassSpec("feedback-that-helps",
                                                             mandatory=True))
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=3)
    made = [await g.programs.add_session(ORG, "lead", "1", SessionSpec(
        start + timedelta(hours=h), "UTC", 20, "Fia")) for h in range(3)]
    yield World(services, records, [s.pass_id for s in made], clock)
    await client.aclose()


async def archive(w: World, pass_id: str, people: list[str], at: float) -> None:
    answers = []
    for i, person in enumerate(people):
        answers += [
            ArchivedAnswer(person, "feedback-situations-poll", "poll", "leadership",
                           {"choices": [i % 3]}, at),
            ArchivedAnswer(person, "what-do-you-need", "reflection", "leadership",
                           {"text": f"Mer tid för samtal {i}"}, at),
            ArchivedAnswer(person, "tune-the-frequency", "check-in", "plenary",
                           {"energy": 3 + i % 2, "word": "glad"}, at)]
    await w.records.archive_pass(PassArchive(
        ORG, pass_id, at + 3600, tuple(answers), (),
        tuple(AttendanceRow(p, at, 50, False) for p in people), ()))


async def test_staff_links_open_one_role_of_one_organisation_until_revoked(
        world: World) -> None:
    staff = world.services.gym.staff
    row, url = await staff.issue(ORG, Kind.ADMIN, "Lisa")
    token = url.split("#credential=", 1)[1]
    assert url.startswith("http://127.0.0.1:9/admin#credential=")
    principal = await staff.resolve(token, Kind.ADMIN)
    assert (principal.org_id, principal.role) == (ORG, Kind.ADMIN)
    with pytest.raises(AuthError) as wrong:
        await staff.resolve(token, Kind.LEADERSHIP)
    assert wrong.value.code == "wrong_role"
    _, other = await staff.issue(ORG, Kind.ADMIN, "Per")
    assert await staff.revoke(ORG, Kind.ADMIN, row.id) == 1
    with pytest.raises(AuthError) as revoked:
        await staff.resolve(token, Kind.ADMIN)
    assert revoked.value.code == "revoked_credential"
    await staff.resolve(other.split("#credential=", 1)[1], Kind.ADMIN)  # the other still works
    assert await staff.revoke(ORG, Kind.ADMIN) == 1


async def two_sessions_held(world: World) -> None:
    """Ten people chose and came to the first session, six more came to the second; K0
    chose the second and never came. Both are archived."""
    g = world.services.gym
    now = datetime.now(timezone.utc).timestamp()
    came = ["T0", "T1", *[f"H{i}" for i in range(8)], *[f"I{i}" for i in range(6)]]
    for person in came[:10]:
        await g.enrolments.choose(ORG, "lead", person, world.sessions[0])
    await g.enrolments.choose(ORG, "lead", "K0", world.sessions[1])  # never comes
    world.clock.now = now
    await archive(world, world.sessions[0], came[:10], now - 600)
    await archive(world, world.sessions[1], came[10:], now - 300)


async def test_the_dashboard_counts_attendance_missing_people_and_top_management(
        world: World) -> None:
    g = world.services.gym
    await two_sessions_held(world)
    board = await g.dashboards.build(ORG, "lead")
    assert (board.top.top, board.top.trained, board.top.percent) == (3, 2, 67)
    assert not board.top.warning
    await world.records.set_top_warning(ORG, 80)
    assert (await g.dashboards.build(ORG, "lead")).top.warning
    (line,) = board.classes
    assert (line.done, line.not_done) == (16, 3)  # T2, K0, K1
    first, second, third = line.sessions
    assert (first.attended, first.missing, first.session.enrolled) == (10, 0, 10)
    assert (second.attended, second.missing) == (6, 1)  # K0 held a place and never came
    assert third.attended == 0
    sites = {g.value: (g.audience, g.attended) for g in board.groups["site"]}
    assert sites == {"Kiruna": (2, 0), "Umeå": (17, 16)}
    assert board.pulse == ()  # one class only: no trend yet
    missing = await g.dashboards.missing(ORG, "lead", line.program_class_id)
    assert sorted(p.employee_id for p in missing) == ["K0", "K1", "T2"]
    assert await g.dashboards.remind(ORG, "lead", line.program_class_id) == 3
    assert await g.dashboards.remind(ORG, "lead", line.program_class_id) == 3  # same day: once
    queued = await world.records.pool.fetchval(
        "SELECT count(*) FROM mail_outbox WHERE org_id = $1 AND dedupe_key LIKE 'reminder:%'",
        ORG)
    assert queued == 3


async def test_a_class_and_each_session_by_department_site_and_level(world: World) -> None:
    """Places and attendance per class and session are counted per value; the pulse per
    value is k-safe: no average of fewer than k people, none that two others subtract to."""
    g = world.services.gym
    await two_sessions_held(world)
    (line,) = (await g.dashboards.build(ORG, "lead")).classes
    got = await g.dashboards.breakdown(ORG, "lead", line.program_class_id)

    def counts(groups: Any, dim: str) -> dict[str, tuple[int, ...]]:
        return {x.value: (x.audience, x.enrolled, x.waiting, x.attended, x.missing)
                for x in groups[dim]}

    assert counts(got.groups, "site") == {"Kiruna": (2, 1, 0, 0, 0), "Umeå": (17, 10, 0, 16, 0)}
    assert counts(got.groups, "level") == {"employee": (16, 9, 0, 14, 0),
                                           "top": (3, 2, 0, 2, 0)}
    sessions = dict(got.sessions)
    assert list(sessions) == world.sessions
    assert counts(sessions[world.sessions[0]], "department") == {
        "HR": (0, 8, 0, 8, 0), "Ledning": (0, 2, 0, 2, 0)}
    assert counts(sessions[world.sessions[1]], "site") == {
        "Kiruna": (0, 1, 0, 0, 1), "Umeå": (0, 0, 0, 6, 0)}
    assert counts(sessions[world.sessions[2]], "site") == {}

    (energy,) = got.pulse
    assert (energy.question, energy.people, energy.title) == ("energy", 16, None)
    hr = next(x for x in energy.groups["department"] if x.value == "HR")
    assert (hr.people, hr.mean) == (8, 3.5)
    ledning = next(x for x in energy.groups["department"] if x.value == "Ledning")
    assert (ledning.people, ledning.mean) == (None, None)  # 2 people, under k = 5
    for dim, groups in energy.groups.items():
        shown = [x.people for x in groups if x.people is not None]
        assert all(n >= 5 for n in shown), dim
        assert sum(shown) == 16 or 16 - sum(shown) >= 5, f"{dim} subtracts to under k"
    with pytest.raises(NotFound):
        await g.dashboards.breakdown(ORG, "lead", 999_999)


async def test_insights_show_k_safe_slices_and_nothing_below_k(world: World) -> None:
    g = world.services.gym
    now = datetime.now(timezone.utc).timestamp()
    people = [*[f"H{i}" for i in range(8)], *[f"I{i}" for i in range(6)], "K0", "K1"]
    await archive(world, world.sessions[0], people, now - 3600)
    everyone = await g.insights.build(ORG, "lead", Slice())
    by_step = {q.step_id: q for q in everyone.questions}
    assert set(by_step) == {"feedback-situations-poll", "what-do-you-need"}  # leadership only
    poll = by_step["feedback-situations-poll"]
    assert poll.summary is not None and poll.summary.people == 16
    assert sum(poll.summary.distribution.values()) == 16
    assert poll.options and poll.title is not None and poll.title.sv
    texts = by_step["what-do-you-need"].summary
    assert texts is not None and len(texts.texts) == 16
    assert ("samtal", 16) in texts.themes
    assert everyone.departments == ("HR", "IT") and everyone.sites == ("Kiruna", "Umeå")
    # IT has 8: Umeå 6, Kiruna 2. Kiruna is under k; IT minus IT Umeå would be Kiruna.
    it = await g.insights.build(ORG, "lead", Slice("IT"))
    kiruna = await g.insights.build(ORG, "lead", Slice(None, "Kiruna"))
    it_umea = await g.insights.build(ORG, "lead", Slice("IT", "Umeå"))
    assert all(q.summary is None for q in kiruna.questions)
    assert not (all(q.summary for q in it.questions) and all(q.summary
                                                             for q in it_umea.questions))
    assert everyone.top.top == 3


async def test_the_pulse_names_a_repeated_scale_as_its_class_does(world: World) -> None:
    g = world.services.gym
    now = datetime.now(timezone.utc).timestamp()
    passes = []
    for _ in range(2):
        added = await g.programs.add_class(
            ORG, "lead", ProgramClassSpec("leadership-philosophy-in-practice"),
            {"leadership_philosophy": "Vi leder genom tillit."})
        passes.append((await g.programs.add_session(ORG, "lead", str(added.position),
                                                    SessionSpec(datetime.now(timezone.utc),
                                                                "UTC", 20, "Fia"))).pass_id)
    people = [f"H{i}" for i in range(6)]
    for i, pass_id in enumerate(passes):
        await world.records.archive_pass(PassArchive(ORG, pass_id, now, tuple(
            ArchivedAnswer(p, "philosophy-in-practice", "scale", "leadership",
                           {"value": 2 + i}, now - 60) for p in people), (),
            tuple(AttendanceRow(p, now - 600, 30, False) for p in people), ()))
    board = await g.dashboards.build(ORG, "lead")
    (line,) = board.pulse
    assert line.question == "philosophy-in-practice"
    assert line.title == Text("Filosofin i vardagen", "The philosophy in everyday work")
    assert [(position, mean) for position, mean, _ in line.points] == [(2, 2.0), (3, 3.0)]


async def test_a_question_dropped_from_its_class_keeps_the_words_it_was_asked_in(
        world: World) -> None:
    """A later version of the class without the leadership question is scheduled; the
    answers given to it still carry its title and options, and a question no version has
    carries none (the page names it in words, never by its id)."""
    g = world.services.gym
    now = datetime.now(timezone.utc).timestamp()
    text = (CLASSES_DIR / "feedback-that-helps.yaml").read_text(encoding="utf-8")
    trimmed = text.replace("  - use: what-do-you-need\n", "").replace(
        "  - use: feedback-situations-poll\n", "")
    assert trimmed != text
    version = await g.classes.publish(ORG, trimmed, "trimmed.yaml", created_by="Lisa")
    assert version.version == 2
    later = await g.programs.add_session(ORG, "lead", "1", SessionSpec(
        datetime.now(timezone.utc) + timedelta(days=7), "UTC", 20, "Fia"))
    assert later.class_version == 2
    people = [f"H{i}" for i in range(8)]
    await archive(world, world.sessions[0], people, now - 3600)
    await world.records.archive_pass(PassArchive(ORG, world.sessions[1], now, tuple(
        ArchivedAnswer(p, "a-step-no-version-has", "reflection", "leadership",
                       {"text": "Mer stöd"}, now - 60) for p in people), (), (), ()))
    page = await g.insights.build(ORG, "lead", Slice())
    by_step = {q.step_id: q for q in page.questions}
    assert by_step["what-do-you-need"].title == Text("Vad behöver du?", "What do you need?")
    poll = by_step["feedback-situations-poll"]
    assert poll.title is not None and len(poll.options) == 5
    gone = by_step["a-step-no-version-has"]
    assert (gone.title, gone.prompt, gone.kind) == (None, None, "reflection")
    assert gone.class_title == Text("Återkoppling som hjälper", "Feedback that helps")
    assert gone.summary is not None and gone.summary.people == 8


TOTALS = {"session_totals": "pass_id", "class_totals": "program_class_id",
          "class_pulse": "program_class_id, question",
          "program_people": "program_id, employee_id",
          "leadership_keys": "program_id, class_id, step_id, step_kind, employee_id, key"}


async def totals(records: PostgresRecords) -> dict[str, list[tuple[object, ...]]]:
    return {table: [tuple(r.values()) for r in await records.pool.fetch(
        f"SELECT * FROM {table} WHERE org_id = $1 ORDER BY {order}", ORG)]
        for table, order in TOTALS.items()}


async def test_the_totals_the_triggers_keep_equal_a_count_from_scratch(world: World) -> None:
    """Enrolling, switching, archiving (twice) and erasing keep every total as a full
    recount makes it, and erasure leaves no total about the person."""
    g = world.services.gym
    now = datetime.now(timezone.utc).timestamp()
    people = [f"H{i}" for i in range(8)] + ["T0", "I0"]
    for person in people:
        await g.enrolments.choose(ORG, "lead", person, world.sessions[0])
    await g.enrolments.choose(ORG, "lead", "I1", world.sessions[1])
    await g.enrolments.choose(ORG, "lead", "I1", world.sessions[2])  # switches
    world.clock.now = now
    await archive(world, world.sessions[0], people, now - 600)
    await archive(world, world.sessions[0], people, now - 600)  # idempotent
    await archive(world, world.sessions[1], ["I2", "I3"], now - 300)
    kept = await totals(world.records)
    assert kept["program_people"] and kept["leadership_keys"] and kept["class_pulse"]
    await world.records.pool.execute("SELECT onlive_refresh_totals($1)", ORG)
    await world.records.pool.execute("SELECT onlive_refresh_insight_totals($1)", ORG)
    assert await totals(world.records) == kept
    assert await world.records.erase_person(ORG, "H0") > 0
    kept = await totals(world.records)
    assert not any("H0" in row for rows in kept.values() for row in rows)
    await world.records.pool.execute("SELECT onlive_refresh_totals($1)", ORG)
    await world.records.pool.execute("SELECT onlive_refresh_insight_totals($1)", ORG)
    assert await totals(world.records) == kept
