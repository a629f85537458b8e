"""``onlive dev`` keeps its children alive: a dead redis-server or livekit-server
is started again with back-off, and the person at the terminal is told.

``Supervisor.run`` looks at every child twice a second (``Child.alive`` also
reaps a dead one, so it never stays defunct). A dead child with a way to
start again (``Child.respawn``) is restarted after ``backoff(n)`` seconds
(0, 1, 2, 4 … 30 for its n-th restart in a row); one that stays up for
``STABLE_S`` starts again from no back-off. The list of children is changed
in place, so whoever stops them at the end stops the new ones.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TextIO

from orchestrator.root.procs import Child

log = logging.getLogger(__name__)

LOOK_EVERY_S = 0.5
STABLE_S = 30.0
MAX_BACKOFF_S = 30.0


def backoff(restarts: int) -> float:
    """Seconds to wait before the next restart, after ``restarts`` in a row (pure)."""
    return 0.0 if restarts == 0 else min(MAX_BACKOFF_S, 2.0 ** (restarts - 1))


class Supervisor:
    def __init__(self, children: list[Child], out: TextIO, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.children = children
        self.out = out
        self.clock = clock
        self.restarts: dict[str, int] = {}
        self.up_since: dict[str, float] = {}
        self.next_try: dict[str, float] = {}
        self.history: list[tuple[str, str]] = []  # (child, "died" | "restarted" | "failed")

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def run(self) -> None:
        while True:
            try:
                await self.look()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("supervising the child processes failed")
            await asyncio.sleep(LOOK_EVERY_S)

    async def look(self) -> None:
        now = self.clock()
        for index, child in enumerate(list(self.children)):
            name = child.name
            if child.alive():
                self.up_since.setdefault(name, now)
                if now - self.up_since[name] >= STABLE_S:
                    self.restarts[name] = 0
                continue
            if child.respawn is None:
                continue
            if name not in self.next_try:
                wait = backoff(self.restarts.get(name, 0))
                self.next_try[name] = now + wait
                self.up_since.pop(name, None)
                self.history.append((name, "died"))
                self.say(f"{name} stopped (exit code {child.process.returncode}); "
                         f"starting it again{f' in {wait:g} s' if wait else ''}.")
                log.error("%s died", name, extra={"exit_code": child.process.returncode})
            if now < self.next_try[name]:
                continue
            self.restarts[name] = self.restarts.get(name, 0) + 1
            try:
                fresh = await asyncio.to_thread(child.respawn)
            except Exception as error:  # noqa: BLE001 - say it and try again later
                wait = backoff(self.restarts[name])
                self.next_try[name] = self.clock() + wait
                self.history.append((name, "failed"))
                self.say(f"{name} could not be started again ({error}); next try in {wait:g} s.")
                continue
            del self.next_try[name]
            self.children[index] = fresh
            self.up_since[name] = self.clock()
            self.history.append((name, "restarted"))
            self.say(f"{name} is running again (pid {fresh.pid}).")
            log.info("%s restarted", name, extra={"pid": fresh.pid})
