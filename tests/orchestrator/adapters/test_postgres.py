"""The system of record on a real PostgreSQL: migrations, roster imports, organisations
kept apart."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg
import pytest

from exercises.gym.errors import RosterError
from exercises.gym.program import Audience, ProgramClassSpec, ProgramSpec, SessionSpec, parse_start
from exercises.gym.roster import Language, Level, parse_roster
from exercises.text import Text
from orchestrator.adapters.postgres import PostgresRecords
from orchestrator.adapters.schema import Migration, bundled_migrations, migrate
from orchestrator.errors import Conflict, NotFound, ServiceError
from tests.conftest import PostgresService

pytestmark = pytest.mark.services

HEADER = "employee_id,first_name,last_name,email,department,site,manager_employee_id,level"
STAFF = [
    "T1,Greta,Nyström,greta@example.se,Ledning,Stockholm,,top",
    "M1,Anna,Lind,anna@example.se,Ekonomi,Stockholm,T1,manager",
    "E1,Björn,Berg,bjorn@example.se,IT,Göteborg,M1,employee",
    "E2,Anna,Lind,anna.lind@example.se,IT,Luleå,M1,employee",
]


def csv(rows: Sequence[str], header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


async def import_rows(records: PostgresRecords, org: str, rows: Sequence[str], *,
                      header: str = HEADER, partial: bool = False, name: str = "r.csv") -> str:
    report = await records.import_roster(org, parse_roster(csv(rows, header), name,
                                                           partial=partial))
    return f"{report.added}/{report.changed}/{report.unchanged}/{report.deactivated}"


async def snapshot(records: PostgresRecords, org: str) -> list[tuple[object, ...]]:
    return [(p.employee_id, p.name, p.email, p.department, p.site, p.manager_id, p.level,
             p.language, p.active) for p in await records.people(org, active_only=False)]


# -- migrations -------------------------------------------------------------------


async def test_appliers_starting_together_apply_each_migration_exactly_once(
        postgres_server: PostgresService) -> None:
    postgres_server.admin("CREATE DATABASE migrate_race")
    url = postgres_server.url("migrate_race")
    # A migration that fails if it runs twice, besides the real ones.
    extra = Migration(len(bundled_migrations()) + 1, "counter",
                      "CREATE TABLE applied_once (n integer); INSERT INTO applied_once VALUES (1);")
    migrations = [*bundled_migrations(), extra]
    conns = [await asyncpg.connect(url) for _ in range(6)]
    try:
        applied = await asyncio.gather(*(migrate(c, migrations) for c in conns))
        every = sorted(v for versions in applied for v in versions)
        assert every == [m.version for m in migrations], "each applied by exactly one"
        assert sum(1 for versions in applied if versions) == 1, "the first one did them all"
        rows = await conns[0].fetch("SELECT version, name FROM schema_migrations ORDER BY 1")
        assert [(r["version"], r["name"]) for r in rows] == [(m.version, m.name)
                                                             for m in migrations]
        assert await conns[0].fetchval("SELECT count(*) FROM applied_once") == 1
        assert await migrate(conns[1], migrations) == [], "a later start has nothing to do"
    finally:
        for c in conns:
            await c.close()
        postgres_server.admin("DROP DATABASE migrate_race WITH (FORCE)")


async def test_an_applied_migration_that_changed_stops_the_start(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        first = bundled_migrations()[0]
        edited = Migration(first.version, first.name, first.sql + "\n-- edited\n")
        with pytest.raises(ServiceError, match="changed after it was applied"):
            await migrate(conn, [edited])
        # The lock was released: another applier is not stuck behind it.
        assert await asyncio.wait_for(migrate(conn), 5) == []
    finally:
        await conn.close()


# -- roster imports ---------------------------------------------------------------


async def test_an_import_reports_added_changed_unchanged_and_deactivated(
        records: PostgresRecords) -> None:
    await records.ensure_org("acme")
    assert await import_rows(records, "acme", STAFF) == "4/0/0/0"
    moved = [STAFF[0], STAFF[1], STAFF[2].replace("Göteborg", "Malmö"),
             "E3,Cilla,Ek,cilla@example.se,HR,Umeå,T1,employee"]
    assert await import_rows(records, "acme", moved) == "1/1/2/1"
    people = {p.employee_id: p for p in await records.people("acme", active_only=False)}
    assert people["E1"].site == "Malmö"
    assert not people["E2"].active, "left out of a full file: deactivated, not deleted"
    assert people["E3"].manager_id == "T1" and people["E3"].language is Language.SV
    # Back in the file: active again, counted as changed.
    assert await import_rows(records, "acme", [*moved, STAFF[3]]) == "0/1/4/0"
    assert (await records.person("acme", "E2")).active


async def test_importing_the_same_file_again_changes_nothing(records: PostgresRecords) -> None:
    await records.ensure_org("acme")
    await import_rows(records, "acme", STAFF)
    before = await snapshot(records, "acme")
    assert await import_rows(records, "acme", STAFF) == "0/0/4/0"
    assert await snapshot(records, "acme") == before


async def test_two_people_with_the_same_name_are_two_people(records: PostgresRecords) -> None:
    await records.ensure_org("acme")
    await import_rows(records, "acme", STAFF)
    annas = [p for p in await records.people("acme") if p.name == "Anna Lind"]
    assert [(a.employee_id, a.level) for a in annas] == [("E2", Level.EMPLOYEE),
                                                         ("M1", Level.MANAGER)]


async def test_a_column_the_file_lacks_is_never_reset(records: PostgresRecords) -> None:
    await records.ensure_org("acme")
    with_language = [row + ",en" for row in STAFF]
    await import_rows(records, "acme", with_language, header=HEADER + ",language")
    assert await import_rows(records, "acme", STAFF) == "0/0/4/0"
    assert {p.language for p in await records.people("acme")} == {Language.EN}
    # An empty language cell says nothing either.
    await import_rows(records, "acme", [STAFF[0] + ",", *(r + ",sv" for r in STAFF[1:])],
                      header=HEADER + ",language")
    languages = {p.employee_id: p.language for p in await records.people("acme")}
    assert languages == {"T1": Language.EN, "M1": Language.SV, "E1": Language.SV,
                         "E2": Language.SV}


async def test_a_partial_import_adds_and_changes_and_deactivates_nobody(
        records: PostgresRecords) -> None:
    await records.ensure_org("acme")
    await import_rows(records, "acme", STAFF)
    added = ["E9,Nina,Ny,nina@example.se,IT,Umeå,M1,employee"]
    assert await import_rows(records, "acme", added, partial=True) == "1/0/0/0"
    assert len(await records.people("acme")) == 5


async def test_a_file_that_does_not_fit_the_stored_roster_changes_nothing(
        records: PostgresRecords) -> None:
    await records.ensure_org("acme")
    await import_rows(records, "acme", STAFF)
    guest = parse_roster(csv(["G1,Gus,Gäst,guest@example.se,,,,employee"]), "guest", partial=True)
    await records.add_person("acme", guest.people[0])
    before = await snapshot(records, "acme")
    # A good change and an address that the guest (who stays) already has: all or nothing.
    clash = [STAFF[0].replace("Stockholm", "Kiruna"), *STAFF[1:3],
             STAFF[3].replace("anna.lind@example.se", "guest@example.se")]
    with pytest.raises(RosterError) as caught:
        await import_rows(records, "acme", clash, name="clash.csv")
    assert [str(p) for p in caught.value.problems] == [
        "clash.csv:5: email: guest@example.se is already the address of 'G1', who stays in the "
        "roster"]
    assert await snapshot(records, "acme") == before
    # A full import leaves the guest (added outside the file) active.
    assert await import_rows(records, "acme", STAFF) == "0/0/4/0"
    assert (await records.person("acme", "G1")).active


async def test_an_address_moves_from_a_leaver_to_a_newcomer_in_one_import(
        records: PostgresRecords) -> None:
    await records.ensure_org("acme")
    await import_rows(records, "acme", STAFF)
    swapped = [*STAFF[:2], "E1,Björn,Berg,anna.lind@example.se,IT,Göteborg,M1,employee",
               "E7,Nils,Nyman,bjorn@example.se,IT,Luleå,M1,employee"]
    assert await import_rows(records, "acme", swapped) == "1/1/2/1"


async def test_an_import_into_an_unknown_organisation_is_refused(records: PostgresRecords) -> None:
    with pytest.raises(NotFound, match="no organisation 'nobody'"):
        await import_rows(records, "nobody", STAFF)


# -- organisations are kept apart ---------------------------------------------------


async def schedule(records: PostgresRecords, org: str) -> str:
    await records.create_program(org, ProgramSpec("leadership", f"Ledarskap {org}",
                                                  Audience.of()))
    await records.save_class_version(org, "listening", "id: listening\n", title=Text("L", "L"),
                                     duration_s=2700, created_by="admin@example.se")
    pc = await records.add_program_class(org, "leadership", ProgramClassSpec("listening"), {})
    pass_id = f"{org}-pass"
    await records.add_session(org, "leadership", pc.id, pass_id=pass_id, class_version=1,
                              duration_s=2700,
                              spec=SessionSpec(parse_start("2027-01-14T09:00", "Europe/Stockholm"),
                                               "Europe/Stockholm", 20, "Eva"))
    return pass_id


async def test_nothing_crosses_between_organisations(records: PostgresRecords) -> None:
    for org in ("acme", "bolag"):
        await records.ensure_org(org)
    await import_rows(records, "acme", STAFF)
    await import_rows(records, "bolag", [STAFF[0].replace("Greta", "Gun")])
    acme_pass, bolag_pass = await schedule(records, "acme"), await schedule(records, "bolag")

    assert (await records.person("bolag", "T1")).first_name == "Gun"
    assert (await records.person("acme", "T1")).first_name == "Greta"
    with pytest.raises(NotFound):
        await records.person("bolag", "E1")
    assert [p.name for p in await records.programs("bolag")] == ["Ledarskap bolag"]
    with pytest.raises(NotFound):
        await records.session("bolag", acme_pass)
    assert not await records.record_invitation("bolag", acme_pass, "T1"), "not bolag's pass"
    assert await records.record_invitation("acme", acme_pass, "T1")

    # A full import of one organisation deactivates nobody in the other.
    assert await import_rows(records, "bolag", [STAFF[0]]) == "0/1/0/0"
    assert len(await records.people("acme")) == 4

    # Erasing T1 of bolag leaves acme's T1 and their attendance.
    await records.record_invitation("bolag", bolag_pass, "T1")
    assert await records.erase_person("bolag", "T1") >= 2
    assert (await records.person("acme", "T1")).active
    assert len((await records.export_person("acme", "T1")).tables["attendance"]) == 1
    assert (await records.export_person("bolag", "T1")).empty

    # The database itself refuses a row that points into another organisation.
    async with records.pool.acquire() as conn:
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute("INSERT INTO attendance (org_id, pass_id, employee_id) "
                               "VALUES ('bolag', $1, 'E1')", acme_pass)


async def test_a_program_id_may_repeat_across_organisations_but_not_within_one(
        records: PostgresRecords) -> None:
    for org in ("acme", "bolag"):
        await records.ensure_org(org)
        await records.create_program(org, ProgramSpec("leadership", "L"))
    with pytest.raises(Conflict, match="program 'leadership' exists already in 'acme'"):
        await records.create_program("acme", ProgramSpec("leadership", "L"))


async def test_a_class_version_is_new_only_when_its_text_changed(records: PostgresRecords) -> None:
    await records.ensure_org("acme")
    save = records.save_class_version
    v1 = await save("acme", "c", "a: 1\n", title=Text("A", "A"), duration_s=60, created_by="x")
    again = await save("acme", "c", "a: 1\n", title=Text("A", "A"), duration_s=60, created_by="y")
    v2 = await save("acme", "c", "a: 2\n", title=Text("A", "A"), duration_s=60, created_by="x")
    assert (v1.version, again.version, v2.version) == (1, 1, 2)
    assert (await records.class_version("acme", "c")).version == 2
    assert (await records.class_version("acme", "c", 1)).yaml == "a: 1\n"
