"""What LiveKit tells us about rooms: presence, admission, and the recording alarm.

Webhooks arrive verified and translated (``ports.RoomEvent``). Presence
(who is in which room) feeds the facilitator's roster. Room admission
follows assignment: someone who joins a room of a pass that is not the room
the pass assigns them (an old token for a room they were moved out of, a
token for another group's room, a person the pass does not know) is removed
at once and ops is told (alert ``room_not_assigned``). A facilitator may be
in any open room of their pass. Any sign of recording
(an ``egress_*`` event, a room with an active recording, a participant of a
recording kind or with a recorder or agent permission) is an alarm: the room
is closed at once, ops and the pass's facilitators are alerted and an audit
entry is written. onlive never records.

A webhook is acted on once: one whose id was seen before (kept in the store
for ``REPLAY_WINDOW`` seconds) or that LiveKit created more than
``max_age`` seconds ago is refused (``AuthError`` ``webhook_replay``), so a
captured, validly signed webhook cannot be sent again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import StrEnum

from breakout.rooms import pass_of_room
from exercises.state import PassState, Phase
from orchestrator.errors import AuthError, NotFound, ServiceError
from orchestrator.ports import Notifier, RoomEvent, Sfu, Store
from orchestrator.publishing import Publisher
from orchestrator.readmodels import AlertCode, placement

#: The LiveKit identity of a facilitator's media connection: ``facilitator-ACTOR``.
FACILITATOR_IDENTITY = "facilitator-"


class RecordingSign(StrEnum):
    """Why a room was closed as recorded: the ``reason`` of a ``recording_attempt``
    alert, which the pages translate (``alert.reason.CODE``)."""

    EGRESS = "egress"  # LiveKit reported an egress (a recording or a stream out)
    ROOM_RECORDING = "room_recording"  # the room reports an active recording
    RECORDER_JOINED = "recorder_joined"  # a participant of a recording or agent kind


def admitted(state: PassState | None, identity: str, room: str) -> bool:
    """Whether ``identity`` may be in ``room`` of the pass ``state`` (pure)."""
    if state is None or state.phase is Phase.ENDED:
        return False
    if identity.startswith(FACILITATOR_IDENTITY):
        return room == state.main_room or (
            state.breakout is not None and room in state.breakout.rooms)
    if identity not in state.roster:
        return False
    return placement(state, identity).room == room

log = logging.getLogger(__name__)

#: Seconds a webhook's id is remembered; longer than any ``max_age`` allowed.
REPLAY_WINDOW = 3600


class RoomEvents:
    def __init__(self, store: Store, sfu: Sfu, notifier: Notifier, publisher: Publisher, *,
                 max_age: float = 300.0, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.sfu = sfu
        self.notifier = notifier
        self.publisher = publisher
        self.max_age = max_age
        self.clock = clock

    async def receive(self, body: str, authorization: str) -> None:
        """Verify one webhook and act on it once.

        ``AuthError`` when it is forged (``invalid_webhook``), or a replay:
        its id was seen before, or it was created more than ``max_age``
        seconds ago (``webhook_replay``). A room starting or finishing
        without a recording is ignored unread (``Sfu.parse_webhook``).
        """
        event = self.sfu.parse_webhook(body, authorization)
        if event is None:
            return  # nothing to act on: not worth verifying (a round opens 500 rooms)
        age = self.clock() - event.created_at
        if not event.event_id or age > self.max_age:
            raise AuthError(f"webhook {event.event_id or '(no id)'} was created {age:.0f} s "
                            f"ago; older than {self.max_age:g} s is refused as a replay",
                            code="webhook_replay")
        if not await self.store.first_sighting(f"webhook:{event.event_id}", REPLAY_WINDOW):
            raise AuthError(f"webhook {event.event_id} was received before; a replay is "
                            "refused", code="webhook_replay")
        await self.on_event(event)

    async def on_event(self, event: RoomEvent) -> None:
        kind, room = event.event, event.room
        if kind.startswith("egress_"):
            await self.recording_alarm(room, RecordingSign.EGRESS, f"LiveKit reported {kind}",
                                       egress_id=event.egress_id)
            return
        if event.active_recording:
            await self.recording_alarm(room, RecordingSign.ROOM_RECORDING,
                                       "the room reports an active recording")
            return
        pass_id = pass_of_room(room)
        if pass_id is None:
            return
        if kind == "participant_joined":
            if event.recording:
                await self.recording_alarm(room, RecordingSign.RECORDER_JOINED,
                                           f"a participant of kind {event.kind_name} joined",
                                           identity=event.identity)
                return
            if not await self.admit(pass_id, event.identity, room):
                return
            await self.store.set_presence(pass_id, event.identity, room)
        elif kind in ("participant_left", "participant_connection_aborted"):
            if not await self.store.leave_presence(pass_id, event.identity, room):
                return
        else:
            return
        await self.publisher.refresh_facilitators(pass_id)

    async def admit(self, pass_id: str, identity: str, room: str) -> bool:
        """Keep someone in ``room`` only if the pass assigns it to them; else remove them
        and tell ops and the pass's facilitators."""
        try:
            state: PassState | None = await self.store.load(pass_id)
        except NotFound:
            state = None
        if admitted(state, identity, room):
            return True
        try:
            await self.sfu.remove_participant(room, identity)
        except ServiceError as error:
            log.error("could not remove someone from a room not theirs: %s", error,
                      extra={"pass_id": pass_id, "room": room})
        alert = await self.store.alert(
            AlertCode.ROOM_NOT_ASSIGNED, f"Someone joined room {room}, which is not theirs (an old or "
            "forged token); they were removed.", pass_id=pass_id, room=room,
            person_id=identity)
        log.warning("removed from a room not theirs", extra={
            "pass_id": pass_id, "room": room, "participant_id": identity,
            "code": "room_not_assigned"})
        await self.notifier.alert(alert)
        return False

    async def recording_alarm(self, room: str, sign: RecordingSign, reason: str,
                              **detail: str) -> None:
        """Close the room at once, alert ops and facilitators, write an audit entry.

        The alert carries ``sign`` as its ``reason`` (the pages' words); ``reason``
        is the log's and the audit's.
        """
        pass_id = pass_of_room(room) if room else None
        try:
            if room:
                await self.sfu.delete_room(room)
        except ServiceError as error:
            log.error("could not close recorded room: %s", error, extra={"room": room})
        alert = await self.store.alert(AlertCode.RECORDING_ATTEMPT,
                                       f"Recording attempt in {room or 'unknown room'}: {reason}. "
                                       "The room was closed.", room=room, pass_id=pass_id or "",
                                       **{**detail, "reason": sign.value})
        await self.store.audit("recording_alarm", room=room, reason=reason,
                               pass_id=pass_id or "", **detail)
        log.error("recording alarm: %s", reason, extra={"pass_id": pass_id, "room": room})
        await self.notifier.alert(alert)
