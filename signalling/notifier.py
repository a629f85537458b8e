"""Turns the service's messages into Socket.IO emits.

Socket.IO rooms: ``pass:{id}`` (every participant, or every facilitator, of a
pass, in its namespace), ``person:{pass}:{person}`` (one participant's
sockets) and ``ops``. Shared views go out as one room broadcast; only
personal messages are addressed to a person.
"""

from __future__ import annotations

from typing import Any

import socketio

from signalling.wire import Event

PARTICIPANT = "/participant"
FACILITATOR = "/facilitator"
OPS = "/ops"


def pass_room(pass_id: str) -> str:
    return f"pass:{pass_id}"


def person_room(pass_id: str, person_id: str) -> str:
    return f"person:{pass_id}:{person_id}"


class SocketNotifier:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def state(self, pass_id: str, view: dict[str, Any]) -> None:
        await self.sio.emit(Event.STATE, view, room=pass_room(pass_id), namespace=PARTICIPANT)

    async def facilitator(self, pass_id: str, view: dict[str, Any]) -> None:
        await self.sio.emit(Event.FACILITATOR, view, room=pass_room(pass_id),
                            namespace=FACILITATOR)

    async def assignment(self, pass_id: str, person_id: str, payload: dict[str, Any]) -> None:
        await self.sio.emit(Event.ASSIGNMENT, payload, room=person_room(pass_id, person_id),
                            namespace=PARTICIPANT)

    async def cue(self, pass_id: str, payload: dict[str, Any]) -> None:
        for namespace in (PARTICIPANT, FACILITATOR):
            await self.sio.emit(Event.CUE, payload, room=pass_room(pass_id), namespace=namespace)

    async def alert(self, pass_id: str | None, payload: dict[str, Any]) -> None:
        await self.sio.emit(Event.ALERT, payload, room="ops", namespace=OPS)
        if pass_id:
            await self.sio.emit(Event.ALERT, payload, room=pass_room(pass_id),
                                namespace=FACILITATOR)

    async def help(self, pass_id: str, payload: dict[str, Any]) -> None:
        await self.sio.emit("help", payload, room=pass_room(pass_id), namespace=FACILITATOR)

    async def personal(self, pass_id: str, person_id: str, event: str,
                       payload: dict[str, Any]) -> None:
        await self.sio.emit(event, payload, room=person_room(pass_id, person_id),
                            namespace=PARTICIPANT)
