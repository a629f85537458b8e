"""Changes to a running round: late joiners (leavers: :mod:`breakout.leavers`).

People in a breakout room are mid-conversation, so these functions move as
few people as possible instead of regrouping the round. Moves come back as
data; ``from_group`` indexes the groups passed in, ``to_group`` the groups
returned. Returned groups keep the input order, drop groups that became
empty and append new groups at the end.
"""

from __future__ import annotations

from collections.abc import Sequence

from breakout.engine import check_size
from breakout.errors import InfeasibleGrouping, PairingError
from breakout.problem import Problem, build_problem
from breakout.report import grouping_of
from breakout.values import Group, Meeting, Move, Person, Policy

__all__ = ["add_late_joiner", "constraints_of", "index_groups", "rebuild"]


def index_groups(
    groups: Sequence[Group], roster: Sequence[Person], history: Sequence[Meeting], policy: Policy, now: float
) -> tuple[Problem, list[list[int]]]:
    unique: dict[str, Person] = {}
    for p in roster:
        unique.setdefault(p.id, p)
    pb = build_problem(list(unique.values()), history, policy, now)
    idx = {p.id: i for i, p in enumerate(pb.people)}
    current: list[list[int]] = []
    for g, group in enumerate(groups):
        missing = [m for m in group.members if m not in idx]
        if missing:
            raise PairingError(f"group {g} has members not among the people present: {', '.join(missing)}")
        current.append([idx[m] for m in group.members])
    return pb, current


def rebuild(
    pb: Problem,
    groups: Sequence[Group],
    current: list[list[int]],
    changed: dict[int, str],
) -> tuple[tuple[Group, ...], list[int]]:
    """Rebuild the groups: fresh reasons for changed ones (plus the change's
    code), untouched ones as they were; drop empty groups. Returns the new
    groups and the old-to-new index map (-1 for dropped)."""
    fresh = grouping_of(pb, current, {g: (code,) for g, code in changed.items()}).groups
    out: list[Group] = []
    new_index: list[int] = []
    for g, members in enumerate(current):
        if not members:
            new_index.append(-1)
            continue
        new_index.append(len(out))
        out.append(fresh[g] if g in changed or g >= len(groups) else groups[g])
    return tuple(out), new_index


def _hard_with(pb: Problem, x: int, members: Sequence[int]) -> bool:
    return any(pb.key(x, m) in pb.hard for m in members)


def _live_with(pb: Problem, x: int, members: Sequence[int]) -> bool:
    return any(pb.is_live(pb.key(x, m)) for m in members)


def _gain(pb: Problem, x: int, members: Sequence[int]) -> float:
    return sum(pb.w(x, m) for m in members)


def add_late_joiner(
    groups: Sequence[Group],
    person: Person,
    people: Sequence[Person],
    history: Sequence[Meeting],
    policy: Policy,
    *,
    size: int,
    now: float,
    waiting: Sequence[Person] = (),
) -> tuple[tuple[Group, ...], tuple[Move, ...]]:
    """Place ``person``, who arrived after the round was formed.

    In order of preference: into an existing group with room (a pair
    becomes a trio; room means fewer than ``size + 1`` members) where that
    adds a new cross-department contact; else into a new pair with the best
    person in ``waiting`` (other late joiners not yet placed); else into the
    best group with room; else with one member taken from a group of three
    or more. With no groups and nobody waiting nothing changes and the
    person waits. Raises :class:`InfeasibleGrouping` when every option
    breaks a hard constraint.
    """
    check_size(size)
    pb, current = index_groups(groups, [*people, person, *waiting], history, policy, now)
    idx = {p.id: i for i, p in enumerate(pb.people)}
    x = idx[person.id]
    if any(x in g for g in current):
        raise PairingError(f"{person.id} is already in a group")
    placed = {m for g in current for m in g}
    cap = size + 1
    joins = []
    for g, members in enumerate(current):
        if len(members) >= cap or _hard_with(pb, x, members):
            continue
        new_cross = any(
            _cross(pb, x, m) and not pb.met(x, m) for m in members
        ) and not _live_with(pb, x, members)
        # Smaller groups first: a pair turning trio disturbs less than a trio turning four.
        joins.append((new_cross, -len(members), _gain(pb, x, members), -g))
    if joins:
        best = max(joins)
        if best[0]:
            return _join(pb, groups, current, x, -best[3])
    partners = [
        (not pb.is_live(pb.key(x, y)), pb.w(x, y), -y)
        for p in waiting
        if (y := idx[p.id]) != x and y not in placed and pb.key(x, y) not in pb.hard
    ]
    if partners:
        y = -max(partners)[2]
        current.append([y, x])
        out, new_index = rebuild(pb, groups, current, {len(current) - 1: "late-joiner"})
        g = new_index[-1]
        return out, (Move(pb.name(y), None, g), Move(person.id, None, g))
    if joins:
        return _join(pb, groups, current, x, -max(joins)[3])
    pulls = []
    for g, members in enumerate(current):
        if len(members) < 3:
            continue
        for m in members:
            if pb.key(x, m) in pb.hard:
                continue
            loss = sum(pb.w(m, o) for o in members if o != m)
            pulls.append((not pb.is_live(pb.key(x, m)), pb.w(x, m) - loss, -g, -m))
    if pulls:
        _, _, neg_g, neg_m = max(pulls)
        g, m = -neg_g, -neg_m
        current[g].remove(m)
        current.append([m, x])
        out, new_index = rebuild(pb, groups, current, {g: "regrouped", len(current) - 1: "late-joiner"})
        return out, (Move(pb.name(m), g, new_index[-1]), Move(person.id, None, new_index[-1]))
    if not current and not waiting:
        return tuple(groups), ()
    raise InfeasibleGrouping(
        f"cannot place late joiner {person.id}: every group and waiting person breaks a hard constraint "
        f"({constraints_of(pb, x)})"
    )


def _join(
    pb: Problem, groups: Sequence[Group], current: list[list[int]], x: int, g: int
) -> tuple[tuple[Group, ...], tuple[Move, ...]]:
    current[g].append(x)
    out, new_index = rebuild(pb, groups, current, {g: "late-joiner"})
    return out, (Move(pb.name(x), None, new_index[g]),)


def _cross(pb: Problem, a: int, b: int) -> bool:
    da, db = pb.people[a].department, pb.people[b].department
    return bool(da and db and da != db)


def constraints_of(pb: Problem, x: int) -> str:
    texts = sorted(text for key, text in pb.hard.items() if x in divmod(key, pb.n))
    return "; ".join(texts) or "no constraint names this person"
