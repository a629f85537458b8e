"""`onlive bench pairing`: speed and quality of the pairing engine.

Builds a synthetic cohort (skewed departments, sites, a management chain),
runs the engine for 50 passes of changing attendance to make a realistic
history, then times one more round for the whole cohort and compares the
result with networkx's exact maximum-weight matching on the same weights.
Trios have no exact oracle at this size; their score is compared with the
engine's previous trio search (greedy start, swap search over every
group: 1.2-5 s a round at n = 1000) on the same weights and seeds.
Prints a table and, as the last line, one JSON object.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import time
from collections.abc import Sequence

import networkx as nx

from breakout import Meeting, Person, Policy, Problem, build_problem, form_groups, group_sizes, meetings_of
from breakout.report import pairs_in

# The previous trio search, kept in the engine for small rosters, is the
# baseline the faster large-round path is measured against.
from breakout.search import greedy_groups, improve_groups

DAY = 86400.0
POLICY = Policy()


def cohort(n: int, seed: int) -> list[Person]:
    rng = random.Random(seed)
    departments = [f"dept-{d:02d}" for d in range(12)]
    # One department near half the cohort and one dominant site, so that not
    # every pair can be perfect and the choice among imperfect ones counts.
    weights = [5.5] + [rng.random() + 0.1 for _ in departments[1:]]
    site_weights = [0.6, 0.2, 0.1, 0.05, 0.05]
    people = []
    for i in range(n):
        # About one in eight people manages a few of the people after them.
        manager = f"p{rng.randrange(0, i) // 8 * 8:04d}" if i >= 8 else None
        people.append(
            Person(
                id=f"p{i:04d}",
                department=rng.choices(departments, weights)[0],
                site=rng.choices([f"site-{s}" for s in range(5)], site_weights)[0],
                manager_id=manager if manager != f"p{i:04d}" else None,
            )
        )
    return people


def history_of(people: Sequence[Person], rounds: int, seed: int) -> list[Meeting]:
    rng = random.Random(seed)
    history: list[Meeting] = []
    for r in range(rounds):
        present = [p for p in people if rng.random() < rng.uniform(0.7, 0.9)]
        grouping = form_groups(present, history, POLICY, size=2, seed=r, now=r * 7 * DAY)
        history.extend(meetings_of(grouping.groups, f"pass-{r}", r * 7 * DAY))
    return history


def oracle(pb: Problem) -> tuple[float, float]:
    """networkx's exact matching on the engine's weights: (seconds, score)."""
    graph = nx.Graph()
    for i, j in itertools.combinations(range(pb.n), 2):
        if pb.key(i, j) not in pb.hard:
            # The constant makes it a maximum-cardinality matching, as ours is.
            graph.add_edge(i, j, weight=pb.w(i, j) + 1e8)
    start = time.perf_counter()
    matching = nx.max_weight_matching(graph, maxcardinality=True)
    elapsed = time.perf_counter() - start
    return elapsed, sum(pb.contact(a, b) for a, b in matching)


def previous_trios(pb: Problem, seed: int) -> float:
    """The score of the engine's previous trio search on ``pb``: greedy
    construction and the full swap search, up to four starts while a hard
    pair remains (its ``_solve_groups`` before the dealt rounds)."""
    rng = random.Random(seed)
    best: list[list[int]] = []
    for _ in range(4):
        groups = greedy_groups(pb, group_sizes(pb.n, 3), rng)
        improve_groups(pb, groups)
        if not best or _total(pb, groups) > _total(pb, best):
            best = groups
        if not any(pb.key(a, b) in pb.hard for g in groups for a, b in pairs_in(g)):
            break
    return sum(pb.contact(a, b) for g in best for a, b in pairs_in(g))


def _total(pb: Problem, groups: Sequence[Sequence[int]]) -> float:
    return sum(pb.group_weight(g) for g in groups)


def percentile_95(times: Sequence[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def our_score(pb: Problem, groups: Sequence[Sequence[str]]) -> float:
    index = {p.id: i for i, p in enumerate(pb.people)}
    return sum(pb.contact(index[a], index[b]) for g in groups for a, b in itertools.combinations(g, 2))


def run(argv: list[str]) -> int:
    """Entry point of ``onlive bench pairing``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="onlive bench pairing")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--history-rounds", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--oracle-repeats", type=int, default=1)
    parser.add_argument("--quality-n", type=int, default=200)
    args = parser.parse_args(argv)

    rows: list[tuple[str, str]] = []
    people = cohort(args.n, seed=1)
    start = time.perf_counter()
    history = history_of(people, args.history_rounds, seed=2)
    built = time.perf_counter() - start
    rows.append(("history", f"{args.history_rounds} passes, {len(history)} meetings, "
                            f"built in {built:.1f} s"))
    now = args.history_rounds * 7 * DAY

    times = []
    grouping = None
    for seed in range(args.repeats):
        t = time.perf_counter()
        grouping = form_groups(people, history, POLICY, size=2, seed=seed, now=now)
        times.append((time.perf_counter() - t) * 1000)
    assert grouping is not None
    times.sort()
    median = statistics.median(times)
    p95 = percentile_95(times)
    q = grouping.quality
    rows.append((f"engine n={args.n}", f"median {median:.1f} ms, p95 {p95:.1f} ms over {args.repeats} seeds"))
    rows.append(
        (
            "  round quality",
            f"{q.pairs} pairs: {q.repeated_pairs} repeated, {q.same_department_pairs} same-department, "
            f"{q.same_site_pairs} same-site, {q.hierarchy_violations} hierarchy",
        )
    )

    trio_times = []
    trio_scores = []
    trios = None
    for seed in range(args.repeats):
        t = time.perf_counter()
        trios = form_groups(people, history, POLICY, size=3, seed=seed, now=now)
        trio_times.append((time.perf_counter() - t) * 1000)
        trio_scores.append(trios.quality.score)
    assert trios is not None
    trio_median, trio_p95 = statistics.median(trio_times), percentile_95(trio_times)
    tq = trios.quality
    rows.append(
        (
            f"engine n={args.n} trios",
            f"median {trio_median:.1f} ms, p95 {trio_p95:.1f} ms over {args.repeats} seeds",
        )
    )
    rows.append(
        (
            "  round quality",
            f"{tq.pairs} pairs: {tq.repeated_pairs} repeated, {tq.same_department_pairs} same-department, "
            f"{tq.same_site_pairs} same-site, {tq.hierarchy_violations} hierarchy",
        )
    )

    pb = build_problem(people, history, POLICY, now)
    oracle_times = []
    oracle_score = 0.0
    for _ in range(args.oracle_repeats):
        elapsed, oracle_score = oracle(pb)
        oracle_times.append(elapsed * 1000)
    ours_big = our_score(pb, [g.members for g in grouping.groups])
    rows.append(
        (
            f"networkx n={args.n}",
            f"median {statistics.median(oracle_times):.0f} ms over {args.oracle_repeats} runs "
            "(exact; slow, hence few runs)",
        )
    )
    rows.append((f"  quality n={args.n}",
                 f"ours {ours_big:.2f} / oracle {oracle_score:.2f} = {ours_big / oracle_score:.4f}"))

    small = cohort(args.quality_n, seed=3)
    small_history = history_of(small, args.history_rounds, seed=4)
    ours_total = oracle_total = 0.0
    for seed in range(5):
        g = form_groups(small, small_history, POLICY, size=2, seed=seed, now=now)
        pb_small = build_problem(small, small_history, POLICY, now)
        ours_total += our_score(pb_small, [x.members for x in g.groups])
        oracle_total += oracle(pb_small)[1]
    quality = ours_total / oracle_total
    rows.append(
        (
            f"  quality n={args.quality_n}",
            f"ours {ours_total:.2f} / oracle {oracle_total:.2f} = {quality:.4f} "
            f"(5 seeds, {args.history_rounds} passes of history)",
        )
    )

    trio_ours = trio_previous = 0.0
    for seed in range(5):
        g = form_groups(small, small_history, POLICY, size=3, seed=seed, now=now)
        trio_ours += g.quality.score
        trio_previous += previous_trios(build_problem(small, small_history, POLICY, now), seed)
    trio_quality = trio_ours / trio_previous
    t = time.perf_counter()
    trio_previous_big = previous_trios(pb, 0)
    trio_previous_ms = (time.perf_counter() - t) * 1000
    trio_quality_big = trio_scores[0] / trio_previous_big
    rows.append(
        (
            f"  trios n={args.quality_n}",
            f"ours {trio_ours:.2f} / previous search {trio_previous:.2f} = {trio_quality:.4f} (5 seeds)",
        )
    )
    rows.append(
        (
            f"  trios n={args.n}",
            f"ours {trio_scores[0]:.2f} / previous search {trio_previous_big:.2f} = {trio_quality_big:.4f} "
            f"(seed 0; the previous search took {trio_previous_ms:.0f} ms)",
        )
    )

    width = max(len(k) for k, _ in rows)
    print("pairing engine benchmark (score = cross-department + cross-site weight - faded repeat penalty)")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print(
        json.dumps(
            {
                "n": args.n,
                "history_rounds": args.history_rounds,
                "median_ms": round(median, 2),
                "p95_ms": round(p95, 2),
                "oracle_median_ms": round(statistics.median(oracle_times), 1),
                "oracle_n": args.n,
                "oracle_runs": args.oracle_repeats,
                "quality_vs_oracle": round(quality, 5),
                "quality_n": args.quality_n,
                "quality_vs_oracle_at_n": round(ours_big / oracle_score, 5),
                "trio_median_ms": round(trio_median, 2),
                "trio_p95_ms": round(trio_p95, 2),
                "trio_quality_vs_previous": round(trio_quality, 5),
                "trio_quality_vs_previous_at_n": round(trio_quality_big, 5),
                "trio_previous_ms": round(trio_previous_ms, 1),
            }
        )
    )
    return 0
