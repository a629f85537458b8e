"""Synthetic participants: follow a pass like a browser would, on aiortc.

A ``Bot`` connects to ``/participant`` with a join ticket, answers every
step that asks for an answer, and follows its room assignments: it leaves
the old LiveKit room and joins the new one with the token it was sent
(``LiveKitPeer.move``), publishing a tone unique to it so that others can
tell, in memory, whom they hear. It records when each assignment arrived and
when it first heard everyone it should, for tests and ``onlive bench
switch``.

Every task a bot starts (answers, moves, old rooms' connections winding
down) is its own and is awaited by ``stop()``, which also ends Socket.IO's
reconnection attempts: nothing of a stopped bot is left open.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import socketio

from orchestrator.taskset import TaskSet
from signalling.media.closing import finish
from signalling.media.errors import PeerTimeout
from signalling.media.lkpeer import LiveKitPeer, PeerOptions
from signalling.wirenames import PARTICIPANT, Event

log = logging.getLogger(__name__)


ANSWERS: dict[str, Callable[[Mapping[str, Any], int], dict[str, Any]]] = {
    "check-in": lambda step, i: {"energy": 1 + i % 5, "word": ("pigg", "lugn", "nyfiken")[i % 3]},
    "check-out": lambda step, i: {"word": "tack"},
    "reflection": lambda step, i: {"text": "Jag märkte att jag ville lösa i stället för att lyssna."},
    "commitment": lambda step, i: {"text": "Ställa en öppen fråga till innan jag ger råd."},
    "scale": lambda step, i: {"value": step.get("scale", [1, 5])[0]},
    "poll": lambda step, i: {"choices": [i % max(1, len(step.get("options", [0])))]},
    "word-cloud": lambda step, i: {"words": ["lyssna"]},
    "follow-up": lambda step, i: {"tried": "yes"},
}


@dataclass
class Move:
    """One room change as this bot lived it (monotonic seconds)."""

    room: str
    kind: str
    version: int
    received: float
    joined: float | None = None
    heard: float | None = None
    left: float | None = None  # the old room's connection closed
    # When each step of joining the new room happened (``LiveKitPeer.marks``).
    phases: dict[str, float] = field(default_factory=dict)


@dataclass
class Bot:
    """One synthetic participant. ``tones`` maps person ids of bots to their tone."""

    base_url: str
    ticket: str
    person_id: str
    tone_hz: float
    tones: Mapping[str, float]
    index: int = 0
    answer: bool = True
    # False: in the main room the bot publishes its tone but subscribes to
    # nobody, which keeps a crowd of bots cheap; in breakouts it always listens.
    listen_in_main: bool = True
    # False: in each room the bot's tone detectors look only for the tones it
    # expects there, not for every bot's (a twentieth of the work with twenty
    # bots); it then cannot notice hearing someone it should not.
    listen_for_everyone: bool = True
    # Sent with the Socket.IO connect, as a browser sends its cookies (a proxy's route).
    headers: Mapping[str, str] = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sio = socketio.AsyncClient(serializer="msgpack", reconnection=True,
                                        reconnection_delay=0.2, reconnection_delay_max=2)
        self.peer = LiveKitPeer(self.person_id, PeerOptions(
            tone_hz=self.tone_hz, listen_for=frozenset(self.tones.values())))
        self.assignment: dict[str, Any] | None = None
        self.view: dict[str, Any] | None = None
        self._answered: set[str] = set()
        self._moving: asyncio.Task[None] | None = None
        # Socket.IO runs each event handler in a task of its own: assignments
        # are applied one at a time, in order, so no move is ever orphaned.
        self._assigning = asyncio.Lock()
        self._assigned = asyncio.Event()  # the first assignment was applied
        self._stopping = False
        self._tasks = TaskSet(f"bot[{self.person_id}]")
        self.sio.on(Event.SNAPSHOT, self._on_snapshot, namespace=PARTICIPANT)
        self.sio.on(Event.STATE, self._on_state, namespace=PARTICIPANT)
        self.sio.on(Event.ASSIGNMENT, self._on_assignment, namespace=PARTICIPANT)

    # -- Socket.IO --------------------------------------------------------------

    async def start(self) -> None:
        await self.sio.connect(self.base_url, namespaces=[PARTICIPANT],
                               auth={"ticket": self.ticket}, transports=["websocket"],
                               headers={"Origin": self.base_url, **self.headers},
                               wait_timeout=10)

    async def stop(self, timeout: float = 15) -> None:
        """Leave Socket.IO and LiveKit; everything is closed when this returns.

        Phases: Socket.IO (no more assignments), the move under way, the
        other tasks, the old rooms' connections (left to finish closing),
        the current room. Every step is bounded by its own timeouts; a stop
        that takes longer than ``timeout`` seconds is logged and still runs
        to its end, since cutting it short would leave sockets open.
        """
        self._stopping = True
        stopping = asyncio.get_running_loop().create_task(
            self._stop_all(), name=f"bot[{self.person_id}]:stop")
        done, _ = await asyncio.wait({stopping}, timeout=timeout)
        if not done:
            log.error("bot %s: stopping takes longer than %g s; waiting for it to end",
                      self.person_id, timeout)
        await finish(stopping)

    async def _stop_all(self) -> None:
        # disconnect() alone leaves a reconnection attempt running (it would
        # open a new connection and HTTP session later); shutdown() ends it,
        # and disconnect() then closes the engine.io HTTP session in any state.
        await self.sio.shutdown()
        await self.sio.disconnect()
        async with self._assigning:  # after any assignment being applied
            await self._cancel_move()
        await self._tasks.cancel_all()
        await self.peer.leave()

    async def _on_snapshot(self, data: dict[str, Any]) -> None:
        await self._on_state(data["state"])
        await self._on_assignment(data["assignment"])

    async def _on_state(self, view: dict[str, Any]) -> None:
        self.view = view
        step = view.get("step")
        if self.answer and step and step.get("asks_answer") and step["id"] not in self._answered \
                and not self._stopping:
            self._answered.add(step["id"])
            self._tasks.spawn(self._answer(step), f"answer:{step['id']}")

    async def _answer(self, step: dict[str, Any]) -> None:
        make = ANSWERS.get(step["kind"])
        if make is None:
            return
        payload = {"step_id": step["id"], "client_id": uuid.uuid4().hex, "value": make(step, self.index)}
        for _ in range(3):  # the same client id on retry: stored once
            try:
                ack = await self.sio.call(Event.ANSWER, payload, namespace=PARTICIPANT, timeout=10)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                await asyncio.sleep(0.5)
                continue
            if not ack.get("ok"):
                self.errors.append(f"answer {step['id']}: {ack['error']['message']}")
            return

    async def _on_assignment(self, assignment: dict[str, Any]) -> None:
        async with self._assigning:
            if self._stopping:
                return
            if self.assignment is not None \
                    and assignment["version"] < self.assignment["version"]:
                return
            changed = self.assignment is None or assignment["room"] != self.assignment["room"]
            self.assignment = assignment
            if changed:
                move = Move(assignment["room"] or "", assignment["kind"], assignment["version"],
                            time.monotonic())
                self.moves.append(move)
                # The newest assignment wins: an unfinished move is abandoned.
                await self._cancel_move()
                self._moving = asyncio.get_running_loop().create_task(
                    self._go(assignment, move), name=f"bot[{self.person_id}]:move")
            self._assigned.set()

    async def settled(self, timeout: float = 20) -> None:
        """Wait until the bot is in the room of its latest assignment.

        A bot that has no assignment yet (its snapshot is handled in a task
        of its own, possibly after ``start()`` returned) is not settled.
        """
        deadline = time.monotonic() + timeout
        try:
            await asyncio.wait_for(self._assigned.wait(), timeout)
        except TimeoutError:
            raise PeerTimeout(f"{self.person_id}: no assignment after {timeout:g}s") from None
        while time.monotonic() < deadline:
            task = self._moving
            if task is not None and not task.done():
                await asyncio.wait({task}, timeout=deadline - time.monotonic())
            if task is self._moving and (task is None or task.done()):
                return
        raise PeerTimeout(f"{self.person_id}: still moving after {timeout:g}s")

    async def _cancel_move(self) -> None:
        if self._moving is not None:
            self._moving.cancel()
            # Awaited even when done: its outcome is taken, never left unretrieved.
            await asyncio.gather(self._moving, return_exceptions=True)

    # -- media ---------------------------------------------------------------------

    def expected(self) -> frozenset[float]:
        """The tones this bot should hear in its current room."""
        return self._expected_in(self.assignment)

    def _expected_in(self, a: Mapping[str, Any] | None) -> frozenset[float]:
        if a is None or a["room"] is None:
            return frozenset()
        if a["kind"] == "breakout":
            ids = [m["id"] for m in a["members"]]
        else:
            ids = list(self.tones)
        return frozenset(self.tones[i] for i in ids if i != self.person_id and i in self.tones)

    async def _go(self, a: dict[str, Any], move: Move) -> None:
        """Leave the old LiveKit room, join the assigned one, listen for its people."""
        try:
            if a["room"] is None:
                await self.peer.leave()
                return
            # The old room's connection is closed before the new one opens, as
            # the page's MediaStage.join awaits the old room's disconnect (measured
            # no slower than joining while the old one winds down: README,
            # Synthetic participants). A move cancelled meanwhile still closes it whole.
            old = self.peer
            await old.leave()
            move.left = time.monotonic()
            listen_for = frozenset(self.tones.values()) if self.listen_for_everyone \
                else self._expected_in(a)
            self.peer = LiveKitPeer(self.person_id, replace(
                old.options, auto_subscribe=a["kind"] != "main" or self.listen_in_main,
                listen_for=listen_for))
            await self.peer.connect(a["url"], a["token"])
            move.joined = time.monotonic()
            if move.kind == "breakout":
                # Hearing the partner is what "switched" means to a person.
                await self.peer.wait_hearing(self.expected(), timeout=15)
                move.heard = time.monotonic()
        except Exception as error:  # noqa: BLE001 - a failed move is recorded, not raised
            self.errors.append(str(error) or repr(error))
            log.warning("bot %s: %r", self.person_id, error)
        finally:
            move.phases = self.peer.marks
