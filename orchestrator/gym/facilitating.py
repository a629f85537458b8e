"""A facilitator's own page: the sessions they facilitate, and opening one.

Sessions name their facilitator (``onlive session add --facilitator NAME``);
a facilitator's credential names them the same way, within one organisation.
A session opens (its live pass is created, from the class version it was
scheduled with) from :data:`OPEN_BEFORE` before its start; an open one is
simply entered again.

Errors: ``NotFound`` ``unknown_session`` for a session that is not theirs
(never saying whose it is), ``InvalidSession`` ``too_early`` (the page
knows from when) and ``session_over`` for an ended or cancelled one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from exercises.gym.errors import InvalidSession
from exercises.gym.program import SessionState
from orchestrator.errors import NotFound
from orchestrator.gym.ports import FacilitatorStore
from orchestrator.gym.programs import Programs
from orchestrator.gym.records import FacilitatedSession

__all__ = ["OPEN_BEFORE", "Facilitating"]

#: How long before its start a facilitator may open a session.
OPEN_BEFORE = timedelta(minutes=60)


class Facilitating:
    def __init__(self, records: FacilitatorStore, programs: Programs, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.records = records
        self.programs = programs
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), timezone.utc)

    async def upcoming(self, org_id: str, facilitator: str) -> list[FacilitatedSession]:
        return await self.records.facilitator_sessions(org_id, facilitator, self._now())

    async def open(self, org_id: str, facilitator: str, pass_id: str) -> str:
        """Open one of their sessions (once it may be opened); its pass id."""
        try:
            session = await self.records.session(org_id, pass_id)
        except NotFound:
            session = None
        if session is None or session.facilitator != facilitator:
            raise NotFound("no such session among yours", code="unknown_session")
        if session.state in (SessionState.ENDED, SessionState.CANCELLED):
            raise InvalidSession(f"the session is {session.state.value}", code="session_over")
        if session.state is SessionState.SCHEDULED:
            wait = session.starts_at - OPEN_BEFORE - self._now()
            if wait > timedelta(0):
                minutes = int(wait.total_seconds() // 60) + 1
                raise InvalidSession(f"the session can be opened in {minutes} minutes",
                                     code="too_early")
            await self.programs.open_session(org_id, pass_id)
        return pass_id
