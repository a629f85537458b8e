"""The LiveKit adapter (implements ``orchestrator.ports.Sfu``): rooms,
participants, join tokens and verified webhooks through livekit-api.

Tokens name exactly one room, expire within ``MAX_TOKEN_TTL`` and grant camera
and microphone publishing only. No recording, agent, room-config or
room-creation grant is ever signed: ``mint`` builds its grant here and
nowhere else, and a test inspects what it signs.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

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
#: Twirp codes worth another try: the server or one of its nodes was briefly busy.
TRANSIENT_CODES = frozenset({"unavailable", "deadline_exceeded", "resource_exhausted"})
RETRIES = 2
BACKOFF_S = (0.2, 0.5)
CALL_TIMEOUT_S = 10.0
#: How long the header of a server API call's admin token is reused (livekit-api's
#: tokens are valid for 6 hours; one is signed again well before that).
ADMIN_TOKEN_REUSE_S = 600.0
T = TypeVar("T")
_JWT_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()
RECORDING_KINDS = frozenset({models.ParticipantInfo.Kind.EGRESS, models.ParticipantInfo.Kind.AGENT})


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class AdminTokens:
    """The authorization header of LiveKit's server API calls, reused per grant.

    livekit-api signs a new admin token for every call (``Service._auth_header``:
    a dataclass walk and PyJWT, about a fifth of a millisecond), so opening and
    closing the 500 rooms of a round for 1000 signed 1000 identical tokens on the
    event loop. The header made for the same grants is reused for
    ``ADMIN_TOKEN_REUSE_S`` seconds; the tokens themselves are not changed."""

    def __init__(self, sign: Callable[..., dict[str, str]], *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._sign = sign
        self._clock = clock
        self._made: dict[str, tuple[float, dict[str, str]]] = {}

    def __call__(self, grants: Any = None, sip: Any = None) -> dict[str, str]:
        key = f"{grants!r}|{sip!r}"
        now = self._clock()
        made = self._made.get(key)
        if made is None or now - made[0] >= ADMIN_TOKEN_REUSE_S:
            made = self._made[key] = (now, self._sign(grants, sip))
        return made[1]


class LiveKitSfu:
    """One LiveKit deployment, seen through its server API."""

    def __init__(self, http_url: str, ws_url: str, api_key: str, api_secret: str,
                 session: aiohttp.ClientSession) -> None:
        self.ws_url = ws_url
        self._key = api_key
        self._secret = api_secret
        self._api = api.LiveKitAPI(http_url, api_key, api_secret, session=session)
        # Every call of onlive's goes through the room service (see AdminTokens).
        self._api.room._auth_header = AdminTokens(self._api.room._auth_header)  # type: ignore[method-assign]

    async def close(self) -> None:
        await self._api.aclose()

    def mint(self, *, identity: str, name: str, room: str, ttl: int, publish: bool = True,
             hidden: bool = False) -> str:
        """A join token for exactly ``room``."""
        if not room:
            raise ValueError("a token must name exactly one room")
        ttl = min(ttl, MAX_TOKEN_TTL)
        template = self._template(publish, hidden)
        now = int(time.time())
        claims = {**template, "video": {**template["video"], "room": room}, "name": name,
                  "sub": identity, "iss": self._key, "nbf": now, "exp": now + ttl}
        # What livekit-api's AccessToken.to_jwt signs, without its per-token
        # dataclass walk: a thousand tokens for a breakout round take a
        # millisecond each that way, on the event loop.
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing = f"{_JWT_HEADER}.{body}".encode()
        signature = hmac.new(self._secret.encode(), signing, hashlib.sha256).digest()
        return f"{_JWT_HEADER}.{body}.{_b64(signature)}"

    @functools.lru_cache(maxsize=4)  # noqa: B019 - a handful of shapes per adapter, kept for its life
    def _template(self, publish: bool, hidden: bool) -> dict[str, Any]:
        """The claims livekit-api makes for a room join token of this shape."""
        grants = api.VideoGrants(room_join=True, room="-", can_publish=publish,
                                 can_publish_sources=list(PUBLISH_SOURCES) if publish else [],
                                 can_subscribe=True, can_publish_data=False, hidden=hidden)
        token = api.AccessToken(self._key, self._secret).with_identity("-").with_name("-")
        return token.with_grants(grants).claims.asdict()

    async def _call(self, what: str, request: Callable[[], Awaitable[T]], *,
                    missing_ok: bool = False, retries: int = RETRIES) -> T | None:
        """One API call, retried on transient failures; ``ServiceError`` when it fails.

        LiveKit answers ``unavailable`` when a node is briefly too busy to
        reach the participant's session (seen under load): that, timeouts and
        dropped connections are retried with a short back-off, so one slow
        moment does not leave a room open or a person in the wrong room. A
        room or participant that is already gone is success when ``missing_ok``.
        """
        for attempt in range(retries + 1):
            try:
                async with asyncio.timeout(CALL_TIMEOUT_S):  # no task per call (wait_for's)
                    return await request()
            except api.TwirpError as error:
                if missing_ok and error.code == "not_found":
                    return None
                if error.code not in TRANSIENT_CODES or attempt == retries:
                    raise ServiceError(f"LiveKit {what} failed: {error}") from error
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
                if attempt == retries:
                    raise ServiceError(f"LiveKit {what} failed: {error}") from error
            await asyncio.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
        raise AssertionError("unreachable")  # the loop returns or raises

    async def create_room(self, name: str, max_participants: int) -> None:
        await self._call(f"create room {name}", lambda: self._api.room.create_room(
            api.CreateRoomRequest(name=name, max_participants=max_participants,
                                  empty_timeout=EMPTY_TIMEOUT_S,
                                  departure_timeout=DEPARTURE_TIMEOUT_S)))

    async def delete_room(self, name: str) -> None:
        """Close a room; LiveKit disconnects whoever is still in it."""
        await self._call(f"delete room {name}", lambda: self._api.room.delete_room(
            api.DeleteRoomRequest(room=name)), missing_ok=True)

    async def remove_participant(self, room: str, identity: str) -> None:
        await self._call(f"remove {identity} from {room}", lambda: self._api.room.remove_participant(
            api.RoomParticipantIdentity(room=room, identity=identity)), missing_ok=True)

    async def rooms(self, names: list[str] | None = None) -> list[RoomInfo]:
        resp = await self._call("list rooms", lambda: self._api.room.list_rooms(
            api.ListRoomsRequest(names=names or [])))
        return [RoomInfo(r.name, r.num_participants, r.max_participants, r.active_recording)
                for r in resp.rooms] if resp is not None else []

    async def ping(self) -> None:
        """Whether LiveKit answers now: one try, no retries (the monitor asks often)."""
        await self._call("ping", lambda: self._api.room.list_rooms(
            api.ListRoomsRequest(names=["onlive_readyz_probe"])), retries=0)

    def parse_webhook(self, body: str, authorization: str) -> RoomEvent | None:
        """The verified webhook as a ``RoomEvent``; ``AuthError`` when it does not verify;
        None for a room that started or finished without a recording, which onlive
        ignores: answered unverified, since verifying (a signature, then protobuf's
        JSON parser) was a third of the worker's CPU while a round's rooms opened."""
        if _ignorable(body):
            return None
        receiver = api.WebhookReceiver(api.TokenVerifier(self._key, self._secret))
        try:
            event = receiver.receive(body, authorization)
        except Exception as error:  # noqa: BLE001 - any verification failure is a refusal
            raise AuthError(f"invalid webhook signature: {error or type(error).__name__}",
                            code="invalid_webhook") from None
        return room_event(event)


def _ignorable(body: str) -> bool:
    """A room started or finished, saying nothing of a recording (nothing to act on)."""
    try:
        data = json.loads(body)
    except ValueError:
        return False
    if not isinstance(data, dict) or data.get("event") not in ("room_started", "room_finished"):
        return False
    room = data.get("room")
    return isinstance(room, dict) and not room.get("activeRecording") \
        and not room.get("active_recording") and not data.get("egressInfo") \
        and not data.get("egress_info")


def room_event(event: api.WebhookEvent) -> RoomEvent:
    """A LiveKit webhook in the application's terms (pure)."""
    room = event.room.name if event.HasField("room") else ""
    if event.event.startswith("egress_"):
        return RoomEvent(event.event, room or event.egress_info.room_name,
                         egress_id=event.egress_info.egress_id, event_id=event.id,
                         created_at=float(event.created_at))
    identity, recording, kind_name = "", False, ""
    if event.HasField("participant"):
        p = event.participant
        identity = p.identity
        recording = p.kind in RECORDING_KINDS or p.permission.recorder or p.permission.agent
        kind_name = str(p.kind)
    return RoomEvent(event.event, room, identity, recording, kind_name,
                     event.HasField("room") and event.room.active_recording,
                     event_id=event.id, created_at=float(event.created_at))
