"""The weighted problem one round solves, on integer indexes.

People become ``0 .. n-1`` and pairs become the integer ``i * n + j``
(``i < j``). The weight of a pair is its contact score (which depends only
on the two people's department/site *class*, so it is a small ``k * k``
table) minus sparse adjustments for history and hard constraints. Keeping
the dense part per class and the rest in one dict is what lets a round for
a thousand people run without ever touching all half-million pairs.

Costs are lexicographic: a hard-constraint pair costs ``HARD`` and a live
repeat ``LIVE``; both dwarf any sum of contact scores, so comparing totals
compares (violations, live repeats, score) in that order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from breakout.errors import PairingError
from breakout.values import Meeting, Person, Policy

__all__ = ["HARD", "LIVE", "Problem", "build_problem"]

HARD = 1e12
LIVE = 1e6
_DAY = 86400.0


@dataclass(slots=True)
class Problem:
    """One round's roster and weights. Mutable only while being built."""

    people: list[Person]
    n: int
    cls: list[int]
    k: int
    base: list[float]
    max_base: float
    uniform: bool
    adj: dict[int, float]
    pen: dict[int, float]
    met_count: list[int]
    hard: dict[int, str]
    live_above: float
    # Per person, the value of the attribute that weighs more (department,
    # or site when the policy weighs sites higher), as a small integer:
    # spreading it evenly over the groups is most of a good round.
    major: list[int]

    def met(self, i: int, j: int) -> bool:
        """Whether ``i`` and ``j`` met at any time before."""
        return self.key(i, j) in self.pen

    def is_live(self, key: int) -> bool:
        """Whether the pair ``key`` is a live repeat (see ``Policy``)."""
        return self.pen.get(key, 0.0) > self.live_above

    def live_keys(self) -> set[int]:
        above = self.live_above
        return {key for key, p in self.pen.items() if p > above}

    def key(self, i: int, j: int) -> int:
        return i * self.n + j if i < j else j * self.n + i

    def w(self, i: int, j: int) -> float:
        """Weight of pair ``i, j``: contact score minus history and constraint costs."""
        n = self.n
        return self.base[self.cls[i] * self.k + self.cls[j]] - self.adj.get(
            i * n + j if i < j else j * n + i, 0.0
        )

    def group_weight(self, members: Sequence[int]) -> float:
        total = 0.0
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                total += self.w(members[x], members[y])
        return total

    def contact(self, i: int, j: int) -> float:
        """Contact score minus faded repeat penalty: the policy's own score,
        without the lexicographic constants (used for reports and benches)."""
        return self.base[self.cls[i] * self.k + self.cls[j]] - self.pen.get(self.key(i, j), 0.0)

    def name(self, i: int) -> str:
        return self.people[i].id


def _constraint_text(a: Person, b: Person, policy: Policy) -> str | None:
    if policy.avoid_hierarchy:
        if a.manager_id == b.id:
            return f"hierarchy: {b.id} is the manager of {a.id}"
        if b.manager_id == a.id:
            return f"hierarchy: {a.id} is the manager of {b.id}"
    if b.id in policy.not_with.get(a.id, ()):
        return f"not-with: {a.id} is not to be grouped with {b.id}"
    if a.id in policy.not_with.get(b.id, ()):
        return f"not-with: {b.id} is not to be grouped with {a.id}"
    return None


def build_problem(
    people: Sequence[Person], history: Sequence[Meeting], policy: Policy, now: float
) -> Problem:
    """Index the roster, fold the history into per-pair penalties and list
    the pairs the hard constraints forbid. Raises ``PairingError`` on
    duplicate ids."""
    index: dict[str, int] = {}
    for i, p in enumerate(people):
        if p.id in index:
            raise PairingError(f"person {p.id!r} is listed twice; ids must be unique")
        index[p.id] = i
    n = len(people)

    class_of: dict[tuple[str, str], int] = {}
    cls = [class_of.setdefault((p.department, p.site), len(class_of)) for p in people]
    kinds = list(class_of)
    k = len(kinds)
    wd, ws = policy.cross_department_weight, policy.cross_site_weight
    base = [0.0] * (k * k)
    for a, (da, sa) in enumerate(kinds):
        for b, (db, sb) in enumerate(kinds):
            # Unknown departments or sites earn nothing: no evidence of a new "we".
            base[a * k + b] = (wd if da and db and da != db else 0.0) + (
                ws if sa and sb and sa != sb else 0.0
            )
    max_base = max(base) if base else 0.0
    by_site = policy.cross_site_weight > policy.cross_department_weight
    major_of: dict[str, int] = {}
    major = [major_of.setdefault(p.site if by_site else p.department, len(major_of)) for p in people]

    half_life = policy.repeat_half_life_days * _DAY
    rp = policy.repeat_penalty
    fade: dict[float, float] = {}
    pen: dict[int, float] = {}
    met_count = [0] * n
    # The hot loop of a large round: tens of thousands of meetings, so
    # locals only and one fade computation per distinct pass time.
    get = index.get
    pen_get = pen.get
    fade_get = fade.get
    for m in history:
        mi = get(m.a)
        if mi is None:
            continue
        mj = get(m.b)
        if mj is None:
            continue
        key = mi * n + mj if mi < mj else mj * n + mi
        at = m.at
        f = fade_get(at)
        if f is None:
            age = now - at if now > at else 0.0
            f = fade[at] = rp * 0.5 ** (age / half_life) if math.isfinite(half_life) else rp
        old = pen_get(key)
        if old is None:
            pen[key] = f
            met_count[mi] += 1
            met_count[mj] += 1
        else:
            pen[key] = old + f

    # A repeat stays live while it outweighs the best contact any pair can
    # earn; with no contact weights every remembered meeting is live.
    threshold = max(max_base, 1e-9)
    adj = {k: v + LIVE if v > threshold else v for k, v in pen.items()}

    hard: dict[int, str] = {}
    for i, p in enumerate(people):
        others: set[str] = set(policy.not_with.get(p.id, ()))
        if policy.avoid_hierarchy and p.manager_id is not None:
            others.add(p.manager_id)
        for other in others:
            j = index.get(other)
            if j is None or j == i:
                continue
            key = i * n + j if i < j else j * n + i
            if key not in hard:
                text = _constraint_text(p, people[j], policy)
                if text is not None:
                    hard[key] = text
                    adj[key] = adj.get(key, 0.0) + HARD
    return Problem(
        people=list(people),
        n=n,
        cls=cls,
        k=k,
        base=base,
        max_base=max_base,
        uniform=min(base, default=0.0) == max_base,
        adj=adj,
        pen=pen,
        met_count=met_count,
        hard=hard,
        live_above=threshold,
        major=major,
    )
