"""Combinatorial designs: whole-cohort schedules with no repeated pair.

A round-by-round optimiser cannot promise that a cohort meets everyone
exactly once; after about n/2 rounds the pairs still unused may no longer
split into groups at all. Resolvable designs solve the cohort problem up
front, and the engine then only has to find *where in the design* the
history already is.

Positions ``0 .. n-1`` stand for people in a canonical order chosen by the
caller. Two designs are provided:

* :func:`circle_round` - the circle method, a 1-factorisation of K_n for
  even ``n``: ``n - 1`` rounds of pairs, every pair exactly once. The round
  that holds a pair is arithmetic (:func:`circle_round_of`), so matching the
  history against the schedule costs O(history), not O(n^2).
* :func:`kirkman_classes` - Kirkman triple systems (resolvable Steiner
  triple systems) for ``n = 3^k`` (lines of the affine space AG(k, 3)) and
  for ``n = 15`` (Kirkman's schoolgirls, a fixed classic solution):
  ``(n - 1) / 2`` rounds of trios, every pair exactly once.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations, product

__all__ = [
    "circle_round",
    "circle_round_of",
    "kirkman_classes",
    "kirkman_sizes",
    "pair_class_index",
]


def circle_round(n: int, r: int) -> list[tuple[int, int]]:
    """Pairs of round ``r`` (``0 <= r < n - 1``) of the circle method on ``n``
    positions (``n`` even, ``n >= 2``).

    Position ``n - 1`` stays put and meets position ``r``; the others sit
    round a circle of odd length ``m = n - 1`` and ``i`` meets ``2r - i``.
    """
    if n < 2 or n % 2:
        raise ValueError(f"circle method needs an even n >= 2, got {n}")
    m = n - 1
    if not 0 <= r < m:
        raise ValueError(f"round {r} outside 0..{m - 1}")
    pairs = [(r, m)]
    for i in range(m):
        j = (2 * r - i) % m
        if i < j:
            pairs.append((i, j))
    return pairs


def circle_round_of(n: int, i: int, j: int) -> int:
    """The round of the circle method on ``n`` positions holding pair ``i, j``."""
    m = n - 1
    if i == m:
        return j
    if j == m:
        return i
    # i + j = 2r (mod m) and m is odd, so 2 has the inverse (m + 1) / 2.
    return (i + j) * ((m + 1) // 2) % m


# Kirkman's schoolgirl problem (1850), a classic solution; letters are girls.
_KTS15 = (
    "ABJ CEM FKL HIN DGO",
    "ACH DEI FGM JLN BKO",
    "ADL BHM GIK CFN EJO",
    "AEG BIL CJK DMN FHO",
    "AFI BCD GHJ EKN LMO",
    "AKM DFJ EHL BGN CIO",
    "BEF CGL DHK IJM ANO",
)


def kirkman_sizes(limit: int = 1000) -> tuple[int, ...]:
    """Cohort sizes up to ``limit`` for which :func:`kirkman_classes` exists."""
    sizes = {15}
    p = 3
    while p <= limit:
        sizes.add(p)
        p *= 3
    return tuple(sorted(s for s in sizes if s <= limit))


@lru_cache(maxsize=16)
def kirkman_classes(n: int) -> tuple[tuple[tuple[int, int, int], ...], ...]:
    """Parallel classes of a Kirkman triple system on ``n`` positions.

    Each class is ``n / 3`` disjoint trios covering every position; across
    the ``(n - 1) / 2`` classes every pair meets exactly once. Raises
    ``ValueError`` for sizes :func:`kirkman_sizes` does not list.
    """
    if n == 15:
        return tuple(
            tuple(_trio(*(ord(c) - ord("A") for c in t)) for t in day.split())
            for day in _KTS15
        )
    k = 0
    p = 1
    while p < n:
        p *= 3
        k += 1
    if p != n or k == 0:
        raise ValueError(f"no Kirkman triple system built in for n={n}")
    return _affine_classes(k)


def _trio(a: int, b: int, c: int) -> tuple[int, int, int]:
    x, y, z = sorted((a, b, c))
    return (x, y, z)


def _affine_classes(k: int) -> tuple[tuple[tuple[int, int, int], ...], ...]:
    # Points of AG(k, 3) are vectors over Z_3; the lines with one direction
    # form a parallel class, and two points lie on exactly one line.
    def index(v: tuple[int, ...]) -> int:
        x = 0
        for c in v:
            x = 3 * x + c
        return x

    points = list(product(range(3), repeat=k))
    directions = [d for d in points if any(d) and d[next(i for i, c in enumerate(d) if c)] == 1]
    classes = []
    for d in directions:
        seen: set[int] = set()
        lines = []
        for p in points:
            a = index(p)
            if a in seen:
                continue
            q = tuple((x + y) % 3 for x, y in zip(p, d))
            r = tuple((x + 2 * y) % 3 for x, y in zip(p, d))
            line = _trio(a, index(q), index(r))
            seen.update(line)
            lines.append(line)
        classes.append(tuple(sorted(lines)))
    return tuple(classes)


@lru_cache(maxsize=16)
def pair_class_index(n: int) -> dict[tuple[int, int], int]:
    """``(i, j) -> class`` for the Kirkman system on ``n`` positions, ``i < j``."""
    out: dict[tuple[int, int], int] = {}
    for c, klass in enumerate(kirkman_classes(n)):
        for trio in klass:
            for i, j in combinations(trio, 2):
                out[(i, j)] = c
    return out
