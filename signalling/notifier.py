"""Sends the application's read models as Socket.IO emits (``ports.Notifier``).

Socket.IO rooms: ``pass:{id}`` (every participant, or every facilitator, of a
pass, in its namespace), ``person:{pass}:{person}`` (one participant's
sockets), ``ops``, and the rooms of the credential each socket holds
(``Access.holders``: ``cred:ID``, ``holder:DIGEST``, ``session:DIGEST``).
Shared views go out as one room broadcast; only personal messages are
addressed to a person. Payloads come from ``signalling.views``.

A pass view that shows participants nothing new (people joining or leaving
change only the facilitators' view) is not sent. Each one sent carries
``after``, the version of the last view this worker sent for the pass, so a
page tells a view it missed (``after`` above its own version: it asks for a
snapshot) from versions nobody was sent.

Dropping the holders of a revoked credential travels the same Redis channel
as every broadcast, as an emit of the reserved event ``DROP``: each worker's
``DroppingRedisManager`` disconnects its own sockets in that room instead of
sending anything (a one-shot command's write-only manager only publishes).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from orchestrator.readmodels import (
    Alert,
    Assignment,
    CueNotice,
    FacilitatorView,
    FollowUpNotice,
    HelpRequest,
    PassView,
    PlenaryResults,
    ServiceNotice,
)
from signalling import views
from signalling.fanout import FanoutRedisManager, batched
from signalling.wirenames import FACILITATOR, OPS, PARTICIPANT, Event

OPS_ROOM = "ops"
#: Passes whose last sent view a worker keeps (more are forgotten, all at once).
_VIEWS_KEPT = 10_000
#: The reserved event that tells every worker to disconnect a room's sockets.
DROP = "onlive:drop"


class DroppingRedisManager(FanoutRedisManager):
    """The Redis client manager, which also drops the sockets of revoked credentials."""

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("event") != DROP:
            await super()._handle_emit(message)
            return
        if self.server is None:  # a write-only publisher has no sockets of its own
            return
        room = message.get("room")
        for namespace in list(self.rooms):
            for sid, _ in list(self.get_participants(namespace, room)):
                await self.server.disconnect(sid, namespace=namespace, ignore_queue=True)


def pass_room(pass_id: str) -> str:
    return f"pass:{pass_id}"


def person_room(pass_id: str, person_id: str) -> str:
    return f"person:{pass_id}:{person_id}"


class Emitter(Protocol):
    """``socketio.AsyncServer`` (every worker, over the channel) or
    ``signalling.channel.LocalEmitter`` (this worker's own clients only)."""

    async def emit(self, event: str, data: Any, *, room: str | None = None,
                   namespace: str = "/", to: str | None = None) -> None: ...


class SocketNotifier:
    def __init__(self, sio: Emitter, *, local: Emitter | None = None) -> None:
        self.sio = sio
        # pass -> the last view sent to its participants (``state``).
        self._sent: dict[str, dict[str, Any]] = {}
        # Notices about the service itself reach this worker's clients even while
        # the channel between workers (Redis) is away; each worker sends its own.
        self.local = local or sio

    def batch(self) -> AbstractContextManager[None]:
        """What one command sends reaches each of this worker's clients in one write."""
        return batched()

    async def state(self, view: PassView) -> None:
        pass_id = view.state.id
        payload = views.pass_view(view)
        last = self._sent.get(pass_id)
        if last is not None:
            if last["version"] >= payload["version"] or views.same_view(last, payload):
                return
            payload["after"] = last["version"]
        if len(self._sent) >= _VIEWS_KEPT:
            self._sent.clear()
        self._sent[pass_id] = payload
        await self.sio.emit(Event.STATE, payload, room=pass_room(pass_id), namespace=PARTICIPANT)

    async def facilitator(self, view: FacilitatorView) -> None:
        await self.sio.emit(Event.FACILITATOR, views.facilitator_view(view),
                            room=pass_room(view.state.id), namespace=FACILITATOR)

    async def assignment(self, assignment: Assignment) -> None:
        await self.sio.emit(Event.ASSIGNMENT, views.assignment(assignment),
                            room=person_room(assignment.pass_id, assignment.person_id),
                            namespace=PARTICIPANT)

    async def assignments(self, assignments: Sequence[Assignment]) -> None:
        items = [(person_room(a.pass_id, a.person_id), views.assignment(a)) for a in assignments]
        manager = getattr(self.sio, "manager", self.sio)
        if isinstance(manager, FanoutRedisManager):
            await manager.emit_each(Event.ASSIGNMENT, items, namespace=PARTICIPANT)
            return
        for room, payload in items:
            await self.sio.emit(Event.ASSIGNMENT, payload, room=room, namespace=PARTICIPANT)

    async def cue(self, cue: CueNotice) -> None:
        payload = views.cue(cue)
        for namespace in (PARTICIPANT, FACILITATOR):
            await self.sio.emit(Event.CUE, payload, room=pass_room(cue.pass_id),
                                namespace=namespace)

    async def alert(self, alert: Alert) -> None:
        payload = views.alert(alert)
        await self.sio.emit(Event.ALERT, payload, room=OPS_ROOM, namespace=OPS)
        # A pass's alert goes to its facilitators; a service's (LiveKit down)
        # to every facilitator, whose rooms it affects.
        room = pass_room(alert.pass_id) if alert.pass_id else None
        await self.sio.emit(Event.ALERT, payload, room=room, namespace=FACILITATOR)

    async def help(self, request: HelpRequest) -> None:
        await self.sio.emit(Event.HELP, views.help_request(request),
                            room=pass_room(request.pass_id), namespace=FACILITATOR)

    async def drop(self, holders: list[str]) -> None:
        for room in holders:
            await self.sio.emit(DROP, None, room=room, namespace="/")

    async def results(self, shared: PlenaryResults) -> None:
        await self.sio.emit(Event.RESULTS, views.results(shared.results),
                            room=pass_room(shared.pass_id), namespace=PARTICIPANT)

    async def follow_up(self, notice: FollowUpNotice) -> None:
        await self.sio.emit(Event.FOLLOW_UP, views.follow_up(notice),
                            room=person_room(notice.pass_id, notice.person_id),
                            namespace=PARTICIPANT)

    async def service(self, notice: ServiceNotice) -> None:
        payload = views.service_notice(notice)
        for namespace in (PARTICIPANT, FACILITATOR, OPS):
            await self.local.emit(Event.SERVICE, payload, namespace=namespace)
