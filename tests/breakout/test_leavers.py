"""Someone left a running round: the fewest moves that leave nobody alone."""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

import pytest

from breakout import Group, InfeasibleGrouping, Meeting, Move, Person, Policy, remove_leaver

POLICY = Policy()


def members(groups: Sequence[Group]) -> list[tuple[str, ...]]:
    return [g.members for g in groups]


def test_manager_left_alone_is_regrouped_in_two_moves_when_their_report_has_the_only_free_seat() -> None:
    # ann manages bob (in the only pair with room) and everyone in the trio.
    people = [Person("ann"), Person("lea"), Person("bob", manager_id="ann"), Person("xia"),
              *(Person(r, manager_id="ann") for r in ("cat", "dan", "eve"))]
    groups = (Group(("ann", "lea")), Group(("bob", "xia")), Group(("cat", "dan", "eve")))
    out, moves = remove_leaver(groups, "lea", people, [], POLICY, size=2, now=0.0)
    # xia keeps ann company; bob, left alone, is joined by one of ann's other reports.
    assert moves[:2] == (Move("lea", 0, None), Move("xia", 1, 0))
    assert len(moves) == 3 and moves[2].from_group == 2 and moves[2].to_group == 1
    assert sorted(len(g.members) for g in out) == [2, 2, 2]
    assert ("ann", "xia") in members(out)
    assert all("ann" not in g.members or "bob" not in g.members for g in out)


def test_lone_person_with_no_free_seat_they_may_take_is_regrouped_by_moving_two_others() -> None:
    # ann may meet nobody in the other pair; bob may not meet ann but fits there.
    people = [Person("ann"), Person("lea"), Person("bob", manager_id="ann"), Person("cid"),
              Person("fay", manager_id="ann"), Person("gus", manager_id="ann")]
    groups = (Group(("ann", "lea")), Group(("bob", "cid")), Group(("fay", "gus")))
    out, moves = remove_leaver(groups, "lea", people, [], POLICY, size=2, now=0.0)
    assert len(moves) == 3 and moves[0] == Move("lea", 0, None)
    assert sorted(len(g.members) for g in out) == [2, 3]
    assert ("ann", "cid") in [tuple(sorted(g.members)) for g in out]


def test_regroup_with_history_joins_the_group_nobody_has_met_over_a_better_scoring_one() -> None:
    # cat (it) would add two cross-department contacts with the sales pair,
    # but met eve there last week; the it/hr pair is new to her.
    people = [Person("ann", "hr"), Person("cat", "it"), Person("eve", "sales"), Person("fay", "sales"),
              Person("gil", "it"), Person("hal", "hr")]
    groups = (Group(("ann", "cat")), Group(("eve", "fay")), Group(("gil", "hal")))
    history = [Meeting("cat", "eve", "pass-1", 0.0)]
    without, _ = remove_leaver(groups, "ann", people, [], POLICY, size=2, now=7 * 86400.0)
    assert ("eve", "fay", "cat") in members(without)  # what the regroup did without history
    with_history, moves = remove_leaver(groups, "ann", people, history, POLICY, size=2, now=7 * 86400.0)
    assert moves == (Move("ann", 0, None), Move("cat", 0, 1))
    assert members(with_history) == [("eve", "fay"), ("gil", "hal", "cat")]
    assert "repeat" not in with_history[1].reasons


def test_regroup_impossible_within_the_move_limit_raises_naming_the_lone_person() -> None:
    people = [Person("ann"), Person("lea"), *(Person(r, manager_id="ann") for r in ("bob", "cat"))]
    groups = (Group(("ann", "lea")), Group(("bob", "cat")))
    with pytest.raises(InfeasibleGrouping) as refused:
        remove_leaver(groups, "lea", people, [], POLICY, size=2, now=0.0)
    assert refused.value.message == (
        "cannot regroup ann after lea left: no way within 3 moves keeps every hard constraint "
        "(hierarchy: ann is the manager of bob; hierarchy: ann is the manager of cat)")


def _valid(groups: list[list[str]], before: dict[str, int], hard: set[frozenset[str]], cap: int) -> bool:
    for members in groups:
        if len(members) == 1 or len(members) > cap:
            return False
        for a, b in itertools.combinations(members, 2):
            if frozenset((a, b)) in hard and before[a] != before[b]:
                return False
    return True


def _fewest_moves(groups: list[list[str]], hard: set[frozenset[str]], cap: int, limit: int) -> int | None:
    """Brute force: the fewest people moved, one at a time into a non-empty
    group, until every group is valid."""
    before = {m: g for g, members in enumerate(groups) for m in members}
    everyone = sorted(before)
    for count in range(1, limit + 1):
        for movers in itertools.combinations(everyone, count):
            targets = [[g for g in range(len(groups)) if g != before[m]] for m in movers]
            for choice in itertools.product(*targets):
                after = [[m for m in members if m not in movers] for members in groups]
                origins = {g for g, members in enumerate(after) if members}
                if not all(t in origins for t in choice):
                    continue  # nobody moves into a group that emptied
                for m, t in zip(movers, choice):
                    after[t].append(m)
                if _valid([a for a in after if a], before, hard, cap):
                    return count
    return None


@pytest.mark.parametrize("case", range(400))
def test_regroup_uses_as_few_moves_as_any_plan_of_up_to_three(case: int) -> None:
    rng = random.Random(case)
    size = rng.choice([2, 2, 3])
    n = rng.randint(5, 8)
    ids = [f"u{i}" for i in range(n)]
    people = [Person(p) for p in ids]
    # Dense "not with" lists, so that one move is often not enough.
    barred = [(a, b) for a, b in itertools.combinations(ids, 2) if rng.random() < 0.4]
    policy = Policy(not_with={a: frozenset(b for x, b in barred if x == a) for a, _ in barred})
    hard = {frozenset(pair) for pair in barred}
    order = rng.sample(ids, n)
    sizes = [2]
    while sum(sizes) < n:
        sizes.append(min(rng.randint(2, size + 1), n - sum(sizes)))
    if sizes[-1] == 1:
        sizes[-2:] = [sizes[-2] + 1] if sizes[-2] < size + 1 else [2, sizes[-2] - 1]
    starts = list(itertools.accumulate([0, *sizes]))
    parts = [order[a:b] for a, b in zip(starts, starts[1:])]
    assert all(2 <= len(p) <= size + 1 for p in parts) and sum(map(len, parts)) == n
    leaver = parts[0][0]  # from a pair: someone is left alone
    groups = tuple(Group(tuple(p)) for p in parts)
    rest = [[m for m in p if m != leaver] for p in parts]
    expected = _fewest_moves(rest, hard, size + 1, 3)
    try:
        out, moves = remove_leaver(groups, leaver, people, [], policy, size=size, now=0.0)
    except InfeasibleGrouping:
        assert expected is None
        return
    assert len(moves) - 1 == expected
    assert all(2 <= len(g.members) <= size + 1 for g in out)
    assert not any(frozenset(pair) in hard for g in out for pair in itertools.combinations(g.members, 2)
                   if not any(set(pair) <= set(p) for p in parts))
