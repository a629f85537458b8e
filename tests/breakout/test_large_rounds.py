"""Rounds above the full swap search's size: trios and fours for hundreds.

Speed is the benchmark's business (``onlive bench pairing``); these pin
what the faster path must still deliver.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

import pytest

from breakout import Meeting, Policy, form_groups, group_sizes, meetings_of
from breakout.engine import SWAP_SEARCH_LIMIT
from tests.breakout.test_engine import DAY, roster

POLICY = Policy()


def fewest_shared_pairs(count: int, sizes: Sequence[int]) -> int:
    """The fewest pairs sharing a value when ``count`` people hold it:
    spread one at a time over the emptiest group with room."""
    held = [0] * len(sizes)
    pairs = 0
    for _ in range(count):
        g = min((g for g in range(len(sizes)) if held[g] < sizes[g]), key=lambda g: held[g])
        pairs += held[g]
        held[g] += 1
    return pairs


@pytest.mark.parametrize(("n", "size"), [(601, 3), (602, 4), (400, 3)])
def test_large_round_spreads_departments_and_sites_as_evenly_as_group_sizes_allow(n: int, size: int) -> None:
    assert n > SWAP_SEARCH_LIMIT
    people = roster(n, departments=9, sites=4, seed=n)
    sizes = group_sizes(n, size)
    quality = form_groups(people, [], POLICY, size=size, seed=1, now=0.0).quality
    departments = Counter(p.department for p in people)
    sites = Counter(p.site for p in people)
    assert quality.same_department_pairs == sum(fewest_shared_pairs(c, sizes) for c in departments.values())
    assert quality.same_site_pairs == sum(fewest_shared_pairs(c, sizes) for c in sites.values())


def test_large_trio_round_repeats_nobody_and_keeps_managers_apart_while_history_leaves_room() -> None:
    # Every eighth person manages the seven after them.
    people = [replace(p, manager_id=None if i % 8 == 0 else f"p{i // 8 * 8:03d}")
              for i, p in enumerate(roster(450, departments=6, sites=3, seed=5))]
    history: list[Meeting] = []
    for r in range(12):
        grouping = form_groups(people, history, POLICY, size=3, seed=r, now=r * DAY)
        assert grouping.quality.repeated_pairs == 0, f"round {r}"
        assert grouping.quality.hierarchy_violations == 0
        history.extend(meetings_of(grouping.groups, f"pass-{r}", r * DAY))
