"""The LiveKit adapter (implements ``orchestrator.ports.Sfu``): rooms,
participants, join tokens and verified webhooks through livekit-api.

Tokens name exactly one room, expire within ``MAX_TOKEN_TTL`` and grant camera
and microphone publishing only. No recording, agent, room-config or
room-creation grant is ever signed: ``mint`` builds its grant here and
nowhere else, and a test inspects what it signs.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import aiohttp
from livekit import api
from livekit.protocol import models

from orchestrator.errors import AuthError, ServiceError
from orchestrator.ports import RoomEvent, RoomInfo
from orchestrator.settings import MAX_TOKEN_TTL

log = logging.getLogger(__name__)

PUBLISH_SOURCES = ["camera", "microphone"]
# onlive deletes its rooms itself (recall, end); LiveKit's own clean-up only
# catches rooms a crashed pass left behind, so it must not close a main room
# that is briefly empty (everyone in breakouts, or a reload).
EMPTY_TIMEOUT_S = 6 * 3600
DEPARTURE_TIMEOUT_S = 6 * 3600
RECORDING_KINDS = frozenset({models.ParticipantInfo.Kind.EGRESS, models.ParticipantInfo.Kind.AGENT})


class LiveKitSfu:
    """One LiveKit deployment, seen through its server API."""

    def __init__(self, http_url: str, ws_url: str, api_key: str, api_secret: str,
                 session: aiohttp.ClientSession) -> None:
        self.ws_url = ws_url
        self._key = api_key
        self._secret = api_secret
        self._api = api.LiveKitAPI(http_url, api_key, api_secret, session=session)

    async def close(self) -> None:
        await self._api.aclose()

    def mint(self, *, identity: str, name: str, room: str, ttl: int, publish: bool = True,
             hidden: bool = False) -> str:
        """A join token for exactly ``room``."""
        if not room:
            raise ValueError("a token must name exactly one room")
        ttl = min(ttl, MAX_TOKEN_TTL)
        grants = api.VideoGrants(room_join=True, room=room, can_publish=publish,
                                 can_publish_sources=list(PUBLISH_SOURCES) if publish else [],
                                 can_subscribe=True, can_publish_data=False, hidden=hidden)
        return (api.AccessToken(self._key, self._secret).with_identity(identity)
                .with_name(name).with_ttl(timedelta(seconds=ttl)).with_grants(grants).to_jwt())

    async def _call(self, what: str, coro: object) -> object:
        try:
            return await asyncio.wait_for(coro, timeout=10)  # type: ignore[arg-type]
        except (api.TwirpError, aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
            raise ServiceError(f"LiveKit {what} failed: {error}") from error

    async def create_room(self, name: str, max_participants: int) -> None:
        await self._call(f"create room {name}", self._api.room.create_room(api.CreateRoomRequest(
            name=name, max_participants=max_participants, empty_timeout=EMPTY_TIMEOUT_S,
            departure_timeout=DEPARTURE_TIMEOUT_S)))

    async def delete_room(self, name: str) -> None:
        try:
            await self._api.room.delete_room(api.DeleteRoomRequest(room=name))
        except api.TwirpError as error:
            if error.code != "not_found":
                raise ServiceError(f"LiveKit delete room {name} failed: {error}") from error

    async def remove_participant(self, room: str, identity: str) -> None:
        try:
            await self._api.room.remove_participant(
                api.RoomParticipantIdentity(room=room, identity=identity))
        except api.TwirpError as error:
            if error.code != "not_found":
                raise ServiceError(f"LiveKit remove {identity} from {room} failed: {error}") from error

    async def list_participants(self, room: str) -> list[str]:
        resp = await self._call(f"list participants of {room}", self._api.room.list_participants(
            api.ListParticipantsRequest(room=room)))
        return [p.identity for p in resp.participants]  # type: ignore[attr-defined]

    async def rooms(self, names: list[str] | None = None) -> list[RoomInfo]:
        resp = await self._call("list rooms", self._api.room.list_rooms(
            api.ListRoomsRequest(names=names or [])))
        return [RoomInfo(r.name, r.num_participants, r.max_participants, r.active_recording)
                for r in resp.rooms]  # type: ignore[attr-defined]

    async def ping(self) -> None:
        await self.rooms(["onlive_readyz_probe"])

    def parse_webhook(self, body: str, authorization: str) -> RoomEvent:
        """The verified webhook as a ``RoomEvent``; ``AuthError`` when it does not verify."""
        receiver = api.WebhookReceiver(api.TokenVerifier(self._key, self._secret))
        try:
            event = receiver.receive(body, authorization)
        except Exception as error:  # noqa: BLE001 - any verification failure is a refusal
            raise AuthError(f"invalid webhook signature: {error or type(error).__name__}",
                            code="invalid_webhook") from None
        return room_event(event)


def room_event(event: api.WebhookEvent) -> RoomEvent:
    """A LiveKit webhook in the application's terms (pure)."""
    room = event.room.name if event.HasField("room") else ""
    if event.event.startswith("egress_"):
        return RoomEvent(event.event, room or event.egress_info.room_name,
                         egress_id=event.egress_info.egress_id)
    identity, recording, kind_name = "", False, ""
    if event.HasField("participant"):
        p = event.participant
        identity = p.identity
        recording = p.kind in RECORDING_KINDS or p.permission.recorder or p.permission.agent
        kind_name = str(p.kind)
    return RoomEvent(event.event, room, identity, recording, kind_name,
                     event.HasField("room") and event.room.active_recording)
