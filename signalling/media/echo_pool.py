"""A bounded pool of echo test sessions that ends idle ones on its own.

The orchestrator keeps one ``EchoPool`` (a resource of the composition
root) and the edge's ``echo_offer`` / ``echo_report`` / ``echo_close``
handlers call it. It caps concurrent sessions (``EchoBusy`` with
``retry_after`` seconds when full), ends sessions that are idle (no media
and no call for ``idle_timeout``) or older than ``max_duration`` or whose
media failed, and counts ``active``.

Errors (``signalling.media.errors``): ``EchoBusy`` when full, ``BadOffer``
for an unusable offer, ``UnknownEchoSession`` for a session that ended or
never existed, ``EchoClosed`` after shutdown; a session's own errors pass
through (see ``signalling.media.echo``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.taskset import TaskSet
from signalling.media.echo import EchoSession, EchoState
from signalling.media.errors import EchoBusy, EchoClosed, EchoInUse, UnknownEchoSession
from signalling.media.verdict import EchoReport, Thresholds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EchoTicket:
    """What the orchestrator acks to an echo offer."""

    session_id: str
    answer_sdp: str
    report_after: float  # seconds after the connection is up


class EchoPool:
    """At most ``capacity`` concurrent echo sessions, ending idle ones on their own.

    A session ends when it had no media and no call for ``idle_timeout``
    seconds, when it is older than ``max_duration``, when its connection
    fails, or when ``close(session_id)`` is called. ``retry_after`` in
    ``EchoBusy`` is the time until the first of those deadlines, at least 1 s.
    Use ``async with`` (or ``aclose()``) to end everything at shutdown.
    """

    def __init__(self, capacity: int, idle_timeout: float, *, max_duration: float = 120.0,
                 measure_for: float = 4.0, thresholds: Thresholds = Thresholds()) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        if idle_timeout <= 0 or max_duration <= 0:
            raise ValueError("idle_timeout and max_duration must be positive")
        self.capacity = capacity
        self.idle_timeout = idle_timeout
        self.max_duration = max_duration
        self.measure_for = measure_for
        self.thresholds = thresholds
        self._sessions: dict[str, EchoSession] = {}
        # Taken out of _sessions and still closing (aclose waits for them too).
        self._closing: set[EchoSession] = set()
        self._reserved = 0
        self._tasks = TaskSet("echo-pool")
        self._watchdog: asyncio.Task[Any] | None = None
        self._closed = False
        self._ids = itertools.count(1)
        self._owners: dict[str, str] = {}  # owner -> their session (or "" while it opens)

    async def __aenter__(self) -> EchoPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def active(self) -> int:
        return len(self._sessions) + self._reserved

    def retry_after(self) -> float:
        if not self._sessions:
            return 1.0
        now = asyncio.get_running_loop().time()
        soonest = min(min(s.last_activity + self.idle_timeout, s.created_at + self.max_duration)
                      for s in self._sessions.values())
        return float(max(1, math.ceil(soonest - now)))

    async def open(self, offer_sdp: str, *,
                   on_report: Callable[[EchoReport], None] | None = None,
                   owner: str | None = None,
                   allowed_addresses: frozenset[str] | None = None) -> EchoTicket:
        """Start a session for a browser's offer; returns its id and our answer.

        ``owner`` (a person) holds at most one session at a time; the session
        only sends to ``allowed_addresses`` (their own address) when given.
        Raises ``EchoBusy`` when full, ``EchoInUse`` when ``owner`` has a
        session already, ``BadOffer`` for an unusable offer, ``EchoClosed``
        once the pool is shut down.
        """
        if self._closed:
            raise EchoClosed("the echo pool is shut down")
        if owner is not None and owner in self._owners:
            held = self._sessions.get(self._owners[owner])
            raise EchoInUse(self._ends_in(held) if held is not None else 1.0)
        if self.active >= self.capacity:
            raise EchoBusy(self.active, self.capacity, self.retry_after())
        # Reserve the slot (and the owner's one session) before the first await so
        # concurrent opens cannot overshoot either.
        self._reserved += 1
        if owner is not None:
            self._owners[owner] = ""
        session_id = f"echo-{next(self._ids)}-{secrets.token_hex(8)}"
        opened = False
        try:
            session = EchoSession(session_id, measure_for=self.measure_for,
                                  thresholds=self.thresholds, on_report=on_report,
                                  allowed_addresses=allowed_addresses)
            try:
                answer = await session.answer(offer_sdp)
            except BaseException:
                await session.close("offer refused")
                raise
            if self._closed:
                # aclose() ran while we answered and has not seen this session.
                await session.close("shutting down")
                raise EchoClosed("the echo pool is shut down")
            self._sessions[session_id] = session
            session.owner = owner
            if owner is not None:
                self._owners[owner] = session_id
            opened = True
        finally:
            self._reserved -= 1
            if owner is not None and not opened:
                self._owners.pop(owner, None)
        if self._watchdog is None:
            self._watchdog = self._tasks.spawn(self._watch(), "watchdog")
        return EchoTicket(session_id, answer, self.measure_for)

    def _ends_in(self, session: EchoSession) -> float:
        now = asyncio.get_running_loop().time()
        return float(max(1, math.ceil(min(session.last_activity + self.idle_timeout,
                                          session.created_at + self.max_duration) - now)))

    def get(self, session_id: str, owner: str | None = None) -> EchoSession:
        """The session ``session_id``; with ``owner``, only if it is theirs."""
        session = self._sessions.get(session_id)
        if session is None or (owner is not None and session.owner != owner):
            raise UnknownEchoSession(f"no echo session {session_id!r}: it ended or never existed; "
                                     "start a new echo test")
        return session

    async def report(self, session_id: str, timeout: float | None = None, *,
                     owner: str | None = None) -> EchoReport:
        return await self.get(session_id, owner).report(timeout)

    async def add_candidate(self, session_id: str, init: Mapping[str, Any] | None) -> None:
        await self.get(session_id).add_candidate(init)

    async def close(self, session_id: str, reason: str = "closed by client", *,
                    owner: str | None = None) -> None:
        held = self._sessions.get(session_id)
        if held is None or (owner is not None and held.owner != owner):
            return
        session = self._sessions.pop(session_id)
        if session.owner is not None and self._owners.get(session.owner) == session_id:
            del self._owners[session.owner]
        if session is not None:
            self._closing.add(session)
            try:
                await session.close(reason)
            finally:
                self._closing.discard(session)

    async def _watch(self) -> None:
        interval = min(1.0, self.idle_timeout / 4)
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            now = loop.time()
            for session_id, session in list(self._sessions.items()):
                reason = ""
                if session.state is EchoState.CLOSED:
                    reason = session.close_reason or "closed"
                elif now - session.last_activity > self.idle_timeout:
                    reason = f"idle for {self.idle_timeout:g} s"
                elif now - session.created_at > self.max_duration:
                    reason = f"longer than {self.max_duration:g} s"
                elif session.media_failed:
                    reason = "media connection failed"
                if reason:
                    try:
                        await self.close(session_id, reason)
                    except Exception:
                        log.exception("echo %s: closing (%s) failed", session_id, reason)

    async def aclose(self) -> None:
        """Stop intake, then close every session and the watchdog.

        Returns once every session is closed, including those already
        closing (by the watchdog, whose close is finished, not cut short,
        or by a caller of ``close``).
        """
        self._closed = True
        await self._tasks.cancel_all()
        self._watchdog = None
        sessions, self._sessions = [*self._sessions.values(), *self._closing], {}
        self._owners.clear()
        await asyncio.gather(*(s.close("shutting down") for s in sessions),
                             return_exceptions=True)
