"""Programs, audiences and sessions as checked values; the session lifecycle."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest

from exercises.gym.errors import InvalidProgram, InvalidSession
from exercises.gym.ids import live_id, split_live_id
from exercises.gym.program import (
    Audience,
    ProgramClassSpec,
    ProgramSpec,
    SessionSpec,
    SessionState,
    check_arrangement,
    moved,
    parse_start,
    transition,
)
from exercises.gym.roster import Level

STOCKHOLM = "Europe/Stockholm"


def test_an_audience_of_nobody_in_particular_is_everyone() -> None:
    everyone = Audience.of()
    assert everyone.everyone and everyone.includes("IT", "Umeå", Level.TOP)
    assert everyone.describe() == "everyone"


def test_an_audience_matches_every_named_dimension() -> None:
    audience = Audience.of(["IT", " HR ", "IT"], [], ["Manager", "top"])
    assert audience.departments == ("IT", "HR") and audience.levels == (Level.MANAGER, Level.TOP)
    assert audience.includes("HR", "Malmö", Level.TOP)
    assert not audience.includes("HR", "Malmö", Level.EMPLOYEE)
    assert not audience.includes("Sälj", "Malmö", Level.MANAGER)
    assert audience.describe() == "departments: IT, HR; levels: manager, top"
    with pytest.raises(InvalidProgram, match="audience: unknown level 'boss'"):
        Audience.of(levels=["boss"])


@pytest.mark.parametrize(("make", "message"), [
    (lambda: ProgramSpec("Ledarskap 2027", "x"), "id: 'Ledarskap 2027' is not a program id"),
    (lambda: ProgramSpec("l27", " "), "name: 1-120 characters"),
    (lambda: ProgramSpec("l27", "L", anonymity_k=1), "anonymity threshold: 2-100, not 1"),
    (lambda: ProgramSpec("l27", "L", starts_on=date(2027, 2, 1), ends_on=date(2027, 1, 1)),
     "ends on 2027-01-01, before it starts on 2027-02-01"),
    (lambda: ProgramClassSpec("bad id"), "class: 'bad id' is not a class id"),
])
def test_a_bad_program_is_refused_naming_the_field(make: object, message: str) -> None:
    with pytest.raises(InvalidProgram, match=message):
        make()  # type: ignore[operator]


def test_a_local_start_is_read_in_its_time_zone() -> None:
    start = parse_start("2027-01-14T09:00", STOCKHOLM)
    assert start.utcoffset() == timedelta(hours=1) and start.hour == 9
    summer = parse_start("2027-06-14T09:00", STOCKHOLM)
    assert summer.utcoffset() == timedelta(hours=2)
    assert parse_start("2027-01-14T09:00+01:00", STOCKHOLM) == start


@pytest.mark.parametrize(("text", "message"), [
    ("14/1 9:00", "start: '14/1 9:00' is not a date and time"),
    ("2027-03-28T02:30", "does not exist in Europe/Stockholm"),
    ("2027-10-31T02:30", "happens twice in Europe/Stockholm"),
    ("2027-01-14T09:00+02:00", "has offset +02:00, but Europe/Stockholm is at +01:00"),
])
def test_a_start_that_is_not_one_clear_moment_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidSession, match=re.escape(message)):
        parse_start(text, STOCKHOLM)


def test_a_session_needs_a_real_zone_a_capacity_for_pairs_and_a_facilitator() -> None:
    start = parse_start("2027-01-14T09:00", STOCKHOLM)
    SessionSpec(start, STOCKHOLM, 2, "Eva")
    with pytest.raises(InvalidSession, match="time zone: 'Mars/Olympus'"):
        parse_start("2027-01-14T09:00", "Mars/Olympus")
    with pytest.raises(InvalidSession, match="capacity: 2-1000 people, not 1"):
        SessionSpec(start, STOCKHOLM, 1, "Eva")
    with pytest.raises(InvalidSession, match="facilitator"):
        SessionSpec(start, STOCKHOLM, 20, "  ")
    with pytest.raises(InvalidSession, match="needs its time zone"):
        SessionSpec(datetime(2027, 1, 14, 9), STOCKHOLM, 20, "Eva")


def test_the_session_lifecycle_allows_only_its_moves() -> None:
    history = [SessionState.SCHEDULED]
    for to in (SessionState.OPEN, SessionState.ENDED):
        history.append(transition(history[-1], to))
    assert history == [SessionState.SCHEDULED, SessionState.OPEN, SessionState.ENDED]
    assert transition(SessionState.SCHEDULED, SessionState.CANCELLED) is SessionState.CANCELLED
    with pytest.raises(InvalidSession, match="cannot go from ended to open"):
        transition(SessionState.ENDED, SessionState.OPEN)
    with pytest.raises(InvalidSession, match="cannot go from open to open"):
        transition(SessionState.OPEN, SessionState.OPEN)


def test_live_ids_are_qualified_by_the_organisation() -> None:
    assert live_id("acme", "E1001") == "acme/E1001"
    assert split_live_id("acme/E1001") == ("acme", "E1001")
    assert split_live_id("p-anna") is None and split_live_id("Acme/E1") is None


def test_a_new_class_order_accounts_for_each_current_class_once() -> None:
    check_arrangement([7, 8, 9], [9, None, 7], removed=[8])
    check_arrangement([], [None, None], removed=[])
    for order, removed in (([9, 7], []),  # 8 left out
                           ([9, 8, 7, 8], []),  # 8 twice
                           ([9, 8, 7], [8]),  # kept and removed
                           ([9, 8, 7, 6], [])):  # 6 is not the program's (any more)
        with pytest.raises(InvalidProgram) as refused:
            check_arrangement([7, 8, 9], order, removed)
        assert refused.value.code == "classes_changed"


def test_moving_a_class_shifts_the_others_and_refuses_a_place_outside_the_sequence() -> None:
    assert moved([1, 2, 3, 4], 3, 1) == [4, 1, 2, 3]
    assert moved([1, 2, 3, 4], 0, 4) == [2, 3, 4, 1]
    assert moved([1, 2, 3, 4], 1, 2) == [1, 2, 3, 4]
    for to in (0, 5):
        with pytest.raises(InvalidProgram, match="a position from 1 to 4"):
            moved([1, 2, 3, 4], 0, to)
