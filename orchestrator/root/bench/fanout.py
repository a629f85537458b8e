"""``onlive bench fanout``: one update to a thousand participants, against Node.

N socket.io-client participants (one Node process, msgpack, websocket, each
with its own ticket) join one pass on ``onlive serve`` (or on ``--workers``
workers sharing Redis, participants spread over them); a facilitator sends
``extend`` ``--rounds`` times, and for each round the time until the last
participant has the new state is recorded; then ``broadcast`` (a cue, then
the state). The same clients then do the same against a minimal Node
socket.io 4 server broadcasting the very payload onlive sent
(``web/bench/ref-server.mjs``), in the same run. Also: the workers' CPU per
command, memory per connected participant (RSS growth while the clients
connect, divided by N) and the event-loop lag p99 over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from exercises.demo import demo_class
from orchestrator.root import procs
from orchestrator.root.bench.harness import (
    BENCH_DIR,
    Node,
    Services,
    cpu_ms,
    load_average,
    loop_lag_p99,
    make_pass,
    ms,
    node_binary,
    percentile,
    rss_kb,
    table,
)

EXTEND = {"name": "extend", "seconds": 1}
BROADCAST = {"name": "broadcast", "text": "Dags att samlas i stora rummet igen."}
WARM_UP = 3


async def _settle() -> None:
    await asyncio.sleep(1.0)


async def onlive(n: int, rounds: int, workers: int, work_dir: Path) -> dict[str, Any]:
    services = Services(work_dir, workers=workers)
    services.start()
    node = await Node.start()
    try:
        setup = await make_pass(services.settings(), demo_class(), n)
        pids = services.worker_pids
        await node.call("facilitator", url=services.urls[0], credential=setup.facilitator)
        await node.call("command", command={"name": "start"})
        await _settle()
        rss0 = sum(rss_kb(p) for p in pids)
        joined = await node.call("connect", urls=services.urls, tickets=setup.tickets,
                                 spread_s=n / 200)
        if joined["failed"]:
            raise RuntimeError(f"{joined['failed']} participants could not connect: "
                               f"{joined['errors']}")
        await _settle()
        rss1 = sum(rss_kb(p) for p in pids)
        await node.call("rounds", command=EXTEND, rounds=WARM_UP)
        cpu0 = sum(cpu_ms(p) for p in pids)
        extend = await node.call("rounds", command=EXTEND, rounds=rounds)
        cpu1 = sum(cpu_ms(p) for p in pids)
        lag = max([await loop_lag_p99(url, setup.ops) for url in services.urls])
        broadcast = await node.call("rounds", command=BROADCAST, rounds=max(5, rounds // 3))
        sample = (await node.call("sample"))["state"]
        return {"extend": extend, "broadcast": broadcast, "cpu_ms": (cpu1 - cpu0) / rounds,
                "kb": (rss1 - rss0) / n, "lag": lag, "sample": sample,
                "load": load_average()}
    finally:
        await node.stop()
        services.stop()


async def reference(n: int, rounds: int, payload: dict[str, Any], work_dir: Path) -> dict[str, Any]:
    payload_path = work_dir / "payload.json"
    payload_path.write_text(json.dumps(payload))
    port = procs.free_port()
    server = subprocess.Popen([node_binary(), "--expose-gc", str(BENCH_DIR / "ref-server.mjs"),
                               str(port), str(payload_path)], cwd=BENCH_DIR,
                              stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    node = await Node.start()
    try:
        assert server.stdout is not None
        await asyncio.to_thread(server.stdout.readline)
        url = f"http://127.0.0.1:{port}"
        await node.call("facilitator", url=url, credential="reference")
        before = (await node.call("stats"))["stats"]
        await node.call("connect", urls=[url], tickets=[f"t{i}" for i in range(n)],
                        spread_s=n / 200)
        await _settle()
        after = (await node.call("stats"))["stats"]
        await node.call("rounds", command=EXTEND, rounds=WARM_UP)
        cpu0 = (await node.call("stats"))["stats"]["cpu_ms"]
        extend = await node.call("rounds", command=EXTEND, rounds=rounds)
        cpu1 = (await node.call("stats"))["stats"]["cpu_ms"]
        broadcast = await node.call("rounds", command=BROADCAST, rounds=max(5, rounds // 3))
        return {"extend": extend, "broadcast": broadcast,
                # each stats call forces a full GC, which is not the broadcast's cost
                "cpu_ms": (cpu1 - cpu0) / rounds, "kb": (after["rss"] - before["rss"]) / 1024 / n}
    finally:
        await node.stop()
        server.terminate()
        server.wait(10)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="onlive bench fanout")
    parser.add_argument("--n", type=int, default=1000, help="participants")
    parser.add_argument("--rounds", type=int, default=30, help="extend commands measured")
    parser.add_argument("--workers", type=int, default=1,
                        help="orchestrator workers sharing Redis (AsyncRedisManager)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="onlive-bench-") as tmp:
        os.chmod(tmp, 0o711)  # as root, postgres runs as its own user and must get through
        ours = asyncio.run(onlive(args.n, args.rounds, args.workers, Path(tmp)))
        ref = asyncio.run(reference(args.n, args.rounds, ours["sample"], Path(tmp)))
    o_last, r_last = ours["extend"]["last_ms"], ref["extend"]["last_ms"]
    o_med, o_p99 = statistics.median(o_last), percentile(o_last, 0.99)
    r_med, r_p99 = statistics.median(r_last), percentile(r_last, 0.99)
    b_med = statistics.median(ours["broadcast"]["last_ms"])
    rb_med = statistics.median(ref["broadcast"]["last_ms"])
    figures = {
        "n": args.n, "onlive_median_ms": ms(o_med), "onlive_p99_ms": ms(o_p99),
        "node_median_ms": ms(r_med), "node_p99_ms": ms(r_p99),
        "ratio_median": round(o_med / r_med, 2), "ratio_p99": round(o_p99 / r_p99, 2),
        "cpu_ms_per_command": ms(ours["cpu_ms"]), "node_cpu_ms_per_command": ms(ref["cpu_ms"]),
        "kb_per_participant": ms(ours["kb"]), "node_kb_per_participant": ms(ref["kb"]),
        "loop_lag_p99_ms": ms(ours["lag"]),
    }
    rows = [
        ("participants / workers", f"{args.n} / {args.workers}", f"load {ours['load']}"),
        ("extend -> last has it, median", f"{ms(o_med)} ms (Node {ms(r_med)} ms)",
         f"ratio {figures['ratio_median']}, target <= 1.0"),
        ("extend -> last has it, p99", f"{ms(o_p99)} ms (Node {ms(r_p99)} ms)",
         f"ratio {figures['ratio_p99']}, target <= 1.0"),
        ("broadcast (cue + state), median", f"{ms(b_med)} ms (Node {ms(rb_med)} ms)", ""),
        ("worker CPU per command", f"{ms(ours['cpu_ms'])} ms (Node {ms(ref['cpu_ms'])} ms)", ""),
        ("memory per participant", f"{ms(ours['kb'])} KB (Node {ms(ref['kb'])} KB)",
         "target <= 25 KB"),
        ("event-loop lag p99", f"{ms(ours['lag'])} ms", "target <= 50 ms"),
    ]
    table("fan-out benchmark (onlive serve vs a Node socket.io 4 server, same clients)",
          rows, figures)
    return 0
