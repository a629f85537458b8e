"""Someone left a running round: regroup so that nobody is alone.

The person left behind is helped with the fewest moves that keep every
hard constraint, found as chains: the lone person joins a group with room
(or takes the place of the one member they may not be with, who moves
on in turn), or someone joins them from a group that keeps two (or from a
pair, whose remaining member is then helped the same way). Up to
``MAX_MOVES`` moves are searched, breadth first, so a two-move answer is
never passed over for a three-move one. Among plans with the fewest
moves, one without a live repeat wins, then the best score of the pairs
it forms minus the contact score of the pairs it breaks (the broken pairs
have met this round, so their history says nothing).
"""

from __future__ import annotations

from collections.abc import Sequence

from breakout.changes import constraints_of, index_groups, rebuild
from breakout.engine import check_size
from breakout.errors import InfeasibleGrouping, PairingError
from breakout.problem import Problem
from breakout.report import pairs_in
from breakout.values import Group, Meeting, Move, Person, Policy

__all__ = ["MAX_MOVES", "remove_leaver"]

#: The most people moved to regroup one leaver's group (the leaver aside).
MAX_MOVES = 3
# Checks of one person against one group before the search settles for the
# best plan found so far: a roster of thousands stays in milliseconds.
_BUDGET = 20_000


def remove_leaver(
    groups: Sequence[Group],
    person_id: str,
    people: Sequence[Person],
    history: Sequence[Meeting],
    policy: Policy,
    *,
    size: int,
    now: float,
) -> tuple[tuple[Group, ...], tuple[Move, ...]]:
    """Take ``person_id`` out of its group and make sure nobody is left alone.

    If the leaver's group keeps two or more people, that is the only move.
    Otherwise the fewest further moves (at most ``MAX_MOVES``) regroup the
    one left behind without breaking a hard constraint or growing a group
    past ``size + 1``; ``history`` (the program's meetings) steers them
    away from repeats. A group whose every member moves out is dropped and
    never receives anyone. Raises :class:`PairingError` when ``person_id``
    is in no group and :class:`InfeasibleGrouping` when only one person
    would remain or no plan within ``MAX_MOVES`` moves exists.
    """
    check_size(size)
    roster = [*people]
    known = {p.id for p in roster}
    if person_id not in known and any(person_id in group.members for group in groups):
        roster.append(Person(id=person_id))  # the leaver may already be gone from the roster
    pb, current = index_groups(groups, roster, history, policy, now)
    idx = {p.id: i for i, p in enumerate(pb.people)}
    leaver = idx.get(person_id)
    home = next((g for g, members in enumerate(current) if leaver in members), None)
    if leaver is None or home is None:
        raise PairingError(f"{person_id} is not in any group")
    current[home].remove(leaver)
    moves = [Move(person_id, home, None)]
    if len(current[home]) != 1:
        out, _ = rebuild(pb, groups, current, {home: "regrouped"} if current[home] else {})
        return out, tuple(moves)
    s = current[home][0]
    if not any(members for g, members in enumerate(current) if g != home):
        raise InfeasibleGrouping(f"cannot regroup: only one person present ({pb.name(s)}) "
                                 f"after {person_id} left")
    search = _Search(pb, current, home, size + 1)
    plan = search.best()
    if plan is None:
        raise InfeasibleGrouping(
            f"cannot regroup {pb.name(s)} after {person_id} left: no way within {MAX_MOVES} moves "
            f"keeps every hard constraint ({constraints_of(pb, s)})"
        )
    for x, src, dst in plan:
        current[src].remove(x)
        current[dst].append(x)
    touched = {g for _, src, dst in plan for g in (src, dst) if current[g]}
    out, new_index = rebuild(pb, groups, current, {g: "regrouped" for g in touched})
    moves += [Move(pb.name(x), src, new_index[dst]) for x, src, dst in plan]
    return out, tuple(moves)


Plan = tuple[tuple[int, int, int], ...]  # (person, from group, to group), in order
Key = tuple[bool, float, bool, tuple[tuple[int, int], ...]]


class _Search:
    """Chains of moves on ``groups`` (changed in place and restored)."""

    def __init__(self, pb: Problem, groups: list[list[int]], home: int, cap: int) -> None:
        self.pb, self.groups, self.home, self.cap = pb, groups, home, cap
        self.lone = groups[home][0]
        self.original = {m: g for g, members in enumerate(groups) for m in members}
        self.found: list[tuple[Key, Plan]] = []
        self.budget = _BUDGET

    def best(self) -> Plan | None:
        for depth in range(1, MAX_MOVES + 1):
            self.groups[self.home].remove(self.lone)
            self._push(self.lone, self.home, depth, {self.home}, ())
            self.groups[self.home].append(self.lone)
            self._pull(self.home, depth, {self.home}, ())
            if self.found:
                return max(self.found, key=lambda f: f[0])[1]
        return None

    def _clashes(self, x: int, members: Sequence[int]) -> list[int]:
        self.budget -= 1
        return [m for m in members if self.pb.key(x, m) in self.pb.hard]

    def _push(self, x: int, src: int, left: int, seen: set[int], plan: Plan) -> None:
        """``x`` has left ``src`` and needs a group; ``left`` moves remain, x's included."""
        for t, members in enumerate(self.groups):
            if t == src or not members or self.budget <= 0:
                continue
            clash = self._clashes(x, members)
            step = plan + ((x, src, t),)
            if not clash and len(members) < self.cap:
                if left == 1:
                    members.append(x)
                    self._record(step)
                    members.pop()
                continue
            # x may take the place of the one member it may not be with, or
            # of anyone in a full group it fits; they move on in turn. A
            # group the chain passed through only takes people in.
            if left < 2 or len(clash) > 1 or t in seen:
                continue
            for b in clash or list(members):
                i = members.index(b)
                members[i] = x
                self._push(b, t, left - 1, seen | {t}, step)
                members[i] = b

    def _pull(self, d: int, left: int, seen: set[int], plan: Plan) -> None:
        """Group ``d`` has one member and needs another; ``left`` moves remain."""
        target = self.groups[d]
        for s, members in enumerate(self.groups):
            if s == d or len(members) < 2 or self.budget <= 0:
                continue
            for i, p in enumerate(list(members)):
                if self._clashes(p, target) or (len(members) == 2 and (left < 2 or s in seen)):
                    continue
                if len(members) > 2 and left > 1:
                    continue
                step = plan + ((p, s, d),)
                del members[i]
                target.append(p)
                if members and len(members) > 1:
                    self._record(step)
                elif members:
                    # A pair gave one up: its other member now needs company too.
                    self._pull(s, left - 1, seen | {s}, step)
                    rest = members.pop()
                    self._push(rest, s, left - 1, seen | {s}, step)
                    members.append(rest)
                target.pop()
                members.insert(i, p)

    def _record(self, plan: Plan) -> None:
        """Keep a complete plan (applied to ``groups`` right now) with its rank."""
        pb, original = self.pb, self.original
        touched = {g for _, src, dst in plan for g in (src, dst)}
        now_in = {m: g for g in touched for m in self.groups[g]}
        live, score = False, 0.0
        for g in touched:
            for a, b in pairs_in(self.groups[g]):
                if original[a] != original[b]:
                    live = live or pb.is_live(pb.key(a, b))
                    score += pb.w(a, b)
        # What a move breaks costs its contact score; the history of a pair
        # that met this round says nothing about breaking it up.
        for m, g in now_in.items():
            for o, h in now_in.items():
                if m < o and original[m] == original[o] and g != h:
                    score -= pb.base[pb.cls[m] * pb.k + pb.cls[o]]
        joins = plan[0][0] == self.lone
        tie = tuple((-(dst if x == self.lone else src), x) for x, src, dst in plan)
        self.found.append(((not live, round(score, 9), joins, tie), plan))
