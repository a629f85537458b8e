"""The roster file: every problem kind from a golden file's broken twin, and the rules
that need the stored roster."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises.gym.errors import RosterError
from exercises.gym.roster import (
    Language,
    Level,
    Roster,
    StoredPerson,
    check_against,
    parse_roster,
)

GOLDEN = Path(__file__).with_name("golden")
HEADER = "employee_id,first_name,last_name,email,department,site,manager_employee_id,level"


def parse(name: str, *, partial: bool = False) -> Roster:
    return parse_roster((GOLDEN / name).read_bytes(), name, partial=partial)


def problems_of(name: str) -> list[str]:
    with pytest.raises(RosterError) as caught:
        parse(name)
    return [str(p) for p in caught.value.problems]


def test_the_golden_roster_reads_every_person_with_their_fields() -> None:
    roster = parse("roster.csv")
    assert [(p.employee_id, p.name, p.manager_id, p.level, p.language, p.line)
            for p in roster.people] == [
        ("T001", "Greta Nyström", None, Level.TOP, Language.SV, 2),
        ("M010", "Anna Lind", "T001", Level.MANAGER, Language.SV, 3),
        ("M020", "Cecilia Holm", "T001", Level.MANAGER, Language.EN, 4),
        ("E100", "Björn Berg", "M010", Level.EMPLOYEE, None, 5),  # empty cell: not said
        ("E101", "Anna Lind", "M020", Level.EMPLOYEE, Language.SV, 6),
        ("E102", "Elin, Maria Sandberg", "M010", Level.EMPLOYEE, Language.EN, 7),
    ]
    assert roster.optional_columns == {"language"} and not roster.partial
    assert [p.level.rank for p in roster.people[:3]] == [2, 1, 1]


def test_semicolons_a_byte_order_mark_and_crlf_read_the_same() -> None:
    assert [(p.employee_id, p.first_name, p.email, p.department)
            for p in parse("roster-semicolon.csv").people] == \
        [(p.employee_id, p.first_name, p.email, p.department) for p in parse("roster.csv").people]


def test_a_roster_without_the_language_column_says_nothing_about_language() -> None:
    roster = parse("roster-no-language.csv")
    assert roster.optional_columns == frozenset()
    assert {p.language for p in roster.people} == {None}


@pytest.mark.parametrize(("twin", "expected"), [
    ("missing-id", ["5: employee_id: missing; every person needs their employee id"]),
    ("duplicate-id", ["6: employee_id: duplicate employee id 'E100' (also on line 5)"]),
    ("missing-email", ["5: email: missing; invitations and reminders go to this address"]),
    ("duplicate-email", ["6: email: duplicate e-mail Anna.Lind@example.se (also on line 3)"]),
    ("bad-email", ["5: email: 'bjorn.berg(at)example.se' is not an e-mail address"]),
    ("unknown-manager", ["5: manager_employee_id: manager 'M099' is not in the roster"]),
    ("own-manager", ["5: manager_employee_id: 'E100' is their own manager; leave the cell "
                     "empty for someone without a manager"]),
    ("manager-cycle", ["3: manager_employee_id: manager cycle: M010 → M020 → M010",
                       "4: manager_employee_id: manager cycle: M020 → M010 → M020"]),
    ("unknown-level", ["5: level: unknown level 'boss'; use employee, manager or top"]),
    ("bad-language", ["4: language: unknown language 'de'; use sv or en"]),
    ("encoding", ["5: encoding: not UTF-8 text (byte 0xf6 at position 8); it looks like "
                  "Windows-1252 or Latin-1 (Excel's plain 'CSV'): save it as 'CSV UTF-8'"]),
    ("missing-column", ["1: header: missing column 'site'"]),
    ("row-length", ["7: row: 10 cells, but the header has 9 columns (a missing or extra "
                    "','?)"]),
])
def test_each_broken_twin_gives_exactly_its_problem_with_file_line_and_column(
        twin: str, expected: list[str]) -> None:
    name = f"roster.{twin}.broken.csv"
    assert parse("roster.csv").people, "the golden file itself is valid"
    assert problems_of(name) == [f"{name}:{line}" for line in expected]


def test_every_problem_of_a_file_is_reported_in_one_run() -> None:
    text = "\n".join([
        HEADER + ",language,badge",
        "E1,Anna,Lind,anna@example.se,HR,Malmö,,top,sv,x",
        "E1,,Lind,anna@example.se,HR,Malmö,E9,chief,fi,x",
        "E3,Bo,Ek,bo at example,IT,Umeå,E3,employee,,x",
    ]).encode()
    with pytest.raises(RosterError) as caught:
        parse_roster(text, "all.csv")
    assert [str(p) for p in caught.value.problems] == [
        "all.csv:1: header: unknown column 'badge'; the columns are " + HEADER
        + " and optionally language",
        "all.csv:3: email: duplicate e-mail anna@example.se (also on line 2)",
        "all.csv:3: employee_id: duplicate employee id 'E1' (also on line 2)",
        "all.csv:3: first_name: missing",
        "all.csv:3: language: unknown language 'fi'; use sv or en",
        "all.csv:3: level: unknown level 'chief'; use employee, manager or top",
        "all.csv:4: email: 'bo at example' is not an e-mail address",
        "all.csv:4: manager_employee_id: 'E3' is their own manager; leave the cell empty for "
        "someone without a manager",
    ]
    assert "nothing was imported" in str(caught.value)


def test_an_empty_file_a_bare_header_and_repeated_columns_are_refused() -> None:
    for data, expected in [
        (b"", "e.csv:1: header: the file is empty; the first line must be the header: "
              + HEADER),
        (HEADER.encode() + b"\n", "e.csv:2: row: the file has a header but no people"),
        ((HEADER + ",level").encode() + b"\nE1,A,B,a@b.se,,,,top,top\n",
         "e.csv:1: header: column 'level' appears twice"),
    ]:
        with pytest.raises(RosterError) as caught:
            parse_roster(data, "e.csv")
        assert [str(p) for p in caught.value.problems] == [expected]


def test_a_quoted_cell_over_two_lines_keeps_later_line_numbers_right() -> None:
    text = (HEADER + '\nE1,"Anna\nMaria",Lind,anna@example.se,,,,top\nE2,Bo,Ek,bo@x,,,E1,oops\n')
    with pytest.raises(RosterError) as caught:
        parse_roster(text.encode(), "q.csv")
    assert [str(p) for p in caught.value.problems] == [
        "q.csv:4: email: 'bo@x' is not an e-mail address",
        "q.csv:4: level: unknown level 'oops'; use employee, manager or top",
    ]


def test_a_long_manager_cycle_is_named_briefly_and_found_in_linear_time() -> None:
    rows = [HEADER] + [f"E{i},F,L,p{i}@example.se,,,E{(i + 1) % 5000},employee"
                       for i in range(5000)]
    with pytest.raises(RosterError) as caught:
        parse_roster("\n".join(rows).encode(), "loop.csv")
    problems = caught.value.problems
    assert len(problems) == 5000
    assert str(problems[0]) == ("loop.csv:2: manager_employee_id: manager cycle: E0 → E1 → E2 → "
                                "E3 → E4 → E5 → … (5000 people) → E0")


def test_someone_below_a_cycle_is_not_on_it() -> None:
    rows = [HEADER, "A,F,L,a@example.se,,,B,manager", "B,F,L,b@example.se,,,A,manager",
            "C,F,L,c@example.se,,,A,employee"]
    with pytest.raises(RosterError) as caught:
        parse_roster("\n".join(rows).encode(), "c.csv")
    assert [p.line for p in caught.value.problems] == [2, 3]


def stored(manager: str | None = None, email: str = "", *, active: bool = True,
           from_roster: bool = True) -> StoredPerson:
    return StoredPerson(manager, email, active, from_roster)


def test_a_partial_file_may_name_managers_who_are_only_in_the_stored_roster() -> None:
    text = (HEADER + "\nN1,Nina,Ny,nina@example.se,IT,Umeå,M010,employee\n"
            "N2,Olle,Ny,olle@example.se,IT,Umeå,GONE,employee\n"
            "N3,Per,Ny,per@example.se,IT,Umeå,NOBODY,employee\n").encode()
    with pytest.raises(RosterError, match="manager 'M010' is not in the roster"):
        parse_roster(text, "p.csv")
    roster = parse_roster(text, "p.csv", partial=True)
    problems = check_against(roster, {"M010": stored(None, "anna@example.se"),
                                      "GONE": stored(None, "g@example.se", active=False)})
    assert [str(p) for p in problems] == [
        "p.csv:3: manager_employee_id: manager 'GONE' is no longer active in the roster",
        "p.csv:4: manager_employee_id: manager 'NOBODY' is neither in this file nor in the "
        "roster",
    ]


def test_a_partial_file_may_not_close_a_manager_cycle_through_stored_people() -> None:
    roster = parse_roster((HEADER + "\nM1,A,B,m1@example.se,,,M2,manager\n").encode(), "p.csv",
                          partial=True)
    problems = check_against(roster, {"M2": stored("M1", "m2@example.se")})
    assert [str(p) for p in problems] == [
        "p.csv:2: manager_employee_id: manager cycle with the stored roster: M1 → M2 → M1"]


def test_an_address_of_someone_who_stays_is_taken_and_of_a_leaver_is_free() -> None:
    full = parse("roster.csv")
    leaver = {"X1": stored(None, "bjorn.berg@example.se")}
    assert check_against(full, leaver) == [], "a full file deactivates roster people it leaves out"
    guest = {"G1": stored(None, "BJORN.BERG@example.se", from_roster=False)}
    assert [str(p) for p in check_against(full, guest)] == [
        "roster.csv:5: email: bjorn.berg@example.se is already the address of 'G1', who stays "
        "in the roster"]
    partial = parse("roster.csv", partial=True)
    assert [p.line for p in check_against(partial, leaver)] == [5]
    inactive = {"X1": stored(None, "bjorn.berg@example.se", active=False)}
    assert check_against(partial, inactive) == []
