"""Publishing views: the read models each role sees, sent as changes happen.

The shared view of a pass is one broadcast per change, coalesced per pass;
facilitators' views are coalesced too, since answers, presence and quality
arrive a person at a time. Personal models (an assignment with its token, a
follow-up) go to one person only, and only when they change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from exercises.results import aggregate
from exercises.script import StepKind, Visibility
from exercises.state import PassState, Phase
from orchestrator.errors import NotFound
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

#: Recent alerts scanned for a facilitator's snapshot (of every pass; theirs are kept).
ALERTS_IN_SNAPSHOT = 100

#: What leadership-visible results show while a pass runs (see ``results``).
_LEADERSHIP_LIVE_KEYS = ("step", "kind", "visibility", "count", "suppressed", "threshold",
                         "needed")


class Publisher:
    def __init__(self, settings: Settings, store: Store, sfu: Sfu, notifier: Notifier,
                 people: People, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
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
            result = {k: result[k] for k in _LEADERSHIP_LIVE_KEYS}
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

    async def publish(self, state: PassState) -> None:
        """Broadcast the views of ``state``, coalescing bursts per pass.

        While one broadcast of a pass is on its way, newer states only replace
        the pending one: a thousand joins cost a handful of broadcasts, and
        every client still ends on the latest version (clients that see a
        version gap ask for a snapshot).
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
            while (latest := self._pending.pop(state.id, None)) is not None:
                self._published[latest.id] = latest.version
                await self.notifier.state(PassView(latest, self.clock()))
                await self.refresh_facilitators(latest.id)
        finally:
            self._publishing.discard(state.id)

    def forget(self, pass_id: str) -> None:
        """The pass ended: drop what publishing remembered of it."""
        self._published.pop(pass_id, None)

    async def refresh_facilitators(self, pass_id: str) -> None:
        """Send the pass's facilitators its latest view, coalescing bursts.

        Answers, presence and quality changes arrive a person at a time;
        while one view is being built and sent, further requests only mark it
        stale, so a thousand answers cost a handful of views, not a thousand.
        """
        if pass_id in self._refreshing:
            self._stale.add(pass_id)
            return
        self._refreshing.add(pass_id)
        try:
            while True:
                self._stale.discard(pass_id)
                try:
                    state = await self.store.load(pass_id)
                except NotFound:
                    return
                view = await self.facilitator_view(state)
                await self.notifier.facilitator(view)
                shared = self.plenary(view)
                if shared is not None:
                    await self.notifier.results(shared)
                if pass_id not in self._stale:
                    return
        finally:
            self._refreshing.discard(pass_id)

    async def send_assignments(self, state: PassState, person_ids: tuple[str, ...]) -> None:
        for person in person_ids:
            await self.notifier.assignment(self.assignment(state, person))

    async def send_follow_ups(self, state: PassState) -> None:
        """Each participant privately sees their own last commitment."""
        step = state.step
        assert step is not None
        for person in sorted(state.present):
            await self.notifier.follow_up(FollowUpNotice(
                state.id, person, step.id, await self.people.last_commitment(state, person)))
