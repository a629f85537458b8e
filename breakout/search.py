"""Groups of any size: greedy construction and swap/move local search.

Pairs have their own faster machinery in :mod:`breakout.matching`, and
large rounds of trios and fours theirs in :mod:`breakout.dealing`; this
module handles rounds of up to ``engine.SWAP_SEARCH_LIMIT`` people, where
weighing every person against every group is affordable, including the
one trio an odd roster of pairs needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from random import Random

from breakout.problem import Problem

__all__ = ["greedy_groups", "improve_groups", "perfect_weight"]


def perfect_weight(pb: Problem, size: int) -> float:
    """The best weight a group of ``size`` can have: every pair top-scoring."""
    return size * (size - 1) / 2 * pb.max_base


def greedy_groups(pb: Problem, sizes: Sequence[int], rng: Random) -> list[list[int]]:
    """Build groups one by one, each started from the largest remaining
    class and filled with the class that adds the most to the members so
    far, choosing inside a class someone with little shared history."""
    n, k, base, adj, cls = pb.n, pb.k, pb.base, pb.adj, pb.cls
    buckets: list[list[int]] = [[] for _ in range(k)]
    for i in range(n):
        buckets[cls[i]].append(i)
    for bucket in buckets:
        rng.shuffle(bucket)
    groups: list[list[int]] = []
    for size in sorted(sizes, reverse=True):
        start = max(range(k), key=lambda c: (len(buckets[c]), -c))
        members = [buckets[start].pop()]
        while len(members) < size:
            best_c = -1
            best_key = (0.0, 0)
            for c in range(k):
                if not buckets[c]:
                    continue
                gain = sum(base[cls[m] * k + c] for m in members)
                key = (gain, len(buckets[c]))
                if best_c < 0 or key > best_key:
                    best_c, best_key = c, key
            bucket = buckets[best_c]
            pick, pick_cost = len(bucket) - 1, -1.0
            for idx in range(len(bucket) - 1, max(-1, len(bucket) - 9), -1):
                y = bucket[idx]
                cost = sum(adj.get(y * n + m if y < m else m * n + y, 0.0) for m in members)
                if pick_cost < 0 or cost < pick_cost:
                    pick, pick_cost = idx, cost
                    if cost == 0.0:
                        break
            members.append(bucket[pick])
            bucket[pick] = bucket[-1]
            bucket.pop()
        groups.append(members)
    return groups


def improve_groups(pb: Problem, groups: list[list[int]], *, max_passes: int = 8) -> None:
    """Swap two people between groups, or move one from a group to a group
    one smaller (the multiset of sizes stays), while the total rises. Only
    groups below their perfect weight start a search."""
    w = pb.w
    weights = [pb.group_weight(g) for g in groups]
    for _ in range(max_passes):
        changed = False
        for a_idx in range(len(groups)):
            if weights[a_idx] >= perfect_weight(pb, len(groups[a_idx])) - 1e-9:
                continue
            improved = True
            while improved:
                improved = False
                group_a = groups[a_idx]
                for x in list(group_a):
                    rest_a = [m for m in group_a if m != x]
                    x_in_a = sum(w(x, m) for m in rest_a)
                    best_gain, best = 1e-9, (-1, -1)
                    for b_idx, group_b in enumerate(groups):
                        if b_idx == a_idx:
                            continue
                        if len(group_b) + 1 == len(group_a):
                            gain = sum(w(x, m) for m in group_b) - x_in_a
                            if gain > best_gain:
                                best_gain, best = gain, (b_idx, -1)
                        for y in group_b:
                            gain = -x_in_a
                            for m in rest_a:
                                gain += w(y, m)
                            for m in group_b:
                                if m != y:
                                    gain += w(x, m) - w(y, m)
                            if gain > best_gain:
                                best_gain, best = gain, (b_idx, y)
                    b_idx, y = best
                    if b_idx < 0:
                        continue
                    group_b = groups[b_idx]
                    group_a.remove(x)
                    if y >= 0:
                        group_b.remove(y)
                        group_a.append(y)
                    group_b.append(x)
                    weights[a_idx] = pb.group_weight(group_a)
                    weights[b_idx] = pb.group_weight(group_b)
                    changed = improved = True
                    break
        if not changed:
            break
