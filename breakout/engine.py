"""One round from scratch: :func:`form_groups` and the sizes it forms.

The guarantees, reason codes and errors are listed on the package
(:mod:`breakout`); this is how they are kept. Pairs start from the circle
method's plan when contact scores cannot tell pairs apart, else from a
largest-class-first greedy with 2-opt; up to ``EXACT_LIMIT`` people the
exact weighted matching has the last word, above it an exact
neighbourhood search; Edmonds' cardinality matching repairs a round in
which a hard pair or a live repeat survived. Trios and fours start from a
Kirkman design where one exists; else they are dealt by department and
repaired (:mod:`breakout.dealing`, :mod:`breakout.classswap`), and small
rosters also try a greedy start with the full swap search
(:mod:`breakout.search`), keeping the better round.
"""

from __future__ import annotations

from collections.abc import Sequence
from random import Random

from breakout.classswap import class_swaps
from breakout.dealing import dealt_groups, move_between_sizes, repair_penalties
from breakout.errors import InfeasibleGrouping, PairingError
from breakout.exact import exact_pairs
from breakout.infeasible import isolated, raise_isolated, raise_unplaced
from breakout.matching import augment, greedy_pairs, improve_pairs, pairs_of
from breakout.problem import Problem, build_problem
from breakout.report import grouping_of, pairs_in
from breakout.schedule import circle_candidate, kirkman_candidate
from breakout.search import greedy_groups, improve_groups, perfect_weight
from breakout.values import Group, Grouping, Meeting, Person, Policy, Quality

__all__ = ["check_size", "form_groups", "group_sizes", "meetings_of"]


# Up to this many people a round of pairs is solved exactly (Edmonds'
# weighted matching, tens of milliseconds); above it the greedy and 2-opt
# result stands, repaired by cardinality matching where a hard constraint
# or a live repeat could be avoided.
EXACT_LIMIT = 128
# Above it, the people re-solved exactly in one neighbourhood step.
EXACT_NEIGHBOURHOOD = 96
# Up to this many people a round of trios or fours also tries the greedy
# start and ends with the full swap search (every person against every
# group, tens of milliseconds); above it the dealt round and its class
# swaps stand (a thousand people in well under 100 ms).
SWAP_SEARCH_LIMIT = 150


def group_sizes(n: int, size: int, remainder: str = "pairs") -> list[int]:
    """The sizes of the groups for ``n`` people (see the package docstring)."""
    check_size(size)
    if n < 2:
        raise InfeasibleGrouping(f"cannot form groups: only {'one person' if n else 'nobody'} present")
    q, r = divmod(n, size)
    if size == 2:
        return [3] + [2] * (q - 1) if r else [2] * q
    if size == 3:
        if r == 0:
            return [3] * q
        if r == 1:
            return [4] + [3] * (q - 1) if remainder == "fours" else [3] * (q - 1) + [2, 2]
        if remainder == "fours" and q >= 2:
            return [4, 4] + [3] * (q - 2)
        return [3] * q + [2]
    if r == 0:
        return [4] * q
    if r == 3:
        return [4] * q + [3]
    if r == 2:
        return [4] * (q - 1) + [3, 3] if q else [2]
    return [4] * (q - 2) + [3, 3, 3] if q >= 2 else [3, 2]


def check_size(size: int) -> None:
    """Refuse a group size the engine does not form."""
    if size not in (2, 3, 4):
        raise PairingError(f"group size must be 2, 3 or 4, got {size!r}")


def form_groups(
    people: Sequence[Person],
    history: Sequence[Meeting],
    policy: Policy,
    *,
    size: int,
    seed: int,
    now: float,
) -> Grouping:
    """Split everyone in ``people`` into groups for one round.

    ``history`` is every earlier meeting of the program (pairs with people
    not present are ignored); ``seed`` breaks ties reproducibly; ``now``
    (epoch seconds) ages the history. Raises :class:`PairingError` for a
    bad size or duplicate ids and :class:`InfeasibleGrouping` when only one
    person is present or no grouping keeps the hard constraints.
    """
    check_size(size)
    pb = build_problem(people, history, policy, now)
    if pb.n == 0:
        return Grouping(groups=(), quality=Quality(0, 0, 0, 0))
    if pb.n == 1:
        raise InfeasibleGrouping(f"cannot form groups: only one person present ({pb.name(0)})")
    lonely = isolated(pb)
    if lonely:
        raise_isolated(pb, lonely)
    sizes = group_sizes(pb.n, size, policy.remainder)
    rng = Random(seed)
    if size == 2:
        groups = _solve_pairs(pb, rng)
    else:
        groups = _solve_groups(pb, sizes, rng)
    _check_hard(pb, groups)
    return grouping_of(pb, groups)


def _total(pb: Problem, groups: Sequence[Sequence[int]]) -> float:
    return sum(pb.group_weight(g) for g in groups)


def _banned(pb: Problem) -> set[int]:
    return set(pb.hard) | pb.live_keys()


def _solve_pairs(pb: Problem, rng: Random) -> list[list[int]]:
    n = pb.n
    design: list[int] | None = None
    # The plan only helps when contact scores cannot tell pairs apart; with
    # departments or sites in play the optimiser's pairs score higher anyway.
    if n % 2 == 0 and pb.uniform:
        design = circle_candidate(pb, rng)
        pairs = pairs_of(design)
        if sum(pb.w(a, b) for a, b in pairs) >= len(pairs) * pb.max_base - 1e-9:
            return [[a, b] for a, b in pairs]  # the plan is already perfect
    mate = greedy_pairs(pb, rng)
    # One 2-opt pass; the exact neighbourhood search below does the rest.
    improve_pairs(pb, mate, max_passes=1)
    if design is not None:
        improve_pairs(pb, design)
        # Prefer the plan on ties: it keeps later rounds repeat-free.
        if _total(pb, pairs_of(design)) >= _total(pb, pairs_of(mate)) - 1e-9:
            mate = design
    if n <= EXACT_LIMIT and not _perfect(pb, mate):
        exact = exact_pairs(pb)
        if _total(pb, pairs_of(exact)) > _total(pb, pairs_of(mate)) + 1e-9:
            mate = exact
    elif not _perfect(pb, mate):
        _improve_by_exact(pb, mate, rng)
    banned = _banned(pb)
    if any(pb.key(a, b) in banned for a, b in pairs_of(mate)) or (n % 2 and not _odd_fits(pb, mate, banned)):
        mate = _repair(pb, mate, banned)
        improve_pairs(pb, mate)
    groups = [[a, b] for a, b in pairs_of(mate)]
    single = [v for v in range(n) if mate[v] == -1]
    if len(single) == 1:
        _place_single(pb, groups, single[0])
        if pb.n <= SWAP_SEARCH_LIMIT:
            improve_groups(pb, groups, max_passes=2)
        else:
            class_swaps(pb, groups)
            move_between_sizes(pb, groups)
    elif single:
        raise_unplaced(pb, mate)
    return groups


def _improve_by_exact(pb: Problem, mate: list[int], rng: Random, rounds: int = 3) -> None:
    """Large-neighbourhood search: re-solve exactly the imperfect pairs
    together with a sample of perfect ones. 2-opt only exchanges partners
    between two pairs; the exact solver finds the longer exchange chains
    that two scarce attributes (a big department and a big site) need."""
    pair_budget = EXACT_NEIGHBOURHOOD // 2
    for _ in range(rounds):
        pairs = pairs_of(mate)
        weak = [p for p in pairs if pb.w(*p) < pb.max_base]
        if not weak:
            return
        strong = [p for p in pairs if pb.w(*p) >= pb.max_base]
        # Half weak pairs, half partners to exchange with.
        if len(weak) > pair_budget // 2:
            weak = rng.sample(weak, pair_budget // 2)
        chosen = weak + rng.sample(strong, min(len(strong), pair_budget - len(weak)))
        verts = [v for p in chosen for v in p]
        before = sum(pb.w(a, b) for a, b in chosen)
        local = exact_pairs(pb, verts)
        after = sum(pb.w(v, local[v]) for v in verts if v < local[v])
        if not (all(local[v] >= 0 for v in verts) and after > before + 1e-9):
            return
        for v in verts:
            mate[v] = local[v]


def _perfect(pb: Problem, mate: list[int]) -> bool:
    """No pair can score higher: the matching is optimal without proof work."""
    return all(pb.w(a, b) >= pb.max_base for a, b in pairs_of(mate))


def _odd_fits(pb: Problem, mate: list[int], banned: set[int]) -> bool:
    single = [v for v in range(pb.n) if mate[v] == -1]
    if len(single) != 1:
        return False
    x = single[0]
    return any(pb.key(x, a) not in banned and pb.key(x, b) not in banned for a, b in pairs_of(mate))


class _Without:
    """``banned`` plus every pair touching ``v``: matches the roster minus v."""

    def __init__(self, banned: set[int], v: int, n: int) -> None:
        self.banned, self.v, self.n = banned, v, n

    def __contains__(self, key: object) -> bool:
        assert isinstance(key, int)
        i, j = divmod(key, self.n)
        return i == self.v or j == self.v or key in self.banned


def _repair(pb: Problem, mate: list[int], banned: set[int]) -> list[int]:
    """Re-match with Edmonds' algorithm: first avoiding hard pairs and live
    repeats, then hard pairs only. For odd rosters also search for a single
    person who can join a pair cleanly."""
    n = pb.n
    hard = set(pb.hard)
    for rule in (banned, hard):
        m = list(mate)
        for a, b in pairs_of(m):
            if pb.key(a, b) in rule:
                m[a] = m[b] = -1
        left = augment(n, m, rule)
        if len(left) == n % 2:
            if n % 2 == 0 or _odd_fits(pb, m, rule):
                return m
            def freedom(v: int) -> int:
                return sum(1 for u in range(n) if u != v and pb.key(u, v) not in rule)

            for y in sorted(range(n), key=lambda v: -freedom(v)):
                trial = list(m)
                partner = trial[y]
                if partner < 0:
                    continue
                trial[y] = trial[partner] = -1
                without = _Without(rule, y, n)
                augment(n, trial, without)
                if sum(1 for v in trial if v == -1) == 1 and _odd_fits(pb, trial, rule):
                    return trial
        mate = m if len(left) <= n % 2 else mate
    return mate


def _place_single(pb: Problem, groups: list[list[int]], x: int) -> None:
    best = max(range(len(groups)), key=lambda g: sum(pb.w(x, m) for m in groups[g]))
    groups[best].append(x)


def _solve_groups(pb: Problem, sizes: list[int], rng: Random) -> list[list[int]]:
    candidates: list[list[list[int]]] = []
    if all(s == 3 for s in sizes):
        design = kirkman_candidate(pb, rng)
        if design is not None:
            if _total(pb, design) >= len(design) * perfect_weight(pb, 3) - 1e-9:
                return design
            improve_groups(pb, design)
            candidates.append(design)
    hard = set(pb.hard)
    small = pb.n <= SWAP_SEARCH_LIMIT
    for attempt in range(4):
        found = []
        if small:
            greedy = greedy_groups(pb, sizes, rng)
            improve_groups(pb, greedy)
            found.append(greedy)
        dealt = dealt_groups(pb, sizes, rng)
        repair_penalties(pb, dealt, rng)
        class_swaps(pb, dealt)
        move_between_sizes(pb, dealt)
        repair_penalties(pb, dealt, rng)
        if small:
            improve_groups(pb, dealt)
        found.append(dealt)
        candidates += found
        if any(not any(pb.key(a, b) in hard for g in c for a, b in pairs_in(g)) for c in found):
            break
    # Prefer the design (first) on ties: it keeps later rounds repeat-free.
    best = candidates[0]
    for c in candidates[1:]:
        if _total(pb, c) > _total(pb, best) + 1e-9:
            best = c
    return best


def _check_hard(pb: Problem, groups: Sequence[Sequence[int]]) -> None:
    broken = sorted({pb.hard[k] for g in groups for a, b in pairs_in(g) if (k := pb.key(a, b)) in pb.hard})
    if broken:
        raise InfeasibleGrouping(
            "no grouping found that keeps every hard constraint; cannot keep: " + "; ".join(broken)
        )


def meetings_of(grouping_groups: Sequence[Group], pass_id: str, at: float) -> tuple[Meeting, ...]:
    """Every pair inside the groups as a :class:`Meeting`, to append to the
    program's history once the round has run."""
    out = []
    for group in grouping_groups:
        for a, b in pairs_in(group.members):
            x, y = sorted((a, b))
            out.append(Meeting(a=x, b=y, pass_id=pass_id, at=at))
    return tuple(out)

