"""Find where the cohort's history sits in a whole-cohort design.

The engine keeps no state between rounds; the history is the state. If the
roster is stable and the engine produced the earlier rounds, those rounds
are rounds of one design over the roster in a canonical order (sorted ids,
independent of the seed so that a per-round seed cannot derail the plan).
Each design round is charged the history cost of the pairs it would
repeat; the cheapest round continues the plan. With a changing roster the
charges are just a cheap, decent starting point for the optimiser.
"""

from __future__ import annotations

from random import Random

from breakout.designs import circle_round, circle_round_of, kirkman_classes, kirkman_sizes, pair_class_index
from breakout.problem import Problem

__all__ = ["circle_candidate", "kirkman_candidate"]


def _positions(pb: Problem) -> tuple[list[int], list[int]]:
    order = sorted(range(pb.n), key=lambda i: pb.people[i].id)
    pos = [0] * pb.n
    for p, i in enumerate(order):
        pos[i] = p
    return order, pos


def _cheapest(costs: list[float], rng: Random) -> int:
    low = min(costs)
    # Penalties are float sums; treat near-equal rounds as ties for the seed.
    ties = [r for r, c in enumerate(costs) if c <= low + 1e-9]
    return ties[rng.randrange(len(ties))]


def circle_candidate(pb: Problem, rng: Random) -> list[int]:
    """A ``mate`` list: the circle-method round that repeats the least
    history (``n`` even, ``n >= 2``)."""
    n = pb.n
    order, pos = _positions(pb)
    adj, key = pb.adj, pb.key
    # Fast path: the person on the fixed seat meets position r in round r,
    # so rounds where that meeting is new are the likely unused ones; a
    # round is taken as soon as one proves clean in O(n).
    fresh = [r for r in range(n - 1) if key(order[n - 1], order[r]) not in adj]
    rng.shuffle(fresh)
    for r in fresh[:8]:
        pairs = [(order[p], order[q]) for p, q in circle_round(n, r)]
        if all(key(a, b) not in adj for a, b in pairs):
            return _mate(n, pairs)
    costs = [0.0] * (n - 1)
    for k, cost in adj.items():
        i, j = divmod(k, n)
        costs[circle_round_of(n, pos[i], pos[j])] += cost
    r = _cheapest(costs, rng)
    return _mate(n, [(order[p], order[q]) for p, q in circle_round(n, r)])


def _mate(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    mate = [-1] * n
    for a, b in pairs:
        mate[a], mate[b] = b, a
    return mate


def kirkman_candidate(pb: Problem, rng: Random) -> list[list[int]] | None:
    """Trios: the parallel class of a Kirkman system that repeats the least
    history, or ``None`` when no system of size ``n`` is built in."""
    n = pb.n
    if n not in kirkman_sizes(n):
        return None
    order, pos = _positions(pb)
    index = pair_class_index(n)
    costs = [0.0] * ((n - 1) // 2)
    for key, cost in pb.adj.items():
        i, j = divmod(key, n)
        p, q = sorted((pos[i], pos[j]))
        costs[index[(p, q)]] += cost
    c = _cheapest(costs, rng)
    return [[order[p] for p in trio] for trio in kirkman_classes(n)[c]]
