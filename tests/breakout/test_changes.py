"""Late joiners and leavers: fewest moves, nobody alone, moves as data."""

from __future__ import annotations

import pytest

from breakout import (
    Group,
    InfeasibleGrouping,
    Meeting,
    Move,
    PairingError,
    Person,
    Policy,
    add_late_joiner,
    remove_leaver,
)

POLICY = Policy()
PEOPLE = [
    Person("ann", "sales"),
    Person("bob", "sales"),
    Person("cat", "it"),
    Person("dan", "it"),
]


def test_late_joiner_turns_a_pair_into_a_trio_with_a_new_cross_department_contact() -> None:
    groups = (Group(("ann", "bob")), Group(("cat", "dan")))
    eve = Person("eve", "it")
    out, moves = add_late_joiner(groups, eve, [*PEOPLE, eve], [], POLICY, size=2, now=0.0)
    assert moves == (Move("eve", None, 0),)
    assert out[0].members == ("ann", "bob", "eve")
    assert "late-joiner" in out[0].reasons
    assert out[1] is groups[1]


def test_late_joiner_pairs_with_a_waiting_joiner_when_no_group_gains_a_new_contact() -> None:
    groups = (Group(("ann", "cat")),)
    eve, fay = Person("eve", "it"), Person("fay", "sales")
    history = [Meeting("eve", "ann", "p0", 0.0)]
    out, moves = add_late_joiner(
        groups, eve, [*PEOPLE[:1], PEOPLE[2], eve, fay], history, POLICY, size=2, now=0.0, waiting=[fay]
    )
    assert moves == (Move("fay", None, 1), Move("eve", None, 1))
    assert out[1].members == ("fay", "eve")


def test_late_joiner_with_nobody_to_join_waits() -> None:
    eve = Person("eve")
    assert add_late_joiner((), eve, [eve], [], POLICY, size=2, now=0.0) == ((), ())


def test_late_joiner_avoids_their_manager() -> None:
    groups = (Group(("ann", "bob")), Group(("cat", "dan")))
    eve = Person("eve", "hr", manager_id="ann")
    out, moves = add_late_joiner(groups, eve, [*PEOPLE, eve], [], POLICY, size=2, now=0.0)
    assert moves == (Move("eve", None, 1),)


def test_late_joiner_who_fits_nowhere_raises_naming_them_and_the_constraint() -> None:
    groups = (Group(("ann", "bob")),)
    eve = Person("eve", manager_id="ann")
    policy = Policy(not_with={"eve": frozenset({"bob"})})
    with pytest.raises(InfeasibleGrouping, match=r"eve.*hierarchy: ann is the manager of eve.*not-with"):
        add_late_joiner(groups, eve, [*PEOPLE[:2], eve], [], policy, size=2, now=0.0)


def test_leaver_from_a_trio_moves_nobody_else() -> None:
    groups = (Group(("ann", "bob", "cat")), Group(("dan", "eve")))
    people = [*PEOPLE, Person("eve")]
    out, moves = remove_leaver(groups, "bob", people, [], POLICY, size=2, now=0.0)
    assert moves == (Move("bob", 0, None),)
    assert out[0].members == ("ann", "cat") and out[1] is groups[1]


def test_leaver_from_a_pair_sends_the_partner_to_the_best_pair() -> None:
    groups = (Group(("ann", "cat")), Group(("bob", "dan")), Group(("eve", "fay")))
    people = [*PEOPLE, Person("eve", "sales"), Person("fay", "sales")]
    out, moves = remove_leaver(groups, "ann", people, [], POLICY, size=2, now=0.0)
    # cat (it) joins the sales pair: two new cross-department contacts.
    assert moves == (Move("ann", 0, None), Move("cat", 0, 1))
    assert [g.members for g in out] == [("bob", "dan"), ("eve", "fay", "cat")]


def test_leaver_from_a_pair_is_replaced_from_a_trio_when_no_pair_has_room() -> None:
    groups = (Group(("ann", "cat")), Group(("bob", "dan", "eve")))
    people = [*PEOPLE, Person("eve", "sales")]
    out, moves = remove_leaver(groups, "ann", people, [], POLICY, size=2, now=0.0)
    # A trio cannot become a four in a round of pairs, so one of it comes over.
    assert moves[0] == Move("ann", 0, None)
    assert len(moves) == 2 and moves[1].from_group == 1 and moves[1].to_group == 0
    assert sorted(len(g.members) for g in out) == [2, 2]


def test_last_two_splitting_up_raises_only_one_person_present() -> None:
    with pytest.raises(InfeasibleGrouping, match="only one person present"):
        remove_leaver((Group(("ann", "bob")),), "ann", PEOPLE, [], POLICY, size=2, now=0.0)


def test_unknown_leaver_raises() -> None:
    with pytest.raises(PairingError, match="zed is not in any group"):
        remove_leaver((Group(("ann", "bob")),), "zed", PEOPLE, [], POLICY, size=2, now=0.0)
