"""What the engine promises about repeats once departments and sites are known.

With contact scores that cannot tell pairs apart, a stable even roster
follows the circle method: n - 1 rounds without a repeat. Once departments
or sites are known the engine prefers cross-department and cross-site
pairs, and those choices can use up the pairs such a schedule would need:
repeats may start a few rounds before n - 1. What holds is guarantee 2 of
the package - no live repeat while a repeat-free pairing of those present
exists (exact, by Edmonds' matching) - and with it, for a stable even
roster, at least n / 2 repeat-free rounds: k rounds remove k perfect
matchings, leaving every person n - 1 - k unmet partners, and a graph on n
vertices in which everyone has at least n / 2 neighbours has a perfect
matching (Dirac). The bound is tight: rounds that pair two halves across
leave two cliques, which for an odd half cannot pair up.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import networkx as nx
import pytest

from breakout import Meeting, Policy, form_groups, meetings_of
from tests.breakout.test_engine import DAY, roster

POLICY = Policy()


def repeat_free_pairing_exists(ids: Sequence[str], met: set[frozenset[str]]) -> bool:
    graph = nx.Graph()
    graph.add_nodes_from(ids)
    graph.add_edges_from((a, b) for a, b in itertools.combinations(ids, 2) if frozenset((a, b)) not in met)
    return bool(2 * len(nx.max_weight_matching(graph, maxcardinality=True)) == len(ids))


def repeats_per_round(n: int, departments: int, sites: int, seed: int) -> tuple[list[int], list[bool]]:
    """Run n - 1 daily rounds of pairs (every meeting stays live); per round,
    the repeats and whether a repeat-free pairing existed when it was formed."""
    people = roster(n, departments=departments, sites=sites, seed=seed)
    ids = [p.id for p in people]
    history: list[Meeting] = []
    met: set[frozenset[str]] = set()
    repeats, avoidable = [], []
    for r in range(n - 1):
        grouping = form_groups(people, history, POLICY, size=2, seed=r, now=r * DAY)
        repeats.append(grouping.quality.repeated_pairs)
        avoidable.append(repeat_free_pairing_exists(ids, met))
        new = meetings_of(grouping.groups, f"pass-{r}", r * DAY)
        met |= {frozenset((m.a, m.b)) for m in new}
        history.extend(new)
    return repeats, avoidable


@pytest.mark.parametrize(("n", "departments", "sites", "seed"),
                         [(16, 4, 2, 0), (24, 5, 3, 1), (30, 3, 2, 2), (40, 6, 3, 2)])
def test_with_departments_and_sites_known_a_stable_roster_repeats_only_when_no_pairing_avoids_it(
        n: int, departments: int, sites: int, seed: int) -> None:
    repeats, avoidable = repeats_per_round(n, departments, sites, seed)
    assert repeats[: n // 2] == [0] * (n // 2), "the first n / 2 rounds are repeat-free"
    assert [r for r, count in enumerate(repeats) if count and avoidable[r]] == [], "no needless repeat"
    # The circle method's n - 1 rounds are not promised here: these rosters
    # run out of repeat-free pairings before the last round.
    assert any(repeats), repeats


def test_n_over_2_is_all_that_can_be_promised_after_rounds_that_paired_two_halves_across() -> None:
    # Ten people, five rounds pairing the first half with the second: the
    # pairs left are two groups of five who all met, and five cannot pair up.
    people = roster(10, departments=2, seed=3)
    left, right = [p.id for p in people[:5]], [p.id for p in people[5:]]
    pairs = [sorted((left[i], right[(i + r) % 5])) for r in range(5) for i in range(5)]
    history = [Meeting(a, b, f"pass-{k // 5}", (k // 5) * DAY) for k, (a, b) in enumerate(pairs)]
    grouping = form_groups(people, history, POLICY, size=2, seed=0, now=5 * DAY)
    assert not repeat_free_pairing_exists([p.id for p in people],
                                          {frozenset((m.a, m.b)) for m in history})
    assert grouping.quality.repeated_pairs == 1, "one repeat, the fewest there can be"
