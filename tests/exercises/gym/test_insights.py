"""Leadership insights are k-anonymous: no slice, and no pair of slices, reveals a group under k.

The property tests draw random rosters (who answered, in which department,
site and level), random k and random filter combinations, and check the
guarantees on the real sets of people, not on the counts the module uses.
"""

from __future__ import annotations

import random
from collections import Counter
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.gym.insights import (
    Cell,
    Slice,
    shown,
    slice_counts,
    summarise,
    themes,
    top_themes,
    words,
)

DEPARTMENTS = ("HR", "IT", "Sälj", "Ekonomi")
SITES = ("Umeå", "Malmö", "Kiruna")
LEVELS = ("employee", "manager", "top")

people_st = st.lists(st.tuples(st.sampled_from(DEPARTMENTS), st.sampled_from(SITES),
                               st.sampled_from(LEVELS)), min_size=0, max_size=60)


def _people_of(s: Slice, roster: list[Cell]) -> frozenset[int]:
    return frozenset(i for i, cell in enumerate(roster) if s.matches(cell))


def _every_slice() -> list[Slice]:
    return [Slice(d, s, lv) for d in (None, *DEPARTMENTS) for s in (None, *SITES)
            for lv in (None, *LEVELS)]


@settings(max_examples=300, deadline=None)
@given(roster=people_st, k=st.integers(min_value=2, max_value=7))
def test_no_query_or_pair_of_queries_reveals_a_group_under_k(roster: list[Cell],
                                                            k: int) -> None:
    visible = shown(Counter(roster), k)
    sets = {s: _people_of(s, roster) for s in _every_slice()}
    for s in visible:
        assert len(sets[s]) >= k, (s, len(sets[s]))
    for a, b in combinations(visible, 2):
        small, big = sorted((sets[a], sets[b]), key=len)
        if small <= big:
            rest = len(big - small)
            assert rest == 0 or rest >= k, (a, b, rest)


@settings(max_examples=300, deadline=None)
@given(roster=people_st, k=st.integers(min_value=2, max_value=7))
def test_a_shown_slice_split_along_one_dimension_hides_zero_or_at_least_k(
        roster: list[Cell], k: int) -> None:
    visible = shown(Counter(roster), k)
    sets = {s: _people_of(s, roster) for s in _every_slice()}
    values = (DEPARTMENTS, SITES, LEVELS)
    for parent in visible:
        for dim, v in enumerate(parent.values()):
            if v is not None:
                continue
            parts = [parent.refine(dim, value) for value in values[dim]]
            hidden = sum(len(sets[p]) for p in parts if p not in visible)
            assert hidden == 0 or hidden >= k, (parent, dim, hidden)


@settings(max_examples=200, deadline=None)
@given(roster=people_st, k=st.integers(min_value=2, max_value=7), data=st.data())
def test_the_same_people_under_two_filters_are_shown_or_hidden_together(
        roster: list[Cell], k: int, data: st.DataObject) -> None:
    visible = shown(Counter(roster), k)
    a = data.draw(st.sampled_from(_every_slice()))
    b = data.draw(st.sampled_from(_every_slice()))
    if _people_of(a, roster) == _people_of(b, roster) and _people_of(a, roster):
        assert (a in visible) == (b in visible)


def test_a_department_with_one_small_site_hides_another_site_too() -> None:
    # HR: 10 in Umeå, 8 in Malmö, 2 in Kiruna. Showing HR, HR-Umeå and HR-Malmö would
    # let anyone subtract down to the two in Kiruna.
    roster = Counter({("HR", "Umeå", "employee"): 10, ("HR", "Malmö", "employee"): 8,
                      ("HR", "Kiruna", "employee"): 2})
    visible = shown(roster, 5)
    assert Slice("HR") in visible
    assert Slice("HR", "Kiruna") not in visible
    assert Slice("HR", "Malmö") not in visible  # the smallest shown part goes too
    assert Slice("HR", "Umeå") in visible  # 10 hidden = 8 + 2 >= 5


def test_a_slice_under_k_and_a_pair_that_differs_by_under_k_are_hidden() -> None:
    roster = Counter({("HR", "Umeå", "employee"): 4, ("IT", "Umeå", "employee"): 9,
                      ("IT", "Umeå", "manager"): 1})
    visible = shown(roster, 5)
    assert Slice("HR") not in visible  # 4 < 5
    assert Slice(None, None, "manager") not in visible
    # IT (10) minus IT employees (9) would be the one manager.
    assert not ({Slice("IT"), Slice("IT", None, "employee")} <= visible)
    assert slice_counts(roster)[Slice()] == 14


def test_nothing_is_shown_below_k_and_everything_at_k_when_alone() -> None:
    assert shown(Counter({("HR", "Umeå", "top"): 4}), 5) == frozenset()
    assert Slice() in shown(Counter({("HR", "Umeå", "top"): 5}), 5)


def test_themes_leave_out_swedish_and_english_stop_words() -> None:
    found = themes(["Mer tid för samtal i teamet", "Tid och samtal", "The time for talks"])
    assert found[:2] == [("samtal", 2), ("tid", 2)]
    assert all(word not in ("för", "och", "the", "for", "i") for word, _ in found)


def test_a_summary_has_no_names_times_or_rooms_and_shuffles_texts() -> None:
    texts = [f"svar {i}" for i in range(10)]
    one = summarise("reflection", {}, texts, {}, 10, random.Random(1))
    two = summarise("reflection", {}, texts, {}, 10, random.Random(2))
    assert sorted(one.texts) == sorted(two.texts) and one.texts != two.texts
    polls = summarise("poll", {"2": 2, "0": 1}, [], {}, 2, random.Random(1))
    assert list(polls.distribution.items()) == [("0", 1), ("2", 2)] and polls.texts == ()


def test_a_summary_shows_at_most_forty_texts_and_themes_from_every_answers_words() -> None:
    texts = [f"svar nummer {i}" for i in range(100)]
    counted = {"samtal": 70, "och": 90, "tid": 70, "ok": 99, "mer": 3}
    summary = summarise("reflection", {}, texts, counted, 100, random.Random(1))
    assert len(summary.texts) == 40 and set(summary.texts) <= set(texts)
    assert summary.themes == (("samtal", 70), ("tid", 70))  # stop words and short words out
    words_only = summarise("check-in", {"3": 5}, ["glad"], {"glad": 5}, 5, random.Random(1))
    assert words_only.texts == () and words_only.themes == (("glad", 5),)


def test_themes_of_counted_words_equal_themes_of_the_texts() -> None:
    written = ["Mer tid för samtal i teamet", "Tid och samtal", "Åsa får ÉLAN, t’är x-y 2åå"]
    counted = Counter(w for text in written for w in words(text))
    assert top_themes(counted) == themes(written)
    assert "2åå" not in counted and "åå" in counted and "t’är" in counted
