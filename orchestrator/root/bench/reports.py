"""Stages of `onlive bench program` for the admin's and leadership's pages.

- ``dashboard``: the program dashboard's data over the synthetic year, as
  ``GET /api/admin/programs/P/dashboard`` makes it (the reads, the decisions,
  the payload), 40 times: ``dashboard_p95_ms`` (target <= 150 ms).
- ``breakdown``: one class of the year's program by department, site and level
  (its audience, each session, the k-safe pulse), as
  ``GET /api/admin/programs/P/breakdown?class=ID`` makes it, for 40 classes:
  ``breakdown_p95_ms`` (target <= 150 ms, like every page's data).
- ``insights``: the leadership insights of the year's program for 60 slices
  (everyone, a department, a site, a level, a department in a site), as
  ``GET /api/insights/P`` makes them: ``insights_p95_ms`` (target <= 150 ms),
  and the first call alone (nothing memoised yet): ``insights_first_ms``.
"""

from __future__ import annotations

import random
import statistics
import time

from exercises.gym.insights import Slice
from orchestrator.gym.classes import ClassLibrary
from orchestrator.gym.dashboard import Dashboards
from orchestrator.gym.insights import Insights
from orchestrator.root.bench.flows import BenchLike, _year, p95
from signalling import adminviews

DASHBOARD_SAMPLES = 40
BREAKDOWN_SAMPLES = 40
INSIGHT_SAMPLES = 60


async def stage_dashboard(b: BenchLike) -> None:
    year = await _year(b)
    boards = Dashboards(b.records, clock=year.now.timestamp)
    samples = []
    for _ in range(DASHBOARD_SAMPLES):
        start = time.perf_counter()
        adminviews.dashboard(await boards.build(b.org, year.program_id))
        samples.append((time.perf_counter() - start) * 1000)
    b.figures["dashboard_p95_ms"] = round(p95(samples), 1)
    b.figures["dashboard_median_ms"] = round(statistics.median(samples), 1)
    b.table.append((f"program dashboard data, {len(samples)} times", f"{p95(samples):.0f} ms",
                    "p95 <= 150 ms"))


async def stage_breakdown(b: BenchLike) -> None:
    year = await _year(b)
    boards = Dashboards(b.records, clock=year.now.timestamp)
    program = await b.records.program(b.org, year.program_id)
    rng = random.Random(b.seed)
    samples = []
    for _ in range(BREAKDOWN_SAMPLES):
        program_class = rng.choice(program.classes)
        start = time.perf_counter()
        adminviews.breakdown(await boards.breakdown(b.org, year.program_id, program_class.id))
        samples.append((time.perf_counter() - start) * 1000)
    b.figures["breakdown_p95_ms"] = round(p95(samples), 1)
    b.figures["breakdown_median_ms"] = round(statistics.median(samples), 1)
    b.table.append((f"a class by department, site and level, {len(samples)} classes",
                    f"{p95(samples):.0f} ms", "p95 <= 150 ms"))


async def stage_insights(b: BenchLike) -> None:
    year = await _year(b)
    insights = Insights(b.records, ClassLibrary(b.records), clock=year.now.timestamp,
                        rng=random.Random(b.seed))
    rows = await b.records.pool.fetch(
        "SELECT DISTINCT department, site, level FROM people WHERE org_id = $1", b.org)
    rng = random.Random(b.seed)
    cells = [(r["department"], r["site"], r["level"]) for r in rows]
    slices = [Slice()]
    while len(slices) < INSIGHT_SAMPLES:
        d, s, lv = rng.choice(cells)
        slices.append(rng.choice([Slice(d), Slice(None, s), Slice(None, None, lv),
                                  Slice(d, s)]))
    samples = []
    shown = 0
    for slice_ in slices:
        start = time.perf_counter()
        page = adminviews.insights(await insights.build(b.org, year.program_id, slice_))
        samples.append((time.perf_counter() - start) * 1000)
        shown += sum(1 for q in page["questions"] if not q["hidden"])
    b.figures["insights_p95_ms"] = round(p95(samples), 1)
    b.figures["insights_median_ms"] = round(statistics.median(samples), 1)
    b.figures["insights_first_ms"] = round(samples[0], 1)
    b.table += [(f"leadership insights, {len(samples)} slices", f"{p95(samples):.0f} ms",
                 "p95 <= 150 ms"),
                ("  the first (nothing memoised)", f"{samples[0]:.0f} ms", ""),
                ("  questions shown / asked", f"{shown} / {len(samples) * len(page['questions'])}",
                 "")]


STAGES = [("dashboard", stage_dashboard), ("breakdown", stage_breakdown),
          ("insights", stage_insights)]
