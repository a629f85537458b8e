"""A program's classes are reordered, added and removed in one step on the real PostgreSQL:
a class whose sessions were held, or that someone holds, waits for or was invited to,
stays (with its history), and then nothing of the change happens; a removed class's
scheduled, empty sessions go with it; a change made from a stale view is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone

import pytest
import redis.asyncio as aioredis

from exercises.gym.errors import ClassInUse, InvalidProgram
from exercises.gym.program import (
    Audience,
    Cadence,
    ProgramClassSpec,
    ProgramSpec,
    SessionSpec,
    SessionState,
)
from exercises.gym.roster import parse_roster
from orchestrator.adapters.postgres import PostgresRecords
from orchestrator.adapters.redis_store import RedisStore
from orchestrator.gym.records import ClassArrangement, ClassPlan, ProgramRecord
from orchestrator.services import Services, build_services
from orchestrator.settings import Settings
from tests.orchestrator.fakes import FakeSfu, RecordingNotifier

pytestmark = pytest.mark.services

ORG = "acme"
ROSTER = """employee_id,first_name,last_name,email,department,site,manager_employee_id,level
E1,Anna,Lind,anna@acme.se,HR,Umeå,,top
E2,Bo,Ek,bo@acme.se,IT,Umeå,E1,employee
"""
CLASSES = ("listening-for-real", "feedback-that-helps", "listening-for-real")


@pytest.fixture
async def services(records: PostgresRecords, redis_server) -> AsyncIterator[Services]:  # type: ignore[no-untyped-def]
    client = aioredis.from_url(redis_server.url)
    built = build_services(Settings(secret="s" * 48, public_url="http://127.0.0.1:9"),
                           RedisStore(client), FakeSfu(), RecordingNotifier(), records=records)
    await records.ensure_org(ORG)
    await records.import_roster(ORG, parse_roster(ROSTER.encode(), "roster.csv"))
    await built.gym.programs.create(ORG, ProgramSpec("lead", "Ledarskap", Audience(),
                                                     Cadence.WEEKLY, True))
    for class_id in CLASSES:
        await built.gym.programs.add_class(ORG, "lead", ProgramClassSpec(class_id,
                                                                         mandatory=True))
    yield built
    await client.aclose()


def sequence(program: ProgramRecord) -> list[tuple[int, str]]:
    return [(c.position, c.class_id) for c in program.classes]


def plan(program: ProgramRecord, *order: int) -> tuple[ClassPlan, ...]:
    """The program's classes (by 1-based position) in a new order."""
    return tuple(ClassPlan(c.id, c.class_id, c.due_on, c.mandatory)
                 for c in (program.classes[i - 1] for i in order))


async def session(services: Services, position: int, hours: int = 24) -> str:
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(hours=hours)
    made = await services.gym.programs.add_session(ORG, "lead", str(position),
                                                   SessionSpec(start, "UTC", 10, "Fia"))
    return made.pass_id


async def test_classes_are_reordered_added_and_removed_with_their_empty_sessions(
        services: Services, records: PostgresRecords) -> None:
    programs = services.gym.programs
    before = await records.program(ORG, "lead")
    empty = await session(services, 3)  # scheduled, nobody chose it
    kept = await session(services, 1)
    arranged = await programs.arrange(ORG, "lead", ClassArrangement(
        (*plan(before, 2), ClassPlan(None, "feedback-that-helps", None, False),
         *plan(before, 1)), removed=(before.classes[2].id,)))
    assert sequence(arranged) == [(1, "feedback-that-helps"), (2, "feedback-that-helps"),
                                  (3, "listening-for-real")]
    assert [c.id for c in arranged.classes][::2] == [before.classes[1].id, before.classes[0].id]
    assert not arranged.classes[1].mandatory
    passes = [s.pass_id for s in await records.sessions(ORG, "lead")]
    assert passes == [kept], f"{empty} went with its class"
    # The session of the class that moved still offers it, now as class 3.
    assert (await records.session(ORG, kept)).program_class_id == arranged.classes[2].id

    moved = await programs.move_class(ORG, "lead", "3", 1)
    assert sequence(moved) == [(1, "listening-for-real"), (2, "feedback-that-helps"),
                               (3, "feedback-that-helps")]
    gone = await programs.remove_class(ORG, "lead", "2")
    assert gone.id == arranged.classes[0].id
    assert sequence(await records.program(ORG, "lead")) == [(1, "listening-for-real"),
                                                            (2, "feedback-that-helps")]
    with pytest.raises(InvalidProgram) as bad:
        await programs.move_class(ORG, "lead", "1", 3)
    assert bad.value.code == "bad_position"


async def test_a_held_or_taken_class_stays_and_nothing_of_the_change_happens(
        services: Services, records: PostgresRecords) -> None:
    programs = services.gym.programs
    before = await records.program(ORG, "lead")
    held = await session(services, 1, hours=-2)
    await records.move_session(ORG, held, SessionState.SCHEDULED, SessionState.OPEN)
    taken = await session(services, 2)
    await services.gym.enrolments.choose(ORG, "lead", "E2", taken)
    with pytest.raises(ClassInUse) as refused:
        await programs.update(ORG, ProgramSpec("lead", "Nytt namn", Audience(), Cadence.MONTHLY),
                              ClassArrangement(plan(before, 3),
                                               removed=(before.classes[0].id,
                                                        before.classes[1].id)))
    assert [(u.position, u.code, u.count) for u in refused.value.uses] == [
        (1, "class_held", 1), (2, "class_has_people", 1)]
    after = await records.program(ORG, "lead")
    assert (after.name, after.cadence, after.classes) == ("Ledarskap", Cadence.WEEKLY,
                                                          before.classes)
    assert sorted(s.pass_id for s in await records.sessions(ORG, "lead")) == sorted([held, taken])

    # Someone invited to a session (no place chosen) keeps its class too.
    invited = await session(services, 3)
    assert await records.record_invitation(ORG, invited, "E1")
    with pytest.raises(ClassInUse) as refused:
        await programs.remove_class(ORG, "lead", "3")
    assert [u.code for u in refused.value.uses] == ["class_has_people"]


async def test_an_arrangement_from_a_stale_view_is_refused(
        services: Services, records: PostgresRecords) -> None:
    programs = services.gym.programs
    seen = await records.program(ORG, "lead")
    await programs.add_class(ORG, "lead", ProgramClassSpec("feedback-that-helps"))
    for stale in (ClassArrangement(plan(seen, 3, 2, 1)),  # leaves out the new class
                  ClassArrangement(plan(seen, 1, 1, 2, 3))):  # names one twice
        with pytest.raises(InvalidProgram) as refused:
            await programs.arrange(ORG, "lead", stale)
        assert refused.value.code == "classes_changed"
    assert len((await records.program(ORG, "lead")).classes) == 4
