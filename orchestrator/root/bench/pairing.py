"""`onlive bench pairing`: speed and quality of the pairing engine.

Builds a synthetic cohort (skewed departments, sites, a management chain),
runs the engine for 50 passes of changing attendance to make a realistic
history, then times one more round for the whole cohort and compares the
result with networkx's exact maximum-weight matching on the same weights.
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

from breakout import Meeting, Person, Policy, Problem, build_problem, form_groups, meetings_of

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
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    q = grouping.quality
    rows.append((f"engine n={args.n}", f"median {median:.1f} ms, p95 {p95:.1f} ms over {args.repeats} seeds"))
    rows.append(
        (
            "  round quality",
            f"{q.pairs} pairs: {q.repeated_pairs} repeated, {q.same_department_pairs} same-department, "
            f"{q.same_site_pairs} same-site, {q.hierarchy_violations} hierarchy",
        )
    )

    trio_t = time.perf_counter()
    trios = form_groups(people, history, POLICY, size=3, seed=0, now=now)
    rows.append(
        (
            f"engine n={args.n} trios",
            f"{(time.perf_counter() - trio_t) * 1000:.0f} ms, {trios.quality.repeated_pairs} repeated, "
            f"{trios.quality.same_department_pairs} same-department pairs",
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
            }
        )
    )
    return 0
