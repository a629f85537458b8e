"""Pairs for one round: greedy construction, 2-opt improvement and exact
augmenting-path repair.

The weights of :class:`~breakout.problem.Problem` are mostly a class
table, so a largest-class-first greedy already reaches the best contact
score on most rosters (it is exactly optimal for departments alone), and
2-opt swaps clean up what history and sites disturb. Neither can prove
that a grouping *without* live repeats or hierarchy pairs does not exist;
Edmonds' cardinality matching can, so the round ends with it whenever a bad
pair survived: it finds a matching avoiding every bad pair if there is one.

A ``mate`` list maps each index to its partner, ``-1`` for unmatched.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Container
from random import Random

from breakout.problem import Problem

__all__ = ["augment", "greedy_pairs", "improve_pairs", "pairs_of"]


def pairs_of(mate: list[int]) -> list[tuple[int, int]]:
    return [(i, j) for i, j in enumerate(mate) if i < j]


def greedy_pairs(pb: Problem, rng: Random) -> list[int]:
    """Largest remaining class first, each with the best-scoring partner
    class (the largest on ties) and, inside it, someone without history."""
    n, k, base, adj = pb.n, pb.k, pb.base, pb.adj
    buckets: list[list[int]] = [[] for _ in range(k)]
    for i in range(n):
        buckets[pb.cls[i]].append(i)
    for bucket in buckets:
        rng.shuffle(bucket)

    def by_score(a: int) -> list[int]:
        return sorted(range(k), key=lambda c: (-base[a * k + c], c))

    prefs = [by_score(a) for a in range(k)]
    mate = [-1] * n
    heap = [(-len(b), c) for c, b in enumerate(buckets) if b]
    heapq.heapify(heap)
    while heap:
        neg, a = heapq.heappop(heap)
        bucket_a = buckets[a]
        if -neg != len(bucket_a):
            if bucket_a:
                heapq.heappush(heap, (-len(bucket_a), a))
            continue
        x = bucket_a.pop()
        best = -1
        best_base = 0.0
        best_size = 0
        for c in prefs[a]:
            size = len(buckets[c])
            if not size:
                continue
            b = base[a * k + c]
            if best >= 0 and b < best_base:
                break
            if best < 0 or size > best_size:
                best, best_base, best_size = c, b, size
        if best < 0:
            continue  # x is the odd one out
        bucket = buckets[best]
        pick = len(bucket) - 1
        pick_cost = None
        # Look at a few candidates only: history touches few pairs, so one
        # of the first handful is almost always clean.
        for idx in range(len(bucket) - 1, max(-1, len(bucket) - 9), -1):
            y = bucket[idx]
            cost = adj.get(x * n + y if x < y else y * n + x, 0.0)
            if pick_cost is None or cost < pick_cost:
                pick, pick_cost = idx, cost
                if cost == 0.0:
                    break
        y = bucket[pick]
        bucket[pick] = bucket[-1]
        bucket.pop()
        mate[x], mate[y] = y, x
        if bucket_a:
            heapq.heappush(heap, (-len(bucket_a), a))
        if bucket and best != a:
            heapq.heappush(heap, (-len(bucket), best))
    return mate


def improve_pairs(pb: Problem, mate: list[int], *, max_passes: int = 6) -> None:
    """2-opt: re-pair two pairs ``(a,b), (c,d)`` as ``(a,c), (b,d)`` or
    ``(a,d), (b,c)`` while that raises the total. Only pairs below the best
    possible score start a search; perfect pairs serve as partners."""
    n, k, base, adj, cls = pb.n, pb.k, pb.base, pb.adj, pb.cls
    target = pb.max_base

    def w(i: int, j: int) -> float:
        return base[cls[i] * k + cls[j]] - adj.get(i * n + j if i < j else j * n + i, 0.0)

    pairs = pairs_of(mate)
    weights = [w(a, b) for a, b in pairs]
    for _ in range(max_passes):
        changed = False
        for p in range(len(pairs)):
            a, b = pairs[p]
            wab = weights[p]
            if wab >= target:
                continue
            ca, cb = cls[a] * k, cls[b] * k
            best_gain = 1e-9
            best_q = -1
            best_flip = False
            for q in range(len(pairs)):
                c, d = pairs[q]
                # Class-level bound first: history only lowers weights.
                cc, cd = cls[c], cls[d]
                loss = wab + weights[q]
                if base[ca + cc] + base[cb + cd] - loss > best_gain and q != p:
                    g = w(a, c) + w(b, d) - loss
                    if g > best_gain:
                        best_gain, best_q, best_flip = g, q, False
                if base[ca + cd] + base[cb + cc] - loss > best_gain and q != p:
                    g = w(a, d) + w(b, c) - loss
                    if g > best_gain:
                        best_gain, best_q, best_flip = g, q, True
            if best_q >= 0:
                c, d = pairs[best_q]
                if best_flip:
                    c, d = d, c
                pairs[p] = (a, c)
                pairs[best_q] = (b, d)
                weights[p] = w(a, c)
                weights[best_q] = w(b, d)
                changed = True
        if not changed:
            break
    for a, b in pairs:
        mate[a], mate[b] = b, a


def augment(n: int, mate: list[int], banned: Container[int]) -> list[int]:
    """Grow ``mate`` to a maximum matching of the complete graph on ``n``
    without the pair keys in ``banned`` (Edmonds' blossom algorithm, one
    search per unmatched vertex). Returns the vertices left unmatched."""
    for root in range(n):
        if mate[root] == -1:
            _augment_from(n, mate, banned, root)
    return [v for v in range(n) if mate[v] == -1]


def _augment_from(n: int, mate: list[int], banned: Container[int], root: int) -> bool:
    parent = [-1] * n
    base = list(range(n))
    used = [False] * n
    used[root] = True
    queue = deque([root])

    def lca(a: int, b: int) -> int:
        seen = [False] * n
        while True:
            a = base[a]
            seen[a] = True
            if mate[a] == -1:
                break
            a = parent[mate[a]]
        while True:
            b = base[b]
            if seen[b]:
                return b
            b = parent[mate[b]]

    def mark(v: int, b: int, child: int, blossom: list[bool]) -> None:
        while base[v] != b:
            blossom[base[v]] = blossom[base[mate[v]]] = True
            parent[v] = child
            child = mate[v]
            v = parent[mate[v]]

    while queue:
        v = queue.popleft()
        for to in range(n):
            if to == v or base[v] == base[to] or mate[v] == to:
                continue
            if (v * n + to if v < to else to * n + v) in banned:
                continue
            if to == root or (mate[to] != -1 and parent[mate[to]] != -1):
                cur = lca(v, to)
                blossom = [False] * n
                mark(v, cur, to, blossom)
                mark(to, cur, v, blossom)
                for i in range(n):
                    if blossom[base[i]]:
                        base[i] = cur
                        if not used[i]:
                            used[i] = True
                            queue.append(i)
            elif parent[to] == -1:
                parent[to] = v
                if mate[to] == -1:
                    while to != -1:
                        pv = parent[to]
                        nxt = mate[pv]
                        mate[to], mate[pv] = pv, to
                        to = nxt
                    return True
                used[mate[to]] = True
                queue.append(mate[to])
    return False
