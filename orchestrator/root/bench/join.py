"""``onlive bench join``: a thousand people arriving at one pass within ten seconds.

N socket.io-client participants (one Node process, msgpack, websocket, each
with its own ticket) connect to ``onlive serve`` spread evenly over
``--spread`` seconds. For each, the join ack is the time from starting to
connect until its snapshot arrives (the join is stored by then). Also: when
the last one was in, the worker's CPU per join, and the event-loop lag p99.
``--facilitator``: the pass's facilitator has the control panel open while
they arrive, as in a real pass, so the worker also builds and sends the
facilitators' view of everyone joined (the last line says so).
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
    cpu_ms,
    load_average,
    loop_lag_p99,
    make_pass,
    ms,
    percentile,
    started,
    table,
)
from orchestrator.root.bench.statedir import state_dir


async def bench(n: int, spread: float, work_dir: Path, *,
                facilitator: bool = False) -> dict[str, Any]:
    services = Services(work_dir)
    async with started(services) as node:
        setup = await make_pass(services.settings(), demo_class(), n)
        pid = services.worker_pids[0]
        if facilitator:
            await node.call("facilitator", url=services.urls[0], credential=setup.facilitator)
        await asyncio.sleep(1.0)
        cpu0 = cpu_ms(pid)
        joined = await node.call("connect", urls=services.urls, tickets=setup.tickets,
                                 spread_s=spread)
        cpu1 = cpu_ms(pid)
        if joined["failed"]:
            print(f"{joined['failed']} of {n} participants got no snapshot: {joined['errors']}",
                  file=sys.stderr)
        if not joined["connected"]:
            raise RuntimeError("no participant could connect")
        lag = await loop_lag_p99(services.urls[0], setup.ops)
        acks = joined["ack_ms"]
        return {"n": n, "join_ack_p50_ms": ms(percentile(acks, 0.5)),
                "join_ack_p95_ms": ms(percentile(acks, 0.95)),
                "all_joined_s": round(joined["all_s"], 2),
                "worker_ms_per_join": round((cpu1 - cpu0) / n, 2),
                "loop_lag_p99_ms": ms(lag), "load": load_average()}


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="onlive bench join")
    parser.add_argument("--n", type=int, default=1000, help="participants")
    parser.add_argument("--spread", type=float, default=10.0,
                        help="seconds over which they arrive")
    parser.add_argument("--facilitator", action="store_true",
                        help="the facilitator's control panel open while they arrive")
    args = parser.parse_args(argv)
    with state_dir("onlive-bench-") as tmp:
        f = asyncio.run(bench(args.n, args.spread, Path(tmp), facilitator=args.facilitator))
    load = f.pop("load")
    panel = ", the facilitator's panel open" if args.facilitator else ""
    rows = [
        ("participants", f"{f['n']} over {args.spread:g} s{panel}", f"load {load}"),
        ("join ack p50 / p95", f"{f['join_ack_p50_ms']} / {f['join_ack_p95_ms']} ms",
         "target p95 <= 200 ms"),
        ("all joined after", f"{f['all_joined_s']} s", f"target <= {args.spread + 2:g} s"),
        ("worker CPU per join", f"{f['worker_ms_per_join']} ms", "target <= 2 ms"),
        ("event-loop lag p99", f"{f['loop_lag_p99_ms']} ms", ""),
    ]
    table("join benchmark (onlive serve, real Redis and LiveKit)", rows, f)
    return 0
