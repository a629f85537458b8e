"""Swapping classes between groups: the contact score of a large round.

What a person adds to their group's contact score depends only on their
class (department and site) and the classes of the others in the group,
so a *slot* - one person in one group - is summed up by its key
``(class, the others' classes)``, and what swapping two people does to
the score depends on their two keys alone. A thousand people fill a few
hundred distinct keys: the search ranks pairs of keys by that gain once,
in a heap, and applies the best pair that two actual people realise
without raising history or hard-constraint costs. Only keys that newly
come into use are ranked later. Every applied swap raises the total, so
the search ends.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from breakout.problem import Problem

__all__ = ["class_swaps"]

Key = tuple[int, tuple[int, ...]]
Penalty = Callable[[int, list[int], int], float]

# People of each key tried when realising a pair of keys.
_TRIES = 8


def class_swaps(pb: Problem, groups: list[list[int]]) -> None:
    """Swap people between groups while the total weight rises."""
    n, k, base, adj, cls = pb.n, pb.k, pb.base, pb.adj, pb.cls
    where = [0] * n
    for g, members in enumerate(groups):
        for m in members:
            where[m] = g
    # profile[key][c]: what someone of class c would add in this slot;
    # slack[key]: how much the best class would add over the one there.
    profile: dict[Key, list[float]] = {}
    slack: dict[Key, float] = {}
    slots: dict[Key, dict[int, None]] = {}
    key_of: list[Key] = [(0, ())] * n
    heap: list[tuple[float, Key, Key]] = []

    def slot_key(m: int) -> Key:
        return cls[m], tuple(sorted(cls[o] for o in groups[where[m]] if o != m))

    def rank(key: Key, others: list[Key], push: Callable[[tuple[float, Key, Key]], None]) -> None:
        """Push every pair of ``key`` with ``others`` that can gain."""
        own, v = key[0], profile[key]
        s = slack[key]
        for other in others:
            c = other[0]
            # A swap gains at most the two slots' slack; none, nothing to find.
            if c == own or s + slack[other] <= 1e-9:
                continue
            u = profile[other]
            gain = v[c] - v[own] + u[own] - u[c]
            if gain > 1e-9:
                push((-gain, key, other) if key < other else (-gain, other, key))

    def place(m: int) -> Key | None:
        """File ``m`` under its current key; the key if it just came into use."""
        key = slot_key(m)
        key_of[m] = key
        if key not in profile:
            own, rest = key
            v = [0.0] * k
            for a in rest:
                for c in range(k):
                    v[c] += base[c * k + a]
            profile[key] = v
            slack[key] = max(v) - v[own]
        holders = slots.setdefault(key, {})
        holders[m] = None
        return key if len(holders) == 1 else None

    for m in range(n):
        place(m)
    live = [key for key, holders in slots.items() if holders]
    for i, key in enumerate(live):
        rank(key, live[i + 1:], heap.append)
    heapq.heapify(heap)

    def push(entry: tuple[float, Key, Key]) -> None:
        heapq.heappush(heap, entry)

    def penalty(x: int, members: list[int], skip: int) -> float:
        return sum(adj.get(x * n + o if x < o else o * n + x, 0.0) for o in members if o != skip)

    while heap:
        neg, k1, k2 = heapq.heappop(heap)
        h1, h2 = slots.get(k1), slots.get(k2)
        if not h1 or not h2:
            continue
        pair = _realise(list(h1)[:_TRIES], list(h2)[:_TRIES], -neg, where, groups, penalty)
        if pair is None:
            continue
        x, y = pair
        a, b = groups[where[x]], groups[where[y]]
        a[a.index(x)] = y
        b[b.index(y)] = x
        where[x], where[y] = where[y], where[x]
        fresh: list[Key] = []
        for m in a + b:
            del slots[key_of[m]][m]
        for m in a + b:
            new = place(m)
            if new is not None:
                fresh.append(new)
        if fresh:
            live = [key for key, holders in slots.items() if holders]
            for key in fresh:
                rank(key, live, push)
        if slots[k1] and slots[k2]:
            push((neg, k1, k2))


def _realise(
    xs: list[int], ys: list[int], gain: float, where: list[int], groups: list[list[int]], penalty: Penalty
) -> tuple[int, int] | None:
    """Two people in different groups whose swap gains ``gain`` in contact
    score and more than it loses in history and constraint costs."""
    for x in xs:
        a = groups[where[x]]
        x_cost = penalty(x, a, x)
        for y in ys:
            if where[y] == where[x]:
                continue
            b = groups[where[y]]
            extra = penalty(y, a, x) + penalty(x, b, y) - x_cost - penalty(y, b, y)
            if gain - extra > 1e-9:
                return x, y
    return None
