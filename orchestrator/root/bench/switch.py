"""``onlive bench switch``: how fast a whole pass moves into breakout rooms and back.

Starts its own redis-server, PostgreSQL, livekit-server and orchestrator
(``harness.Services``; the worker a child process, so the bots' CPU is
measured alone), runs N synthetic participants (default 20, audio only) in one
pass, and opens and recalls breakouts several
times. For each open it records, per participant, the time from the
facilitator's command to the personal assignment arriving and to hearing the
partner's tone. Prints a table and, last, one JSON line.

The bots run in ``--bot-processes`` child processes (default 2, one per core
of the development machine; ``botprocs``), each with its own event loop: on
one loop, each bot's joining work queued behind the others', and the figure
measured the load generator more than onlive. This process sends the
facilitator's commands and gathers the bots' times, all on one clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from pathlib import Path

from exercises.script import ClassScript, Step, StepKind
from exercises.state import Member
from exercises.text import Text
from orchestrator.root.bench.harness import Services, load_average
from orchestrator.root.bench.statedir import state_dir

SCRIPT = ClassScript(
    id="bench-switch", version=1, title=Text("Byten", "Switches"),
    description=Text("Öppna och återkalla grupprum", "Open and recall breakout rooms"),
    steps=(Step("pairs", StepKind.BREAKOUT, Text("Par", "Pairs"), Text("Prata", "Talk"),
                duration=3600, group_size=2),))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def phase_table(phases: dict[str, list[float]]) -> list[str]:
    """Per joining step, ms after the open: p50 / p95, in the order they happen."""
    lines = ["  phase (ms after open)      p50     p95   count"]
    for name in sorted(phases, key=lambda k: percentile(phases[k], 0.5)):
        values = phases[name]
        lines.append(f"  {name:<22} {percentile(values, 0.5):7.0f} {percentile(values, 0.95):7.0f}"
                     f"   {len(values)}")
    return lines


async def bench(n: int, cycles: int, work_dir: Path,
                phases: dict[str, list[float]] | None = None, *,
                bot_processes: int = 2) -> dict[str, float | str]:
    import socketio

    from orchestrator.root.bench.botprocs import BotProcess, BotSpec
    from orchestrator.root.oneshot import one_shot
    from signalling.media import participant_frequency
    from signalling.wirenames import FACILITATOR, Command, Event

    # Redis, PostgreSQL, LiveKit and one worker, as every other benchmark starts them
    # (stopped at the end, and what started already when a later start fails).
    services = Services(work_dir)
    services.start()
    base_url = services.urls[0]
    fac = socketio.AsyncClient(serializer="msgpack")
    procs_: list[BotProcess] = []

    async def command(name: str, **args: object) -> dict[str, object]:
        reply: dict[str, object] = await fac.call(Event.COMMAND, {"name": name, **args},
                                                  namespace=FACILITATOR, timeout=30)
        if not reply.get("ok"):
            raise RuntimeError(f"{name} refused: {reply}")
        return reply

    async def load_cpu() -> float:
        """The load generator's CPU seconds: this process and every bot process."""
        return cpu_seconds() + sum(await asyncio.gather(*(p.cpu() for p in procs_)))

    try:
        people = [Member(f"b{i:03d}", f"Bot {i}", ("IT", "HR", "Ekonomi", "Sälj")[i % 4],
                         ("Umeå", "Malmö", "Luleå")[i % 3]) for i in range(n)]
        tones = {m.id: participant_frequency(i) for i, m in enumerate(people)}
        async with one_shot(services.settings()) as live:
            state = await live.passes.create_pass(SCRIPT, program="bench")
            specs = [BotSpec(await live.participants.invite(state.id, m), m.id, i)
                     for i, m in enumerate(people)]
            credential = live.access.facilitator_credential(state.id)
        await fac.connect(base_url, namespaces=[FACILITATOR], auth={"credential": credential},
                          headers={"Origin": base_url}, transports=["websocket"])
        for _ in range(bot_processes):
            procs_.append(await BotProcess.spawn())
        # Bot i runs in process i mod N: partners are as likely to share one as not.
        await asyncio.gather(*(p.start(base_url, tones, specs[k::bot_processes])
                               for k, p in enumerate(procs_)))
        # Everyone is in the pass; the facilitator starts it while their media connects.
        await command(Command.START)
        await asyncio.gather(*(p.settled(60) for p in procs_))

        to_assignment: list[float] = []
        to_media: list[float] = []
        cpu0, wall0 = await load_cpu(), time.monotonic()
        for cycle in range(cycles):
            cpu_opened = await load_cpu()
            opened = time.monotonic()
            # Each process waits for its bots to hear their partner in a room
            # assigned after ``opened`` (one clock for every process).
            waiting = asyncio.gather(*(p.moves(opened, 30) for p in procs_))
            await command(Command.OPEN_BREAKOUTS)
            replies = await waiting
            switched = time.monotonic()
            moves = [m for reported, _ in replies for m in reported]
            if phases is not None:
                phases.setdefault("loop_lag_during_switch_ms", []).extend(
                    lag for _, lags in replies for lag in lags)
                phases.setdefault("cpu_share_during_switch_pct", []).append(
                    100 * (await load_cpu() - cpu_opened) / (switched - opened))
            heard = 0
            for move in moves:
                if move.kind != "breakout" or move.received < opened:
                    continue  # no assignment for this round: missed below
                to_assignment.append(1000 * (move.received - opened))
                if move.heard is not None:
                    heard += 1
                    to_media.append(1000 * (move.heard - opened))
                if phases is not None:
                    marks = {**move.phases, "received": move.received}
                    if move.heard is not None:
                        marks["heard"] = move.heard
                    if move.left is not None:
                        marks["left"] = move.left
                    for name, at in marks.items():
                        phases.setdefault(name, []).append(1000 * (at - opened))
            print(f"  cycle {cycle + 1}: {heard}/{n} hear their partner", file=sys.stderr,
                  flush=True)
            await command(Command.RECALL, countdown=0)
            await asyncio.sleep(0.2)
            await asyncio.gather(*(p.settled(30) for p in procs_))
        cpu, wall = await load_cpu() - cpu0, time.monotonic() - wall0
        missing = n * cycles - len(to_media)
        return {
            "n": n, "cycles": cycles,
            "open_to_assignment_p50_ms": round(percentile(to_assignment, 0.5), 1),
            "open_to_assignment_p95_ms": round(percentile(to_assignment, 0.95), 1),
            "open_to_media_p50_ms": round(percentile(to_media, 0.5), 1),
            "open_to_media_p95_ms": round(percentile(to_media, 0.95), 1),
            "media_switches_missed": missing,
            "cpu_s_per_bot_minute": round(cpu / n / (wall / 60), 3),
            "bots_cpu_cores": round(cpu / wall, 3),
            "mean_open_to_media_ms": round(statistics.fmean(to_media), 1) if to_media else -1,
            "bot_processes": bot_processes,
            # Others' work on the machine moves this figure; the runs say how busy it was.
            "load": load_average(),
        }
    finally:
        await asyncio.gather(*(p.close() for p in procs_), return_exceptions=True)
        await fac.disconnect()
        services.stop()


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="onlive bench switch")
    parser.add_argument("--n", type=int, default=20, help="synthetic participants")
    parser.add_argument("--cycles", type=int, default=5, help="open/recall cycles")
    parser.add_argument("--bot-processes", type=int, default=2,
                        help="processes the bots are spread over, each with its own event loop")
    parser.add_argument("--phases", action="store_true",
                        help="also print when each step of joining happened (ms after the open)")
    args = parser.parse_args(argv)
    phases: dict[str, list[float]] | None = {} if args.phases else None
    with state_dir("onlive-bench-") as tmp:
        figures = asyncio.run(bench(args.n, args.cycles, Path(tmp), phases,
                                    bot_processes=args.bot_processes))
    rows = [
        ("participants", f"{figures['n']}", f"load {figures['load']}"),
        ("open/recall cycles", f"{figures['cycles']}", ""),
        ("open -> assignment p50 / p95", f"{figures['open_to_assignment_p50_ms']} / "
         f"{figures['open_to_assignment_p95_ms']} ms", ""),
        ("open -> hearing partner p50 / p95", f"{figures['open_to_media_p50_ms']} / "
         f"{figures['open_to_media_p95_ms']} ms", "target p95 <= 1000 ms"),
        ("switches that never heard the partner", f"{figures['media_switches_missed']}", ""),
        ("bots' CPU", f"{figures['bots_cpu_cores']} cores, "
         f"{figures['cpu_s_per_bot_minute']} s per bot-minute", "target: 20 bots within one core"),
        ("bot processes", f"{figures['bot_processes']}", "each with its own event loop"),
    ]
    width = max(len(r[0]) for r in rows)
    print("breakout switch benchmark (real LiveKit, Redis and orchestrator on 127.0.0.1)")
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:<28} {note}")
    if phases:
        print("\n".join(phase_table(phases)))
    print(json.dumps(figures))
    return 0
