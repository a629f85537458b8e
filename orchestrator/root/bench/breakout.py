"""``onlive bench breakout``: opening breakout rooms for a thousand people.

N socket.io-client participants (one Node process, msgpack, websocket, each
with its own ticket) are in a pass on ``onlive serve`` at a pair exercise;
the facilitator opens the breakouts (the grouping reads the program's
history, which grows by a round each time) and, once every participant has
their breakout assignment with its LiveKit token, recalls them (countdown 0)
until every one is back in the main room; ``--rounds`` times. Rooms are
real LiveKit rooms.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from exercises.demo import demo_class
from orchestrator.root.bench.harness import (
    Services,
    load_average,
    loop_lag_p99,
    make_pass,
    ms,
    percentile,
    started,
    table,
)
from orchestrator.root.bench.statedir import state_dir
from signalling.wirenames import Command


async def bench(n: int, rounds: int, work_dir: Path) -> dict[str, Any]:
    services = Services(work_dir)
    async with started(services) as node:
        setup = await make_pass(services.settings(), demo_class(), n)
        await node.call("facilitator", url=services.urls[0], credential=setup.facilitator)
        joined = await node.call("connect", urls=services.urls, tickets=setup.tickets,
                                 spread_s=n / 200)
        if joined["failed"]:
            print(f"{joined['failed']} of {n} participants could not connect (left out): "
                  f"{joined['errors']}", file=sys.stderr)
        if not joined["connected"]:
            raise RuntimeError("no participant could connect")
        for name in (Command.START, Command.NEXT, Command.NEXT):  # the demo class's pair exercise
            await node.call("command", command={"name": name})
        await asyncio.sleep(1.0)
        out = await node.call("breakouts", rounds=rounds)
        lag = await loop_lag_p99(services.urls[0], setup.ops)
        return {"n": n, "rooms": max(out["rooms"]),
                "open_to_last_assignment_p50_ms": ms(percentile(out["open_ms"], 0.5)),
                "open_to_last_assignment_p95_ms": ms(percentile(out["open_ms"], 0.95)),
                "recall_p95_ms": ms(percentile(out["recall_ms"], 0.95)),
                "loop_lag_p99_ms": ms(lag), "load": load_average(),
                "open_ms": [ms(v) for v in out["open_ms"]]}


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="onlive bench breakout")
    parser.add_argument("--n", type=int, default=1000, help="participants")
    parser.add_argument("--rounds", type=int, default=6, help="open/recall rounds")
    args = parser.parse_args(argv)
    with state_dir("onlive-bench-") as tmp:
        f = asyncio.run(bench(args.n, args.rounds, Path(tmp)))
    load, each = f.pop("load"), f.pop("open_ms")
    rows = [
        ("participants / rooms", f"{f['n']} / {f['rooms']}", f"load {load}"),
        ("open -> last assignment p50 / p95",
         f"{f['open_to_last_assignment_p50_ms']} / {f['open_to_last_assignment_p95_ms']} ms",
         "target p95 <= 500 ms"),
        ("each round (ms)", " ".join(f"{v:g}" for v in each), ""),
        ("recall -> last back in main p95", f"{f['recall_p95_ms']} ms", ""),
        ("event-loop lag p99", f"{f['loop_lag_p99_ms']} ms", ""),
    ]
    table("breakout benchmark (onlive serve, real LiveKit rooms and tokens)", rows, f)
    return 0
