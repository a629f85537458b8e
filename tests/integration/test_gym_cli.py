"""The gym from the command line: roster, programs and sessions, invitations, erasure.

Each command runs in-process as ``onlive`` would (``orchestrator.root.cli.main``)
against the real Redis, LiveKit and this test's own PostgreSQL database.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import msgpack
import pytest
import redis

from orchestrator.root.cli import main
from tests.conftest import run_apart

pytestmark = pytest.mark.services

GOLDEN = Path(__file__).resolve().parents[1] / "exercises" / "gym" / "golden"


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


Onlive = Callable[..., Ran]


@pytest.fixture
def onlive(env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> Iterator[Onlive]:
    for name in [n for n in os.environ if n.startswith("ONLIVE_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("ONLIVE_"):
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("ONLIVE_LOG_LEVEL", "WARNING")

    def run(*args: str) -> Ran:
        capsys.readouterr()
        code = main(list(args))
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)

    yield run


def rows(database_url: str, sql: str, *args: object) -> list[dict[str, object]]:
    async def fetch() -> list[dict[str, object]]:
        conn = await asyncpg.connect(database_url)
        try:
            return [dict(r) for r in await conn.fetch(sql, *args)]
        finally:
            await conn.close()
    return run_apart(fetch)


def test_roster_validate_and_import(onlive: Onlive, database_url: str) -> None:
    broken = str(GOLDEN / "roster.unknown-manager.broken.csv")
    ran = onlive("roster", "validate", broken)
    assert ran.code == 1
    assert ran.out.splitlines() == [
        f"{broken}:5: manager_employee_id: manager 'M099' is not in the roster",
        "1 problem; nothing would be imported"]
    good = str(GOLDEN / "roster.csv")
    assert onlive("roster", "validate", good).out == f"{good}: 6 people, valid\n"

    ran = onlive("roster", "import", good)
    assert (ran.code, ran.out) == (0, f"default: {good} (full): 6 added, 0 changed, "
                                      "0 unchanged, 0 deactivated\n"), ran.err
    assert "0 added, 0 changed, 6 unchanged, 0 deactivated" in onlive("roster", "import", good).out

    ran = onlive("roster", "import", broken)
    assert ran.code == 2 and f"{broken}:5: manager_employee_id" in ran.err
    assert "nothing was imported" in ran.err
    assert rows(database_url, "SELECT count(*) AS n FROM people WHERE active")[0]["n"] == 6
    assert onlive("roster", "import", good, "--org", "nowhere").err.startswith(
        "onlive: no organisation 'nowhere'; create it with `onlive org create nowhere")


def test_programs_and_sessions_and_bad_input_that_changes_nothing(onlive: Onlive) -> None:
    assert onlive("org", "create", "acme", "--name", "Acme AB", "--anonymity-k", "6").code == 0
    ran = onlive("program", "create", "ledarskap-2027", "--name", "Ledarskap 2027", "--org",
                 "acme", "--level", "manager", "--level", "top", "--cadence", "monthly",
                 "--mandatory", "--ends", "2027-12-31")
    assert ran.out == ("program ledarskap-2027 (Ledarskap 2027) in acme: audience levels: "
                       "manager, top, monthly, anonymity k 6\n"), ran.err
    assert onlive("program", "add-class", "ledarskap-2027", "listening-for-real", "--due",
                  "2027-02-28", "--org", "acme").out == \
        "class 1: listening-for-real, due 2027-02-28, mandatory\n"
    assert onlive("program", "add-class", "ledarskap-2027", "feedback-that-helps", "--optional",
                  "--org", "acme").out == "class 2: feedback-that-helps, due -, optional\n"
    passes = []
    for start, capacity in (("2027-01-14T09:00", "12"), ("2027-01-20T15:00", "2")):
        ran = onlive("session", "add", "ledarskap-2027", "1", "--start", start, "--capacity",
                     capacity, "--facilitator", "Eva Coach", "--org", "acme")
        assert ran.code == 0, ran.err
        passes.append(ran.out.split()[0])
    shown = onlive("program", "show", "ledarskap-2027", "--org", "acme").out
    assert shown.splitlines()[:5] == [
        "ledarskap-2027: Ledarskap 2027 (active)",
        "  audience: levels: manager, top; cadence: monthly; anonymity k: 6; … to 2027-12-31",
        "  classes:",
        "    1. listening-for-real  due 2027-02-28  mandatory",
        f"       {passes[0]}  2027-01-14 09:00 Europe/Stockholm  listening-for-real v1  "
        "0/12 enrolled  Eva Coach  scheduled"]
    assert onlive("program", "list", "--org", "acme").out.startswith("ledarskap-2027")
    assert onlive("program", "list").out == "", "the default organisation has none"

    bad = [
        (("session", "add", "ledarskap-2027", "1", "--start", "2027-03-28T02:30",
          "--capacity", "10", "--facilitator", "Eva"),
         "start: 2027-03-28T02:30 does not exist in Europe/Stockholm"),
        (("session", "add", "ledarskap-2027", "7", "--start", "2027-03-01T09:00",
          "--capacity", "10", "--facilitator", "Eva"),
         "class: program 'ledarskap-2027' has no class '7' (its classes: 1: listening-for-real, "
         "2: feedback-that-helps)"),
        (("session", "add", "ledarskap-2027", "1", "--start", "2027-03-01T09:00",
          "--capacity", "1", "--facilitator", "Eva"), "capacity: 2-1000 people, not 1"),
        (("program", "add-class", "ledarskap-2027", "no-such-class"),
         "no class 'no-such-class' in the library of 'acme' or the built-in one"),
        (("program", "add-class", "ledarskap-2027", "leadership-philosophy-in-practice"),
         "leadership_philosophy"),
        (("program", "add-class", "ledarskap-2027", "listening-for-real", "--due", "2028-01-31"),
         "due: 2028-01-31 is after the program ends (2027-12-31)"),
        (("program", "create", "Ledarskap!", "--name", "x"), "id: 'Ledarskap!' is not a program"),
        (("program", "create", "low-k", "--name", "x", "--anonymity-k", "3"),
         "anonymity threshold: 3 is below 'acme''s 6"),
        (("program", "create", "ledarskap-2027", "--name", "again"), "exists already"),
        (("session", "open", "nosuchpass"), "no session 'nosuchpass' in 'acme'"),
    ]
    for args, message in bad:
        ran = onlive(*args, "--org", "acme")
        assert ran.code == 2 and message in ran.err, (args, ran.err)
    assert onlive("program", "show", "ledarskap-2027", "--org", "acme").out == shown
    assert onlive("program", "list", "--org", "acme").out.count("\n") == 1


def test_a_programs_classes_move_and_go_unless_a_session_was_held(onlive: Onlive) -> None:
    onlive("program", "create", "gym", "--name", "Gym")
    for class_id in ("listening-for-real", "feedback-that-helps", "listening-for-real"):
        assert onlive("program", "add-class", "gym", class_id).code == 0
    empty = onlive("session", "add", "gym", "3", "--start", "2027-01-14T09:00", "--capacity",
                   "10", "--facilitator", "Eva").out.split()[0]
    ran = onlive("program", "move-class", "gym", "feedback-that-helps", "--to", "1")
    assert ran.out == ("1. feedback-that-helps  due -  optional\n"
                       "2. listening-for-real  due -  optional\n"
                       "3. listening-for-real  due -  optional\n"), ran.err
    ran = onlive("program", "remove-class", "gym", "3")
    assert ran.out.splitlines()[0] == "removed class 3: listening-for-real", ran.err
    assert empty not in onlive("program", "show", "gym").out, "its empty session went with it"
    held = onlive("session", "add", "gym", "2", "--start", "2027-01-15T09:00", "--capacity",
                  "10", "--facilitator", "Eva").out.split()[0]
    assert onlive("session", "open", held).code == 0
    shown = onlive("program", "show", "gym").out
    for args, message in (
            (("remove-class", "gym", "2"), "class 2: 1 of its sessions were held; it stays"),
            (("move-class", "gym", "1", "--to", "3"), "to: a position from 1 to 2, not 3"),
            (("move-class", "gym", "9", "--to", "1"), "has no class '9'")):
        ran = onlive("program", *args)
        assert ran.code == 2 and message in ran.err, (args, ran.err)
    assert onlive("program", "show", "gym").out == shown


def test_a_session_opens_as_its_pass_and_invitations_come_from_the_roster(
        onlive: Onlive, env: dict[str, str], database_url: str) -> None:
    assert onlive("roster", "import", str(GOLDEN / "roster.csv")).code == 0
    onlive("program", "create", "gym", "--name", "Gym")
    onlive("program", "add-class", "gym", "listening-for-real")
    pass_id = onlive("session", "add", "gym", "listening-for-real", "--start",
                     "2027-01-14T09:00", "--capacity", "10", "--facilitator", "Eva").out.split()[0]
    ran = onlive("pass", "invite", pass_id, "M010")
    assert ran.code == 2 and f"open it first (onlive session open {pass_id})" in ran.err
    opened = onlive("session", "open", pass_id)
    assert opened.code == 0, opened.err
    assert opened.out.splitlines()[0] == pass_id and "/f#credential=" in opened.out
    assert "cannot go from open to open" in onlive("session", "open", pass_id).err

    ran = onlive("pass", "invite", pass_id, "M010", "E101")
    assert ran.code == 0, ran.err
    assert [line.split(":")[0] for line in ran.out.splitlines()] == ["M010", "E101"]
    live = redis.Redis.from_url(env["ONLIVE_REDIS_URL"])

    def member(person_id: str) -> dict[str, object]:
        raw = live.get(f"onlive:person:{person_id}")
        assert isinstance(raw, bytes)
        return dict(msgpack.unpackb(raw, raw=False))

    assert member("default/M010") == {"id": "default/M010", "name": "Anna Lind",
                                      "department": "Ekonomi", "site": "Stockholm",
                                      "manager_id": "default/T001", "level": 1}
    assert member("default/E101")["name"] == "Anna Lind", "two Anna Linds, two people"
    assert member("default/E101")["manager_id"] == "default/M020"
    # The pass knows its program under the organisation's name.
    state = msgpack.unpackb(live.get(f"onlive:pass:{pass_id}"), raw=False)
    assert state["program"] == "default/gym"

    # A re-invite keeps what the roster says (and the roster's changes come through).
    assert onlive("pass", "invite", pass_id, "M010").code == 0
    assert member("default/M010")["level"] == 1
    assert rows(database_url, "SELECT employee_id FROM attendance ORDER BY 1") == [
        {"employee_id": "E101"}, {"employee_id": "M010"}]

    ran = onlive("pass", "invite", pass_id, "NOBODY")
    assert ran.code == 2 and "no person 'NOBODY' in the roster of 'default'" in ran.err
    onlive("org", "create", "other", "--name", "Other")
    ran = onlive("pass", "invite", pass_id, "M010", "--org", "other")
    assert ran.code == 2 and f"no pass '{pass_id}' in 'other'" in ran.err

    # Someone outside the roster file only when it is explicit; then invited like anyone.
    ran = onlive("person", "add", "X1", "--first-name", "Kim", "--last-name", "Konsult",
                 "--email", "kim@example.org", "--manager", "T001", "--level", "manager")
    assert ran.code == 0 and "outside the roster file" in ran.out, ran.err
    assert onlive("pass", "invite", pass_id, "X1").code == 0
    assert "'X2' is their own manager" in onlive(
        "person", "add", "X2", "--first-name", "A", "--last-name", "B", "--email",
        "x2@example.org", "--manager", "X2").err

    # Someone who left the roster is not invited.
    trimmed = GOLDEN.parent / "trimmed.csv"
    lines = (GOLDEN / "roster.csv").read_text(encoding="utf-8").splitlines()
    trimmed.write_text("\n".join(line for line in lines if not line.startswith("E101")) + "\n",
                       encoding="utf-8")
    try:
        assert "1 deactivated" in onlive("roster", "import", str(trimmed)).out
    finally:
        trimmed.unlink()
    assert "no longer active" in onlive("pass", "invite", pass_id, "E101").err


def person_tables(database_url: str) -> dict[str, list[str]]:
    """Every table with a column that can name a person, and those columns."""
    found = rows(database_url, """
        SELECT table_name, array_agg(column_name::text ORDER BY column_name) AS columns
        FROM information_schema.columns
        WHERE table_schema = 'public' AND column_name IN ('employee_id', 'manager_employee_id',
                                                          'a', 'b', 'created_by')
        GROUP BY table_name""")
    return {str(r["table_name"]): list(r["columns"]) for r in found}  # type: ignore[call-overload]


def test_export_and_erasure_cover_every_table(onlive: Onlive, database_url: str) -> None:
    onlive("roster", "import", str(GOLDEN / "roster.csv"))
    onlive("program", "create", "gym", "--name", "Gym")
    onlive("program", "add-class", "gym", "listening-for-real")
    pass_id = onlive("session", "add", "gym", "1", "--start", "2027-01-14T09:00", "--capacity",
                     "10", "--facilitator", "Eva").out.split()[0]
    onlive("session", "open", pass_id)
    onlive("pass", "invite", pass_id, "E100", "M010")
    pc = rows(database_url, "SELECT id FROM program_classes")[0]["id"]
    # What later work writes (enrolments, the journal, archived answers, pairings, links,
    # mail), written here directly so that erasure is shown to cover it.
    async def fill() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            for who in ("E100", "M010"):
                await conn.execute("INSERT INTO enrolments VALUES ('default', $1, $2, $3, "
                                   "'enrolled', NULL)", pass_id, who, pc)
                await conn.execute("INSERT INTO journal_entries VALUES ('default', $1, $2, "
                                   "'check-in', 'check-in', '{\"energy\": 4}', now())",
                                   who, pass_id)
                await conn.execute("INSERT INTO archived_answers VALUES ('default', $1, "
                                   "'reflection', $2, 'reflection', 'leadership', "
                                   "'{\"text\": \"hej\"}', now())", pass_id, who)
                await conn.execute("INSERT INTO personal_links (org_id, program_id, employee_id, "
                                   "token_hash) VALUES ('default', 'gym', $1, "
                                   "sha256(convert_to($1, 'UTF8')))", who)
                await conn.execute("INSERT INTO mail_outbox (org_id, employee_id, kind, "
                                   "dedupe_key) VALUES ('default', $1, 'enrolment', $1)", who)
            await conn.execute("INSERT INTO pairings VALUES ('default', 'gym', $1, 'E100', "
                               "'M010', now())", pass_id)
            await conn.execute("UPDATE class_versions SET created_by = 'bjorn.berg@example.se'")
        finally:
            await conn.close()
    run_apart(fill)

    exported = json.loads(onlive("person", "export", "E100").out)
    assert exported["organisation"] == "default"
    assert exported["person"]["id"] == "default/E100"
    records = exported["records"]
    assert records["people"][0]["first_name"] == "Björn"
    for table in ("enrolments", "attendance", "journal_entries", "archived_answers", "pairings",
                  "personal_links", "mail_outbox", "class_versions"):
        assert len(records[table]) == 1, table
    assert "token_hash" not in records["personal_links"][0]
    assert set(person_tables(database_url)) <= set(records), "export covers every such table"

    assert onlive("person", "erase", "E100").code == 2, "needs --yes"
    ran = onlive("person", "erase", "E100", "--yes")
    assert ran.code == 0 and re.search(r"\d+ stored row\(s\)", ran.out), ran.err
    for table, columns in person_tables(database_url).items():
        for column in columns:
            left = rows(database_url, f"SELECT * FROM {table} WHERE {column} IN "
                                      "('E100', 'bjorn.berg@example.se')")
            assert left == [], (table, column)
    after = json.loads(onlive("person", "export", "E100").out)
    assert after["person"] is None and not any(after["records"].values())
    other = json.loads(onlive("person", "export", "M010").out)
    assert len(other["records"]["journal_entries"]) == 1, "others keep theirs"
    assert other["records"]["pairings"] == [], "a pair with the erased person goes"
