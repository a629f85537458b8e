"""Large rounds of trios and fours: deal the groups, then repair them.

The swap search of :mod:`breakout.search` weighs every person of every
group for each person it tries to move: fine for a hundred people,
seconds for a thousand. Here a round is built the way a dealer spreads a
suit: people sorted by their major attribute (department, largest first;
see ``Problem.major``) are dealt round the groups, so every department is
spread as evenly as the group sizes allow - the fewest same-department
pairs there can be. For each seat the class (department and site) that
adds most to the group so far is taken, and within it someone without
shared history. What the dealing leaves is repaired by swaps: people in a
penalised pair (a repeat, a hard pair) with someone of their own class
elsewhere, which leaves the contact score as it was; the score itself by
swapping classes (:mod:`breakout.classswap`); and people between groups
of different sizes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from random import Random

from breakout.problem import Problem

__all__ = ["dealt_groups", "move_between_sizes", "repair_penalties"]

# How many people of the chosen class are looked at for the one with the
# least shared history: history touches few pairs, so one of the first
# handful is almost always clean.
_LOOK = 8


def dealt_groups(pb: Problem, sizes: Sequence[int], rng: Random) -> list[list[int]]:
    """Groups of ``sizes`` dealt by major attribute, largest value first."""
    n, k, base, adj, cls, major = pb.n, pb.k, pb.base, pb.adj, pb.cls, pb.major
    count = Counter(major)
    values = sorted(count, key=lambda v: (-count[v], v))
    # One round of seats over every group with room left, then the next.
    seats = [g for r in range(max(sizes, default=0)) for g, s in enumerate(sizes) if s > r]
    buckets: dict[int, dict[int, list[int]]] = {}
    for i in range(n):
        buckets.setdefault(major[i], {}).setdefault(cls[i], []).append(i)
    for by_class in buckets.values():
        for bucket in by_class.values():
            rng.shuffle(bucket)
    groups: list[list[int]] = [[] for _ in sizes]
    seat = 0
    for value in values:
        by_class = buckets[value]
        for _ in range(count[value]):
            members = groups[seats[seat]]
            seat += 1
            best: list[int] = []
            best_key = (0.0, 0)
            for c, bucket in by_class.items():
                if bucket:
                    key = (sum(base[c * k + cls[m]] for m in members), len(bucket))
                    if not best or key > best_key:
                        best, best_key = bucket, key
            pick, pick_cost = len(best) - 1, -1.0
            for idx in range(len(best) - 1, max(-1, len(best) - 1 - _LOOK), -1):
                y = best[idx]
                cost = sum(adj.get(y * n + m if y < m else m * n + y, 0.0) for m in members)
                if pick_cost < 0 or cost < pick_cost:
                    pick, pick_cost = idx, cost
                    if cost == 0.0:
                        break
            members.append(best[pick])
            best[pick] = best[-1]
            best.pop()
    return groups


def repair_penalties(pb: Problem, groups: list[list[int]], rng: Random) -> None:
    """Swap people out of penalised pairs while that lowers the total cost.

    First choice is someone of the same class in another group, which
    keeps the contact score; a penalty no such swap lowers gets the best
    swap with anyone (one scan of the round; few pairs are penalised once
    the round is dealt).
    """
    n, adj, cls = pb.n, pb.adj, pb.cls
    where = [0] * n
    for g, members in enumerate(groups):
        for m in members:
            where[m] = g
    same: dict[int, list[int]] = {}
    for i in range(n):
        same.setdefault(cls[i], []).append(i)

    def cost(x: int, members: Sequence[int], skip: int) -> float:
        return sum(adj.get(x * n + o if x < o else o * n + x, 0.0) for o in members if o != skip)

    def swap(x: int, y: int) -> None:
        a, b = groups[where[x]], groups[where[y]]
        a[a.index(x)] = y
        b[b.index(y)] = x
        where[x], where[y] = where[y], where[x]

    todo = [g for g, group in enumerate(groups) if any(cost(x, group, x) > 0.0 for x in group)]
    while todo:
        g = todo.pop()
        group = groups[g]
        for x in [x for x in group if cost(x, group, x) > 0.0]:
            found = _same_class_swap(x, group, same[cls[x]], groups, where, cost, rng)
            if found < 0:
                found = _best_swap(pb, groups, g, x)
            if found >= 0:
                other = where[found]
                swap(x, found)
                todo += [g, other]
                break


Cost = Callable[[int, Sequence[int], int], float]


def _same_class_swap(
    x: int, group: list[int], candidates: list[int], groups: list[list[int]], where: list[int],
    cost: Cost, rng: Random,
) -> int:
    """Someone of ``x``'s class elsewhere whose swap with ``x`` lowers the
    penalties: the first that leaves both groups clean, else the best."""
    own = cost(x, group, x)
    g = where[x]
    best, best_gain = -1, 1e-9
    start = rng.randrange(len(candidates))
    for step in range(len(candidates)):
        y = candidates[(start + step) % len(candidates)]
        if where[y] == g:
            continue
        other = groups[where[y]]
        after = cost(y, group, x) + cost(x, other, y)
        gain = own + cost(y, other, y) - after
        if gain > best_gain:
            if after == 0.0:
                return y
            best, best_gain = y, gain
    return best


def _best_swap(pb: Problem, groups: list[list[int]], g: int, x: int) -> int:
    """The partner of the best improving swap for ``x`` of group ``g``, or -1."""
    w = pb.w
    rest = [o for o in groups[g] if o != x]
    x_in = sum(w(x, o) for o in rest)
    best, best_gain = -1, 1e-9
    for h, other in enumerate(groups):
        if h == g:
            continue
        for y in other:
            gain = sum(w(y, o) for o in rest) - x_in
            gain += sum(w(x, o) - w(y, o) for o in other if o != y)
            if gain > best_gain:
                best, best_gain = y, gain
    return best


def move_between_sizes(pb: Problem, groups: list[list[int]], *, max_passes: int = 4) -> None:
    """Move one person into a group one smaller than theirs while that
    raises the total (the multiset of sizes stays). Rounds have at most
    three groups of a second size, so this is one scan of the round."""
    w = pb.w
    by_size: dict[int, list[int]] = {}
    for g, members in enumerate(groups):
        by_size.setdefault(len(members), []).append(g)
    for _ in range(max_passes):
        best_gain, best = 1e-9, (-1, -1, -1)
        for size, larger in by_size.items():
            for a, b in ((a, b) for a in larger for b in by_size.get(size - 1, ())):
                group_a, group_b = groups[a], groups[b]
                for x in group_a:
                    gain = sum(w(x, o) for o in group_b) - sum(w(x, o) for o in group_a if o != x)
                    if gain > best_gain:
                        best_gain, best = gain, (a, b, x)
        a, b, x = best
        if x < 0:
            return
        larger, smaller = by_size[len(groups[a])], by_size[len(groups[b])]
        larger[larger.index(a)], smaller[smaller.index(b)] = b, a
        groups[a].remove(x)
        groups[b].append(x)
