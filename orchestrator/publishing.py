"""Publishing views: the read models each role sees, sent as changes happen.

The shared view of a pass is one broadcast per change, coalesced per pass;
facilitators' views are coalesced too, since answers, presence and quality
arrive a person at a time. Personal models (an assignment with its token, a
follow-up) go to one person only, and only when they change.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from exercises.results import aggregate
from exercises.script import StepKind, Visibility
from exercises.state import PassState, Phase
from orchestrator.errors import NotFound
from orchestrator.metrics import NO_METRICS, Metrics
from orchestrator.people import People
from orchestrator.ports import Notifier, Sfu, Store
from orchestrator.readmodels import (
    Assignment,
    FacilitatorView,
    FollowUpNotice,
    MemberRef,
    MyAnswer,
    ParticipantSnapshot,
    PassView,
    PlenaryResults,
    placement,
)
from orchestrator.settings import Settings
from orchestrator.taskset import TaskSet

#: How often a burst of changes to one pass is broadcast, at most (after its first change).
BURST_INTERVAL_S = 0.25
#: A facilitator view of a thousand people takes a few milliseconds to build and
#: send, so during a burst views follow at most every ``VIEW_COST_RATIO`` times
#: what the last one took (about 1 % of a core), yet at least every
#: ``VIEW_INTERVAL_MAX_S``.
VIEW_COST_RATIO = 100
VIEW_INTERVAL_MAX_S = 1.0

#: Recent alerts scanned for a facilitator's snapshot (of every pass; theirs are kept).
ALERTS_IN_SNAPSHOT = 100

#: What leadership-visible results show while a pass runs (see ``results``).
_LEADERSHIP_LIVE_KEYS = ("step", "kind", "visibility", "count", "suppressed", "threshold",
                         "needed")


def _differ(a: object, b: object) -> bool:
    return a is not b and a != b


class Publisher:
    def __init__(self, settings: Settings, store: Store, sfu: Sfu, notifier: Notifier,
                 people: People, *, clock: Callable[[], float] = time.time,
                 metrics: Metrics = NO_METRICS) -> None:
        self.settings = settings
        self.metrics = metrics
        self.store = store
        self.sfu = sfu
        self.notifier = notifier
        self.people = people
        self.clock = clock
        self._pending: dict[str, PassState] = {}
        self._publishing: set[str] = set()
        self._published: dict[str, int] = {}
        self._refreshing: set[str] = set()
        self._stale: set[str] = set()
        # Passes whose plenary results may have changed since this worker last
        # sent them (an answer, another step, other groups): only these are sent
        # to everyone again, not every facilitator view's copy of the same.
        self._results_due: set[str] = set()
        self._sent_at: dict[str, float] = {}  # when the last facilitator view went
        self._view_cost: dict[str, float] = {}  # and how long it took (seconds)
        #: Facilitator views of one pass go at most this often (tests read each at once).
        self.burst_interval = BURST_INTERVAL_S
        self._last: dict[str, PassState] = {}
        # Background sends of coalesced bursts; each logs its own failure.
        self.tasks = TaskSet("publishing")

    # -- read models ----------------------------------------------------------------

    def assignment(self, state: PassState, person_id: str) -> Assignment:
        """A participant's placement with a fresh token for that one room."""
        place = placement(state, person_id)
        if place.room is None:
            return Assignment(state.id, person_id, place, state.version, self.sfu.ws_url)
        member = state.roster.get(person_id)
        token = self.sfu.mint(identity=person_id, name=member.name if member else person_id,
                              room=place.room, ttl=self.settings.token_ttl)
        return Assignment(state.id, person_id, place, state.version, self.sfu.ws_url, token,
                          self.clock() + self.settings.token_ttl)

    async def results(self, state: PassState) -> Mapping[str, Any] | None:
        """Live results of the current step, within its visibility rules."""
        step = state.step
        if step is None or not step.asks_answer:
            return None
        records = await self.store.answers(state.id, step.id)
        answers = [{"person_id": person, "answer": r["value"]}
                   for person, r in sorted(records.items(), key=lambda item: item[1]["at"])]
        groups = [g.members for g in state.breakout.groups] if state.breakout else None
        result = aggregate(step, answers, threshold=self.settings.anonymity_threshold,
                           groups=groups)
        if step.visibility is Visibility.LEADERSHIP:
            # Live values would let a watcher work out each new answer by
            # difference; leadership sees them aggregated after the pass.
            result = {k: result[k] for k in _LEADERSHIP_LIVE_KEYS if k in result}
        return result

    async def facilitator_view(self, state: PassState) -> FacilitatorView:
        return FacilitatorView(state, self.clock(), await self.store.presence(state.id),
                               await self.store.qualities(state.id), await self.results(state),
                               await self.store.expected(state.id),
                               tuple(await self.store.helps(state.id)),
                               summary=await self.summary(state))

    async def summary(self, state: PassState) -> tuple[Mapping[str, Any], ...]:
        """Once the pass has ended: every answered step's results, anonymous and within
        its visibility (leadership ones only from the threshold on, as after a pass)."""
        if state.phase is not Phase.ENDED:
            return ()
        out = []
        for step in state.script.steps:
            if not step.asks_answer:
                continue
            records = await self.store.answers(state.id, step.id)
            answers = [{"person_id": person, "answer": r["value"]}
                       for person, r in sorted(records.items(), key=lambda item: item[1]["at"])]
            out.append(aggregate(step, answers, threshold=self.settings.anonymity_threshold))
        return tuple(out)

    async def facilitator_snapshot(self, pass_id: str) -> FacilitatorView:
        """The view on (re)connect: also the recent alerts of this pass and of the services."""
        view = await self.facilitator_view(await self.store.load(pass_id))
        alerts = tuple(a for a in await self.store.recent_alerts(ALERTS_IN_SNAPSHOT)
                       if a.pass_id in (None, pass_id))
        return replace(view, alerts=alerts)

    @staticmethod
    def plenary(view: FacilitatorView) -> PlenaryResults | None:
        """What every participant sees of the current step's answers (plenary steps only)."""
        step = view.state.step
        if view.results is None or step is None or step.visibility is not Visibility.PLENARY:
            return None
        return PlenaryResults(view.state.id, view.results)

    async def participant_snapshot(self, pass_id: str, person_id: str,
                                   state: PassState | None = None) -> ParticipantSnapshot:
        """One participant's full view; ``state`` when the caller just has it."""
        state = state or await self.store.load(pass_id)
        mine = None
        step = state.step
        if step is not None and step.asks_answer:
            record = await self.store.answer_of(pass_id, step.id, person_id)
            if record:
                mine = MyAnswer(record["cid"], record["value"])
        member = state.roster.get(person_id)
        in_follow_up = step is not None and step.kind is StepKind.FOLLOW_UP
        shared = None
        if step is not None and step.asks_answer and step.visibility is Visibility.PLENARY:
            shared = await self.results(state)
        return ParticipantSnapshot(
            PassView(state, self.clock()), self.assignment(state, person_id),
            MemberRef(person_id, member.name if member else ""), mine, in_follow_up,
            await self.people.last_commitment(state, person_id) if in_follow_up else None,
            shared)

    # -- sending ------------------------------------------------------------------------

    async def publish(self, state: PassState, *, facilitators: bool = True) -> None:
        """Broadcast the views of ``state``, coalescing bursts per pass.

        The first change after a quiet moment goes out at once, from the
        caller. Changes that arrive while it is on its way (a thousand people
        joining) only replace the pending state, which a background task
        sends at most every ``BURST_INTERVAL_S``: a burst costs a few
        broadcasts, no caller waits for the burst to end, and every client
        still ends on the latest version (clients that see a version gap ask
        for a snapshot). Without ``facilitators`` the caller refreshes their
        view itself (after what it sends to everyone).
        """
        pending = self._pending.get(state.id)
        if pending is not None and pending.version >= state.version \
                or self._published.get(state.id, -1) >= state.version:
            return
        self._pending[state.id] = state
        if state.id in self._publishing:
            return
        self._publishing.add(state.id)
        try:
            await self._send_pending(state.id, facilitators)
        finally:
            if state.id in self._pending:
                self.tasks.spawn(self._drain(state.id), "publish")
            else:
                self._publishing.discard(state.id)

    async def _send_pending(self, pass_id: str, facilitators: bool = True) -> None:
        latest = self._pending.pop(pass_id, None)
        if latest is None:
            return
        self._published[latest.id] = latest.version
        last = self._last.get(pass_id)
        if last is None or last.phase is not latest.phase or _differ(last.step, latest.step) \
                or _differ(last.breakout, latest.breakout):
            self._results_due.add(pass_id)
        self._last[pass_id] = latest
        start = time.perf_counter()
        await self.notifier.state(PassView(latest, self.clock()))
        self.metrics.broadcast("state", len(latest.present), time.perf_counter() - start)
        if facilitators:
            await self.refresh_facilitators(latest.id)

    async def _drain(self, pass_id: str) -> None:
        try:
            while pass_id in self._pending:
                await asyncio.sleep(BURST_INTERVAL_S)
                await self._send_pending(pass_id)
        finally:
            self._publishing.discard(pass_id)

    def forget(self, pass_id: str) -> None:
        """The pass ended: drop what publishing remembered of it."""
        self._published.pop(pass_id, None)
        self._last.pop(pass_id, None)
        self._results_due.discard(pass_id)
        self._sent_at.pop(pass_id, None)
        self._view_cost.pop(pass_id, None)

    async def refresh_facilitators(self, pass_id: str, *, results: bool = False) -> None:
        """Send the pass's facilitators its latest view, coalescing bursts; with
        ``results`` (an answer came in), the plenary results to everyone too.

        Answers, presence and quality changes arrive a person at a time; the
        first after a quiet moment is sent at once, and requests that arrive
        while a view is being built and sent, or sooner than
        ``BURST_INTERVAL_S`` after the last, only mark it stale: a background
        task sends one newer view at most every ``BURST_INTERVAL_S``, so a
        thousand answers or joins cost a handful of views, not a thousand, and
        nobody waits for them. A view that took long (a large pass, a busy
        worker) spaces the next further out (``VIEW_COST_RATIO``), up to
        ``VIEW_INTERVAL_MAX_S``.
        """
        if results:
            self._results_due.add(pass_id)
        if pass_id in self._refreshing:
            self._stale.add(pass_id)
            return
        self._refreshing.add(pass_id)
        self._stale.discard(pass_id)
        # A view sent less than BURST_INTERVAL_S ago: this one follows from the
        # background. Only sends still in flight would be too few: a join costs
        # far less than a view of a thousand people, and each join would send one.
        wait = self._sent_at.get(pass_id, -math.inf) + self._interval(pass_id) - time.monotonic()
        if wait > 0:
            self._stale.add(pass_id)
            self.tasks.spawn(self._refresh_later(pass_id, wait), "refresh")
            return
        try:
            await self._send_facilitators(pass_id)
        finally:
            if pass_id in self._stale:
                self.tasks.spawn(self._refresh_later(pass_id, self._interval(pass_id)),
                                 "refresh")
            else:
                self._refreshing.discard(pass_id)

    async def _send_facilitators(self, pass_id: str) -> None:
        # Taken before reading: an answer stored meanwhile asks for the next send.
        results_due = pass_id in self._results_due
        self._results_due.discard(pass_id)
        self._sent_at[pass_id] = began = time.monotonic()
        try:
            state = await self.store.load(pass_id)
        except NotFound:
            return
        view = await self.facilitator_view(state)
        start = time.perf_counter()
        await self.notifier.facilitator(view)
        self.metrics.broadcast("facilitator", 1, time.perf_counter() - start)
        self._view_cost[pass_id] = time.monotonic() - began
        shared = self.plenary(view) if results_due else None
        if shared is not None:
            await self.notifier.results(shared)

    def _interval(self, pass_id: str) -> float:
        """How long after a facilitator view of ``pass_id`` the next may follow."""
        if not self.burst_interval:
            return 0.0
        cost = self._view_cost.get(pass_id, 0.0)
        return min(VIEW_INTERVAL_MAX_S, max(self.burst_interval, VIEW_COST_RATIO * cost))

    async def _refresh_later(self, pass_id: str, wait: float) -> None:
        try:
            while pass_id in self._stale:
                await asyncio.sleep(wait)
                wait = self._interval(pass_id)
                self._stale.discard(pass_id)
                await self._send_facilitators(pass_id)
        finally:
            self._refreshing.discard(pass_id)

    async def send_assignments(self, state: PassState, person_ids: Sequence[str]) -> None:
        """Each person's assignment with its token, in one batch (one Redis round trip)."""
        if person_ids:
            await self.notifier.assignments([self.assignment(state, p) for p in person_ids])

    async def send_follow_ups(self, state: PassState) -> None:
        """Each participant privately sees their own last commitment."""
        step = state.step
        assert step is not None
        for person in sorted(state.present):
            await self.notifier.follow_up(FollowUpNotice(
                state.id, person, step.id, await self.people.last_commitment(state, person)))
