"""`onlive bench program`: the gym's system of record at the size of a large organisation.

Starts its own PostgreSQL (durable, as in production) in a temporary
directory, makes a synthetic organisation (10,000 people by default: skewed
departments and sites, a management chain under a top-management group,
Swedish and English speakers) and runs the stages in ``STAGES`` in order.
Each stage adds figures to one shared ``Bench``; the last line printed is
one JSON object with all of them.

Stages now: ``import`` (``import_10k_s``: checking and importing the whole
roster file, the user-facing figure; then the same file again and a file
with 5 % changes and 1 % leavers). Later stages (a year of weekly passes and
their attendance; ``dashboard_p95_ms``, ``insights_p95_ms``,
``min_traning_p95_ms``, ``pass_archive_ms``) append themselves to
``STAGES`` and read what earlier stages left in ``Bench.data``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exercises.gym.roster import COLUMNS, parse_roster
from orchestrator.adapters.postgres import PostgresRecords, open_records
from orchestrator.root import procs
from orchestrator.root.bench import flows, reports
from orchestrator.root.bench.statedir import state_dir
from orchestrator.settings import Settings

ORG = "bench"
FIRST = ["Anna", "Björn", "Cecilia", "David", "Elin", "Farid", "Greta", "Hassan", "Ida", "Johan",
         "Karin", "Lars", "Maja", "Nils", "Olivia", "Per", "Rut", "Sara", "Tove", "Åsa", "Örjan"]
LAST = ["Lind", "Berg", "Holm", "Ek", "Sandberg", "Nouri", "Nyström", "Johansson", "Karlsson",
        "Nilsson", "Öberg", "Åkesson", "Svensson", "Larsson", "Persson", "Ali", "Gustafsson"]


@dataclass
class Bench:
    """What the stages share: the database, the organisation, the figures and the table."""

    records: PostgresRecords
    org: str
    people: int
    seed: int
    figures: dict[str, float] = field(default_factory=dict)
    table: list[tuple[str, str, str]] = field(default_factory=list)  # (what, figure, target)
    data: dict[str, Any] = field(default_factory=dict)  # what later stages build on


Stage = Callable[[Bench], Awaitable[None]]


def synthetic_roster(n: int, seed: int, *, changed: float = 0.0, left: float = 0.0,
                     base_seed: int | None = None) -> bytes:
    """A valid roster file of ``n`` people; ``changed`` / ``left`` move and drop a share.

    The same ``seed`` gives the same organisation; changes are drawn with
    ``base_seed`` so a changed file is the same organisation a little later.
    """
    rng = random.Random(seed)
    departments = [f"Avdelning {d:02d}" for d in range(25)]
    dept_weights = [8.0] + [rng.random() + 0.2 for _ in departments[1:]]
    sites = ["Stockholm", "Göteborg", "Malmö", "Umeå", "Luleå", "Linköping", "Örebro", "Kiruna"]
    site_weights = [0.4, 0.2, 0.15, 0.07, 0.06, 0.05, 0.04, 0.03]
    lines = [",".join([*COLUMNS, "language"])]
    drift = random.Random(base_seed if base_seed is not None else seed + 1)
    for i in range(n):
        employee_id = f"E{i:06d}"
        if i < 10:
            level, manager = "top", (f"E{0:06d}" if i else "")
        elif i % 10 == 0:
            level, manager = "manager", f"E{rng.randrange(0, min(i, 10)):06d}"
        else:
            level, manager = "employee", f"E{(i // 10) * 10 if i >= 10 else 0:06d}"
        department = rng.choices(departments, dept_weights)[0]
        site = rng.choices(sites, site_weights)[0]
        language = "en" if rng.random() < 0.15 else "sv"
        first, last = rng.choice(FIRST), rng.choice(LAST)
        roll = drift.random()
        if roll < left and level == "employee":
            continue
        if roll < left + changed:
            site = sites[(sites.index(site) + 1) % len(sites)]
        lines.append(",".join([employee_id, first, last, f"{employee_id.lower()}@example.se",
                               department, site, manager, level, language]))
    return ("\n".join(lines) + "\n").encode()


def size(n: int) -> str:
    """``10k`` for 10,000 people, as the figures' names say it."""
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


async def stage_import(b: Bench) -> None:
    """Check and import the roster file, as ``onlive roster import`` does."""
    await b.records.ensure_org(b.org)
    data = synthetic_roster(b.people, b.seed)

    async def timed(raw: bytes, name: str) -> tuple[float, str]:
        start = time.perf_counter()
        report = await b.records.import_roster(b.org, parse_roster(raw, name))
        return time.perf_counter() - start, str(report)

    first, first_report = await timed(data, "roster.csv")
    again, again_report = await timed(data, "roster.csv")
    moved = synthetic_roster(b.people, b.seed, changed=0.05, left=0.01)
    changes, changes_report = await timed(moved, "roster-later.csv")
    parse_start = time.perf_counter()
    parse_roster(data, "roster.csv")
    parse_s = time.perf_counter() - parse_start
    n = size(b.people)
    b.figures.update({f"import_{n}_s": round(first, 3), f"reimport_{n}_s": round(again, 3),
                      f"import_{n}_changes_s": round(changes, 3),
                      f"parse_{n}_s": round(parse_s, 3)})
    b.table += [(f"import {b.people} people (first time)", f"{first:.2f} s", "<= 5 s"),
                ("  of which checking the file", f"{parse_s:.2f} s", ""),
                ("import the same file again", f"{again:.2f} s", ""),
                ("import with 5 % changed, 1 % left", f"{changes:.2f} s", "")]
    b.data["roster"] = data
    b.data["reports"] = [first_report, again_report, changes_report]


#: The stages in order; later work appends its own.
STAGES: list[tuple[str, Stage]] = [("import", stage_import)]
STAGES += flows.STAGES  # year (shared synthetic data), min_traning, archive
STAGES += reports.STAGES  # dashboard, breakdown, insights


async def bench(people: int, seed: int, work_dir: Path, only: set[str] | None) -> Bench:
    password = procs.load_or_create_password(work_dir / "pg-password")
    port = procs.free_port()
    child = procs.start_postgres(work_dir / "postgres", port, password,
                                 bin_dir=Settings.from_env().postgres_bin)
    try:
        async with open_records(procs.postgres_url(port, password)) as records:
            b = Bench(records, ORG, people, seed)
            for name, stage in STAGES:
                if only is None or name in only:
                    await stage(b)
            return b
    finally:
        child.stop()


def run(argv: list[str]) -> int:
    """Entry point of ``onlive bench program``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="onlive bench program")
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--stage", action="append", choices=[n for n, _ in STAGES],
                        help="run only these stages (default: all)")
    args = parser.parse_args(argv)
    with state_dir("onlive-bench-") as tmp:
        b = asyncio.run(bench(args.people, args.seed, Path(tmp),
                              set(args.stage) if args.stage else None))
    width = max(len(what) for what, _, _ in b.table)
    print(f"{'what':{width}}  {'figure':>10}  target")
    for what, figure, target in b.table:
        print(f"{what:{width}}  {figure:>10}  {target}")
    for report in b.data.get("reports", []):
        print(f"  {report}")
    print(json.dumps({"people": b.people, **b.figures}))
    return 0
