"""Naming who cannot be placed, and why: the engine's refusals.

A maximum matching that leaves people out leaves *some* people out, and
which ones is the search's choice: naming them can blame a bystander (a
manager with three reports in a pass of four can be grouped with nobody,
and the matching also leaves one of the reports single, who could pair
with either of the others). These functions name the people the hard
constraints actually strand, and only the constraints that strand them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

from breakout.errors import InfeasibleGrouping
from breakout.matching import augment
from breakout.problem import Problem

__all__ = ["isolated", "raise_isolated", "raise_unplaced"]


def isolated(pb: Problem) -> list[int]:
    """People every one of whose possible partners is ruled out."""
    barred = [0] * pb.n
    for key in pb.hard:
        i, j = divmod(key, pb.n)
        barred[i] += 1
        barred[j] += 1
    return [v for v in range(pb.n) if barred[v] == pb.n - 1]


def raise_isolated(pb: Problem, people: list[int]) -> NoReturn:
    raise InfeasibleGrouping(
        f"no grouping keeps every hard constraint: {_names(pb, people)} cannot be grouped with "
        f"anyone present ({_rules(pb, people)})"
    )


def raise_unplaced(pb: Problem, mate: list[int]) -> NoReturn:
    """Refuse a round of pairs that no matching without hard pairs covers.

    From the people a maximum such matching leaves single, alternate
    between allowed partners and their matched mates: everyone reached on
    an even step competes for the people reached on an odd step, who are
    too few for them all (Hall's condition, as Edmonds' search sees it).
    """
    n, hard = pb.n, set(pb.hard)
    m = list(mate)
    for v in range(n):
        if m[v] >= 0 and pb.key(v, m[v]) in hard:
            m[m[v]] = m[v] = -1
    single = augment(n, m, hard)
    lonely = [v for v in isolated(pb) if v in single]
    if lonely:
        raise_isolated(pb, lonely)
    competing, partners = set(single), set()
    frontier = list(single)
    while frontier:
        v = frontier.pop()
        for u in range(n):
            if u == v or u in partners or u in competing or pb.key(u, v) in hard:
                continue
            partners.add(u)
            if m[u] >= 0 and m[u] not in competing:
                competing.add(m[u])
                frontier.append(m[u])
    # Of those, the ones whose every allowed partner is among the partners
    # found: when they outnumber their partners, they alone are stranded
    # (others reached are single only because the count comes out odd).
    allowed = {v: {u for u in range(n) if u != v and pb.key(u, v) not in hard} for v in competing}
    stuck = {v for v in competing if allowed[v] <= partners}
    needed = set().union(*(allowed[v] for v in stuck)) if stuck else set()
    if stuck and len(stuck) > len(needed):
        competing, partners = stuck, needed
    raise InfeasibleGrouping(
        f"no grouping keeps every hard constraint: {_names(pb, competing)} can only be grouped "
        f"with {_names(pb, partners)}, too few for them all ({_rules(pb, competing)})"
    )


def _names(pb: Problem, people: Iterable[int]) -> str:
    return ", ".join(sorted(pb.name(v) for v in people))


def _rules(pb: Problem, people: Iterable[int]) -> str:
    who = set(people)
    return "; ".join(sorted(text for key, text in pb.hard.items() if who & set(divmod(key, pb.n))))
