"""Synthetic participants in processes of their own, for ``onlive bench switch``.

Twenty aiortc participants on one event loop make that loop the slowest part
of a switch: every bot's joining work queues behind every other's, so the
figure followed the load generator, not onlive. ``BotProcess`` runs a share
of the bots in a child process with its own event loop
(``python -m orchestrator.root.bench.botprocs``); the benchmark sends the
facilitator's commands and gathers what each bot lived. The times are
``time.monotonic()``, one clock for every process on Linux
(``CLOCK_MONOTONIC``), so a bot's moment of hearing is compared with the
moment the benchmark sent the command as if both were in one process.

The protocol is one JSON object a line: a request on the child's stdin, one
reply on its stdout, in order. Requests (``op``):

- ``start``: ``base_url``, ``tones`` (person id -> Hz, all bots of the run),
  ``bots`` (``ticket``, ``person_id``, ``index``): connect them to the pass;
- ``settled``: ``timeout``: wait until each is in the room of its assignment;
- ``moves``: ``since``, ``timeout``: wait until each bot has heard its partner
  in a breakout assigned after ``since`` (or the timeout passes), sampling the
  child's event-loop lag meanwhile; reply ``moves`` (each bot's last move) and
  ``lags_ms``;
- ``cpu``: the child's CPU seconds so far;
- ``stop``: stop every bot, then the child exits.

Every reply has ``ok``; a failed request says ``error`` and the benchmark
raises ``BotProcessError`` with it. Bots' own warnings go to stderr.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

LAG_SAMPLE_S = 0.01


class BotProcessError(RuntimeError):
    """A bot process refused a request or ended."""


@dataclass(frozen=True)
class BotSpec:
    """One synthetic participant to run: its join ticket and who it is."""

    ticket: str
    person_id: str
    index: int


@dataclass(frozen=True)
class MoveReport:
    """A bot's last room change, as the child saw it (monotonic seconds)."""

    person_id: str
    kind: str
    received: float
    heard: float | None
    left: float | None
    phases: dict[str, float]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class BotProcess:
    """One child process running a share of the bots; ``close()`` ends it."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._lock = asyncio.Lock()

    @classmethod
    async def spawn(cls) -> BotProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "orchestrator.root.bench.botprocs",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=16 * 1024 * 1024)
        return cls(process)

    async def call(self, op: str, **args: object) -> dict[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        async with self._lock:
            stdin.write(json.dumps({"op": op, **args}).encode() + b"\n")
            await stdin.drain()
            line = await stdout.readline()
        if not line:
            raise BotProcessError(f"bot process {self.process.pid} ended during {op!r} "
                                  f"(exit status {self.process.returncode})")
        reply: dict[str, Any] = json.loads(line)
        if not reply.get("ok"):
            raise BotProcessError(f"bot process {self.process.pid}: {op!r} failed: "
                                  f"{reply.get('error')}")
        return reply

    async def start(self, base_url: str, tones: Mapping[str, float],
                    bots: Sequence[BotSpec]) -> None:
        await self.call("launch", base_url=base_url, tones=dict(tones),
                        bots=[asdict(b) for b in bots])

    async def settled(self, timeout: float) -> None:
        await self.call("settled", timeout=timeout)

    async def moves(self, since: float, timeout: float) -> tuple[list[MoveReport], list[float]]:
        reply = await self.call("moves", since=since, timeout=timeout)
        return [MoveReport(**m) for m in reply["moves"]], list(reply["lags_ms"])

    async def cpu(self) -> float:
        return float((await self.call("cpu"))["cpu"])

    async def close(self, timeout: float = 60) -> None:
        """Stop the bots (they leave every room), then wait for the child to exit;
        a child that does not is killed."""
        try:
            if self.process.returncode is None:
                await asyncio.wait_for(self.call("stop"), timeout)
                await asyncio.wait_for(self.process.wait(), timeout)
        except (BotProcessError, TimeoutError, ConnectionError):
            pass
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()


# -- the child ---------------------------------------------------------------------


class _Child:
    def __init__(self) -> None:
        from signalling.media import Bot

        self.bots: list[Bot] = []

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "launch":
            return await self.start(request)
        if op == "settled":
            await asyncio.gather(*(b.settled(float(request["timeout"])) for b in self.bots))
            return {}
        if op == "moves":
            return await self.moves(float(request["since"]), float(request["timeout"]))
        if op == "cpu":
            return {"cpu": cpu_seconds()}
        if op == "stop":
            await self.stop()
            return {}
        raise ValueError(f"unknown request {op!r}")

    async def start(self, request: dict[str, Any]) -> dict[str, Any]:
        from signalling.media import Bot

        tones = {str(k): float(v) for k, v in request["tones"].items()}
        for spec in request["bots"]:
            b = BotSpec(**spec)
            self.bots.append(Bot(request["base_url"], b.ticket, b.person_id, tones[b.person_id],
                                 tones, index=b.index, listen_in_main=False,
                                 listen_for_everyone=False))
        for bot in self.bots:
            await bot.start()
        return {}

    async def moves(self, since: float, timeout: float) -> dict[str, Any]:
        lags: list[float] = []

        async def sample_lag() -> None:
            while True:
                before = time.monotonic()
                await asyncio.sleep(LAG_SAMPLE_S)
                lags.append(1000 * (time.monotonic() - before - LAG_SAMPLE_S))

        def heard(bot: Any) -> bool:
            move = bot.moves[-1] if bot.moves else None
            return move is not None and move.kind == "breakout" and move.received >= since \
                and move.heard is not None

        sampler = asyncio.get_running_loop().create_task(sample_lag())
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not all(heard(b) for b in self.bots):
                await asyncio.sleep(0.02)
        finally:
            sampler.cancel()
            await asyncio.gather(sampler, return_exceptions=True)
        reports = []
        for bot in self.bots:
            if not bot.moves:
                continue
            move = bot.moves[-1]
            reports.append(asdict(MoveReport(bot.person_id, move.kind, move.received,
                                             move.heard, move.left, dict(move.phases))))
        return {"moves": reports, "lags_ms": lags}

    async def stop(self) -> None:
        for bot in self.bots:
            try:
                await asyncio.wait_for(bot.stop(), 10)
            except Exception:  # noqa: BLE001 - best effort while tearing down
                pass


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=16 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout.buffer
    child = _Child()
    while line := await reader.readline():
        request = json.loads(line)
        try:
            reply = {"ok": True, **await child.handle(request)}
        except Exception as error:  # noqa: BLE001 - the benchmark reports it
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        out.write(json.dumps(reply).encode() + b"\n")
        out.flush()
        if request.get("op") == "stop":
            return
    await child.stop()  # the benchmark went away


def main() -> None:
    asyncio.run(_serve())


if __name__ == "__main__":
    main()
