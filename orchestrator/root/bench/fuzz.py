"""``onlive bench fuzz``: hostile input against a running server, and what it must do.

``FuzzRunner`` drives one running orchestrator with the cases of
``fuzzcases``: Socket.IO events on three long-lived connections (a
participant, the pass's facilitator and ops), raw frames on short-lived
sockets, and HTTP requests on one keep-alive session. Cases run one after
another so each effect is the case's own. For every case it checks:

- **crash**: an event without an ack, an ack that is not ``{"ok": ...}``, a
  refusal without a code or with ``internal``, a lost connection, an HTTP
  status of 500 or more, or a request the server dropped;
- **state change on error**: the pass's stored state (snapshot, roster,
  answers, the person's record and journal, read with Redis ``DUMP``) is
  not byte-for-byte the same after a refused event;
- **server errors logged**: error or critical lines, tracebacks and
  non-JSON lines in the worker's log (read after the run).

The bench starts its own services (``harness.Services``) and runs 100,000
cases (``--cases``), drawn by Hypothesis with a fixed seed; it prints a
table and, last, one JSON line with ``cases``, ``crashes``,
``state_changes_on_error`` and ``server_errors_logged`` (targets 0, 0, 0).
The test suite (``tests/fuzz``) uses the same runner on the fixtures' server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Coroutine, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import redis.asyncio as aioredis
import socketio

from exercises.demo import demo_class
from exercises.script import ClassScript, StepKind
from exercises.state import Member
from orchestrator.root.bench.fuzzcases import Case, EventCase, FrameCase, HttpCase, variants
from orchestrator.root.bench.statedir import state_dir
from orchestrator.tickets import Kind
from signalling import wirenames

T = TypeVar("T")
EVENT_TIMEOUT = 30.0
#: Limits high enough that a fuzzing client is never slowed (the limits have their own tests).
FUZZ_ENV = {"ONLIVE_EVENT_RATE": "1000000", "ONLIVE_EVENT_BURST": "1000000",
            "ONLIVE_CREDENTIAL_EVENT_RATE": "1000000",
            "ONLIVE_CREDENTIAL_EVENT_BURST": "1000000", "ONLIVE_AUTH_TIMEOUT": "10"}
#: Passes fuzzed side by side (each by its own clients, one case at a time).
LANES = 4
#: The organisation whose staff credentials the fuzzer holds.
FUZZ_ORG = "fuzz-org"


def fuzz_class() -> ClassScript:
    """The demo class without breakouts, every step an hour long: no timer changes
    the pass while it is fuzzed, and every kind of answer is open in turn."""
    steps = tuple(replace(s, duration=3600) for s in demo_class().steps
                  if s.kind is not StepKind.BREAKOUT)
    return replace(demo_class(), id="fuzz", steps=steps)


@dataclass(frozen=True)
class Target:
    base_url: str
    redis_url: str
    pass_id: str
    ticket: str
    facilitator: str
    ops: str
    step_ids: tuple[str, ...]
    person: str  # the fuzzing participant
    other: str  # someone else invited to the pass
    #: Real credentials by the stand-ins of ``fuzzcases.CREDENTIALS`` ("{admin}", ...).
    credentials: tuple[tuple[str, str], ...] = ()


async def prepare(settings: Any, lanes: int = LANES) -> list[Target]:
    """``lanes`` passes with two invited people each, on the server ``settings`` point at."""
    from orchestrator.root.oneshot import one_shot

    script = fuzz_class()
    targets = []
    async with one_shot(settings) as services:
        staff: list[tuple[str, str]] = []
        if services.gym is not None:
            await services.gym.records.ensure_org(FUZZ_ORG)
            for role in (Kind.ADMIN, Kind.LEADERSHIP, Kind.FACILITATOR_HOME):
                _, url = await services.gym.staff.issue(FUZZ_ORG, role, "Fia Fuzz")
                staff.append((f"{{{role.value}}}", url.partition("#credential=")[2]))
        for lane in range(lanes):
            state = await services.passes.create_pass(script, program="fuzz")
            person = Member(f"p-fuzz-{lane}", f"Fia Fuzz {lane}", "IT", "Umeå")
            other = Member(f"p-other-{lane}", f"Olle Annan {lane}", "HR", "Malmö")
            ticket = await services.participants.invite(state.id, person)
            await services.participants.invite(state.id, other)
            facilitator = services.access.facilitator_credential(state.id)
            ops = services.access.ops_credential()
            targets.append(Target(settings.base_url, settings.redis_url, state.id, ticket,
                                  facilitator, ops, tuple(s.id for s in script.steps),
                                  person.id, other.id, tuple(staff) + (
                                      ("{facilitator}", facilitator), ("{ops}", ops),
                                      ("{ticket}", ticket))))
    return targets


@dataclass
class Tally:
    cases: int = 0
    crashes: int = 0
    state_changes_on_error: int = 0
    refused: int = 0
    accepted: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)  # time spent, by event or kind
    examples: list[str] = field(default_factory=list)
    resets: list[str] = field(default_factory=list)  # went through on a second connection

    def crash(self, what: str) -> None:
        self.crashes += 1
        if len(self.examples) < 20:
            self.examples.append(what[:300])


def _headers_brief(case: HttpCase) -> dict[str, str]:
    """The case's headers with long values cut, for a readable example line."""
    return {k: v if len(v) <= 40 else f"{v[:20]}…({len(v)} chars)" for k, v in case.headers}


class FuzzRunner:
    """Runs cases against ``target`` one by one, tallying what the server did."""

    def __init__(self, target: Target, tally: Tally) -> None:
        self.target = target
        self.tally = tally
        self.clients: dict[str, socketio.AsyncClient] = {}
        self._session: aiohttp.ClientSession | None = None
        self._redis: aioredis.Redis | None = None
        self._baseline = b""

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self._redis = aioredis.from_url(self.target.redis_url)
        auths = {wirenames.PARTICIPANT: {"ticket": self.target.ticket},
                 wirenames.FACILITATOR: {"credential": self.target.facilitator},
                 wirenames.OPS: {"credential": self.target.ops}}
        for namespace, auth in auths.items():
            await self._connect(namespace, auth)
        # The participant's join is the last change before the cases.
        await self._command(wirenames.Command.START)
        for _ in range(100):
            ack = await self.clients[wirenames.PARTICIPANT].call(
                wirenames.Event.SYNC, {}, namespace=wirenames.PARTICIPANT, timeout=EVENT_TIMEOUT)
            if ack.get("me"):
                break
        self._baseline = await self.snapshot()

    async def _connect(self, namespace: str, auth: dict[str, str]) -> None:
        client = socketio.AsyncClient(serializer="msgpack", reconnection=False)
        await client.connect(self.target.base_url, namespaces=[namespace], auth=auth,
                             headers={"Origin": self.target.base_url},
                             transports=["websocket"], wait_timeout=15)
        self.clients[namespace] = client

    async def _command(self, name: str) -> Any:
        return await self.clients[wirenames.FACILITATOR].call(
            wirenames.Event.COMMAND, {"name": name}, namespace=wirenames.FACILITATOR,
            timeout=EVENT_TIMEOUT)

    async def close(self) -> None:
        for client in self.clients.values():
            await client.shutdown()
            await client.disconnect()
        if self._session is not None:
            await self._session.close()
        if self._redis is not None:
            await self._redis.aclose()

    async def snapshot(self) -> bytes:
        """Every stored byte of the pass and the fuzzed person (not presence or timers)."""
        assert self._redis is not None
        key = f"onlive:pass:{self.target.pass_id}"
        keys = [key, f"{key}:roster", f"{key}:present", f"{key}:expected",
                *(f"{key}:answers:{s}" for s in self.target.step_ids),
                f"onlive:person:{self.target.person}",
                f"onlive:person:{self.target.person}:journal",
                f"onlive:person:{self.target.other}"]
        async with self._redis.pipeline(transaction=True) as pipe:
            for k in keys:
                pipe.dump(k)
            dumps = await pipe.execute()
        return b"\x00".join(d or b"-" for d in dumps)

    async def run(self, cases: Iterable[Case]) -> None:
        for case in cases:
            self.tally.cases += 1
            self.tally.by_kind[type(case).__name__] += 1
            start = time.monotonic()
            if isinstance(case, EventCase):
                await self._event(case)
                what = f"{case.namespace} {str(case.event)[:20]!r}"
            elif isinstance(case, FrameCase):
                await self._frame(case)
                what = "frame"
            else:
                await self._http(case)
                what = f"http {case.path.split('?')[0][:20]}"
            self.tally.seconds[what] = self.tally.seconds.get(what, 0.0) + time.monotonic() - start

    async def _event(self, case: EventCase) -> None:
        client = self.clients[case.namespace]
        try:
            ack = await client.call(case.event, case.data, namespace=case.namespace,
                                    timeout=EVENT_TIMEOUT)
        except (TypeError, ValueError, OverflowError):
            self.tally.by_kind["unencodable"] += 1  # the client could not send it at all
            return
        except Exception as failure:  # noqa: BLE001 - any failure to answer is a crash
            self.tally.crash(f"{case.namespace} {case.event!r}: no ack ({failure!r})")
            if not client.connected:
                await self._connect(case.namespace, client.connection_auth)
            self._baseline = await self.snapshot()
            return
        after = await self.snapshot()
        if not isinstance(ack, dict) or not isinstance(ack.get("ok"), bool):
            self.tally.crash(f"{case.namespace} {case.event!r}: ack {ack!r}")
        elif ack["ok"]:
            self.tally.accepted += 1
        else:
            self.tally.refused += 1
            error = ack.get("error")
            code = error.get("code") if isinstance(error, dict) else None
            self.tally.codes[str(code)] += 1
            if not isinstance(code, str) or code in ("internal", "error"):
                self.tally.crash(f"{case.namespace} {case.event!r} {case.data!r:.120}: {ack!r}")
            if after != self._baseline:
                self.tally.state_changes_on_error += 1
                if len(self.tally.examples) < 20:
                    self.tally.examples.append(f"state changed on refused {case.event!r}: "
                                               f"{case.data!r:.120} -> {ack!r:.120}")
        self._baseline = after

    async def _frame(self, case: FrameCase) -> None:
        assert self._session is not None
        url = f"{self.target.base_url}/socket.io/?EIO=4&transport=websocket"
        try:
            async with self._session.ws_connect(url, headers={"Origin": self.target.base_url}
                                                ) as ws:
                await ws.receive(timeout=10)  # Engine.IO's open packet
                if isinstance(case.frame, bytes):
                    await ws.send_bytes(case.frame)
                else:
                    await ws.send_str(case.frame)
                # Closed at once: the server reads frames in order, so it handles this
                # one before the close (a bad one closes the socket from its side too).
        except (TimeoutError, aiohttp.ClientError, ConnectionError):
            pass
        after = await self.snapshot()
        if after != self._baseline:
            self.tally.state_changes_on_error += 1
            self._baseline = after

    def _credential(self, header: str) -> str:
        """``Bearer {admin}`` and the like with the target's real credential of that role."""
        for stand_in, credential in self.target.credentials:
            if header == "Bearer " + stand_in:
                return "Bearer " + credential
        return header

    async def _request(self, session: aiohttp.ClientSession, case: HttpCase) -> int:
        headers = {k: self._credential(v) for k, v in case.headers}
        async with session.request(case.method, self.target.base_url + case.path,
                                   headers=headers, data=case.body,
                                   allow_redirects=False) as r:
            await r.read()
            return r.status

    async def _http(self, case: HttpCase) -> None:
        assert self._session is not None
        try:
            try:
                status = await self._request(self._session, case)
            except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as error:
                # A connection that ends before the answer: sent again once on a fresh
                # connection, where only a fault of this very case can end it again (a
                # crash). One that goes through then was not this case's doing (a race
                # of a kept-alive connection's close, or of unread bytes at a close):
                # counted and shown apart, with its headers, to be looked into.
                async with aiohttp.ClientSession(
                        timeout=aiohttp.ClientTimeout(total=30),
                        connector=aiohttp.TCPConnector(force_close=True)) as fresh:
                    status = await self._request(fresh, case)
                self.tally.resets.append(f"{case.method} {case.path!r} "
                                         f"{_headers_brief(case)}: {error!r}")
        except (aiohttp.InvalidURL, ValueError):
            self.tally.by_kind["unencodable"] += 1
            return
        except (aiohttp.ClientError, TimeoutError) as error:
            self.tally.crash(f"{case.method} {case.path!r} {_headers_brief(case)}: {error!r}")
            return
        if status >= 500:
            self.tally.crash(f"{case.method} {case.path!r} {_headers_brief(case)}: {status}")
        after = await self.snapshot()
        if status >= 400 and after != self._baseline:
            self.tally.state_changes_on_error += 1
        self._baseline = after


def server_errors(log_path: Path) -> list[str]:
    """Error lines, tracebacks and lines that are not JSON in a worker's log."""
    found = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            found.append(line)
            continue
        if entry.get("level") in ("error", "critical") or "exc" in entry:
            found.append(line)
    return found


class ThreadedRunner:
    """One ``FuzzRunner`` per target (lane) on an event loop of its own thread, for
    synchronous callers (Hypothesis runs each example as a plain function call). A
    batch is dealt to the lanes in turn; lanes run side by side, cases in a lane one
    after another."""

    def __init__(self, targets: list[Target]) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz", daemon=True)
        self.thread.start()
        self.tally = Tally()
        self.runners = [FuzzRunner(t, self.tally) for t in targets]
        for runner in self.runners:
            self._call(runner.start())

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result()

    def run(self, cases: Iterable[Case]) -> None:
        batch, lanes = [v for case in cases for v in variants(case)], len(self.runners)

        async def all_lanes() -> None:
            await asyncio.gather(*(r.run(batch[i::lanes]) for i, r in enumerate(self.runners)))
        self._call(all_lanes())

    def close(self) -> None:
        try:
            for runner in self.runners:
                self._call(runner.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            self.loop.close()


#: Cases sent per case drawn (``variants``), measured on the default mix; with a margin.
SENT_PER_DRAWN = 5


def drive(runner: ThreadedRunner, total: int, batch: int = 50, seed: int = 14) -> None:
    """Run at least ``total`` cases drawn by Hypothesis (fixed seed, derandomized):
    drawn batches until ``total`` are sent (each drawn case sends its ``variants``)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as with_seed

    from orchestrator.root.bench.fuzzcases import batches

    @with_seed(seed)
    @settings(max_examples=max(1, total // (batch * SENT_PER_DRAWN) + 1), derandomize=True,
              database=None,
              deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(batches(batch))
    def one(cases: list[Case]) -> None:
        if runner.tally.cases < total:
            runner.run(cases)

    one()
    while runner.tally.cases < total:  # Hypothesis drew fewer than asked: top up, same seed
        seed += 1
        drive(runner, total, batch, seed)


def report(tally: Tally, errors: list[str], seconds: float) -> dict[str, int]:
    figures = {"cases": tally.cases, "crashes": tally.crashes,
               "state_changes_on_error": tally.state_changes_on_error,
               "server_errors_logged": len(errors)}
    rows = [("cases", str(tally.cases), f"in {seconds:.0f} s"),
            ("  events / http / frames", " / ".join(str(tally.by_kind[k]) for k in (
                "EventCase", "HttpCase", "FrameCase")), "kinds of case"),
            ("  accepted / refused", f"{tally.accepted} / {tally.refused}", "events"),
            ("crashes", str(tally.crashes), "target 0"),
            ("  resets gone on a 2nd try", str(len(tally.resets)), "not crashes; shown below"),
            ("state changes on error", str(tally.state_changes_on_error), "target 0"),
            ("server errors logged", str(len(errors)), "target 0")]
    width = max(len(r[0]) for r in rows)
    print("onlive bench fuzz: hostile input against a running server")
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:<20} {note}")
    print("  refusal codes: " + ", ".join(f"{c} {n}" for c, n in tally.codes.most_common(12)))
    print("  slowest: " + ", ".join(f"{w} {s:.1f} s" for w, s in sorted(
        tally.seconds.items(), key=lambda i: -i[1])[:8]))
    for example in tally.examples[:10] + errors[:5]:
        print(f"  ! {example}")
    for reset in tally.resets[:5]:
        print(f"  ~ {reset}")
    print(json.dumps(figures))
    return figures


def run(argv: list[str]) -> int:
    from orchestrator.root.bench.harness import Services

    parser = argparse.ArgumentParser(prog="onlive bench fuzz")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    with state_dir("onlive-fuzz-") as tmp:
        services = Services(Path(tmp), extra_env=FUZZ_ENV)
        services.start()
        try:
            targets = asyncio.run(prepare(services.settings()))
            runner = ThreadedRunner(targets)
            start = time.monotonic()
            try:
                drive(runner, args.cases, seed=args.seed)
            finally:
                runner.close()
            errors = server_errors(Path(tmp) / "orchestrator-0.log")
            figures = report(runner.tally, errors, time.monotonic() - start)
        finally:
            services.stop()
    return 0 if not any(v for k, v in figures.items() if k != "cases") else 1
