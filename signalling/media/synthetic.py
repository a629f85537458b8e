"""Synthetic participants: follow a pass like a browser would, on aiortc.

A ``Bot`` connects to ``/participant`` with a join ticket, answers every
step that asks for an answer, and follows its room assignments: it leaves
the old LiveKit room and joins the new one with the token it was sent
(``LiveKitPeer.move``), publishing a tone unique to it so that others can
tell, in memory, whom they hear. It records when each assignment arrived and
when it first heard everyone it should, for tests and ``onlive bench
switch``.
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

from signalling.media import ice
from signalling.media.errors import PeerError, PeerTimeout
from signalling.media.lkpeer import LiveKitPeer, PeerOptions

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
        self._tasks: set[asyncio.Task[Any]] = set()
        self._leaving: set[asyncio.Task[None]] = set()
        self.sio.on("snapshot", self._on_snapshot, namespace="/participant")
        self.sio.on("state", self._on_state, namespace="/participant")
        self.sio.on("assignment", self._on_assignment, namespace="/participant")

    # -- Socket.IO --------------------------------------------------------------

    async def start(self) -> None:
        ice.enable()
        await self.sio.connect(self.base_url, namespaces=["/participant"],
                               auth={"ticket": self.ticket}, transports=["websocket"],
                               headers={"Origin": self.base_url}, wait_timeout=10)

    async def stop(self, timeout: float = 15) -> None:
        """Leave Socket.IO and LiveKit; never longer than ``timeout`` seconds."""
        async def stop_all() -> None:
            await self.sio.disconnect()
            await self._cancel_move()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            # Old rooms' connections finish closing; they are never cut short.
            await asyncio.gather(*self._leaving, return_exceptions=True)
            await self.peer.leave()

        try:
            await asyncio.wait_for(stop_all(), timeout)
        except asyncio.TimeoutError:
            log.error("bot %s did not stop within %g s", self.person_id, timeout)

    async def _on_snapshot(self, data: dict[str, Any]) -> None:
        await self._on_state(data["state"])
        await self._on_assignment(data["assignment"])

    async def _on_state(self, view: dict[str, Any]) -> None:
        self.view = view
        step = view.get("step")
        if self.answer and step and step.get("asks_answer") and step["id"] not in self._answered:
            self._answered.add(step["id"])
            self._spawn(self._answer(step))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer(self, step: dict[str, Any]) -> None:
        make = ANSWERS.get(step["kind"])
        if make is None:
            return
        payload = {"step_id": step["id"], "client_id": uuid.uuid4().hex, "value": make(step, self.index)}
        for _ in range(3):  # the same client id on retry: stored once
            try:
                ack = await self.sio.call("answer", payload, namespace="/participant", timeout=10)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                await asyncio.sleep(0.5)
                continue
            if not ack.get("ok"):
                self.errors.append(f"answer {step['id']}: {ack['error']['message']}")
            return

    async def _on_assignment(self, assignment: dict[str, Any]) -> None:
        if self.assignment is not None and assignment["version"] < self.assignment["version"]:
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

    async def settled(self, timeout: float = 20) -> None:
        """Wait until the bot is in the room of its latest assignment."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self._moving
            if task is not None and not task.done():
                await asyncio.wait({task}, timeout=deadline - time.monotonic())
            if task is self._moving and (task is None or task.done()):
                return
        raise PeerTimeout(f"{self.person_id}: still moving after {timeout:g}s")

    async def _cancel_move(self) -> None:
        if self._moving is not None and not self._moving.done():
            self._moving.cancel()
            await asyncio.gather(self._moving, return_exceptions=True)

    # -- media ---------------------------------------------------------------------

    def expected(self) -> frozenset[float]:
        """The tones this bot should hear in its current room."""
        a = self.assignment
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
            # Like a browser, join the new room at once and let the old
            # connection wind down beside it (the server removes it anyway).
            old = self.peer
            self.peer = LiveKitPeer(self.person_id, replace(
                old.options, auto_subscribe=a["kind"] != "main" or self.listen_in_main))
            leaving = asyncio.get_running_loop().create_task(old.leave())
            self._leaving.add(leaving)
            leaving.add_done_callback(self._leaving.discard)
            await self.peer.connect(a["url"], a["token"])
            move.joined = time.monotonic()
            if move.kind == "breakout":
                # Hearing the partner is what "switched" means to a person.
                await self.peer.wait_hearing(self.expected(), timeout=15)
                move.heard = time.monotonic()
        except PeerError as error:
            self.errors.append(str(error))
            log.warning("bot %s: %s", self.person_id, error)

