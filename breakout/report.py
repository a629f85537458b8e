"""What a round looks like to a facilitator: reason codes and quality counts.

The reason codes are listed in :mod:`breakout`'s docstring and in
``REASONS``; keep both in step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from breakout.problem import Problem
from breakout.values import Group, Grouping, Quality

__all__ = ["grouping_of", "pairs_in", "quality_of"]

T = TypeVar("T")


def pairs_in(members: Sequence[T]) -> list[tuple[T, T]]:
    return [(members[x], members[y]) for x in range(len(members)) for y in range(x + 1, len(members))]


def grouping_of(
    pb: Problem, groups: Sequence[Sequence[int]], extra: dict[int, tuple[str, ...]] | None = None
) -> Grouping:
    """Name the members, attach reason codes (plus ``extra`` codes per group
    index) and count the quality of ``groups``."""
    out = []
    extra = extra or {}
    for g, members in enumerate(groups):
        reasons = _reasons(pb, members) + extra.get(g, ())
        out.append(Group(members=tuple(pb.name(m) for m in members), reasons=reasons))
    return Grouping(groups=tuple(out), quality=quality_of(pb, groups))


def _reasons(pb: Problem, members: Sequence[int]) -> tuple[str, ...]:
    people = pb.people
    pairs = pairs_in(members)
    reasons: list[str] = []
    repeat = any(pb.met(a, b) for a, b in pairs)
    # Without a repeat inside the group, anyone with an earlier partner
    # present has that partner in another group.
    apart = any(pb.met_count[m] for m in members)
    if not repeat:
        reasons.append("new-contact")
    if all(_cross(people[a].department, people[b].department) for a, b in pairs):
        reasons.append("cross-department")
    if all(_cross(people[a].site, people[b].site) for a, b in pairs):
        reasons.append("cross-site")
    if not repeat and apart:
        reasons.append("repeat-avoided")
    if repeat:
        reasons.append("repeat")
    if any(_same(people[a].department, people[b].department) for a, b in pairs):
        reasons.append("same-department")
    return tuple(reasons)


def _cross(x: str, y: str) -> bool:
    return bool(x and y and x != y)


def _same(x: str, y: str) -> bool:
    return bool(x and x == y)


def quality_of(pb: Problem, groups: Sequence[Sequence[int]]) -> Quality:
    """Count repeats, same-department/site and hierarchy pairs in ``groups``."""
    people = pb.people
    repeated = same_d = same_s = hier = cross_d = cross_s = total = 0
    score = 0.0
    for members in groups:
        for a, b in pairs_in(members):
            pa, pb_ = people[a], people[b]
            total += 1
            repeated += pb.met(a, b)
            same_d += _same(pa.department, pb_.department)
            same_s += _same(pa.site, pb_.site)
            cross_d += _cross(pa.department, pb_.department)
            cross_s += _cross(pa.site, pb_.site)
            hier += pa.manager_id == pb_.id or pb_.manager_id == pa.id
            score += pb.contact(a, b)
    return Quality(
        repeated_pairs=repeated,
        same_department_pairs=same_d,
        same_site_pairs=same_s,
        hierarchy_violations=hier,
        pairs=total,
        cross_department_pairs=cross_d,
        cross_site_pairs=cross_s,
        score=score,
    )
