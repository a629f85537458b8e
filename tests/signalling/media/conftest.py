"""Helpers for the signalling tests: rooms and tokens on the real LiveKit server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from livekit import api

from tests.conftest import LiveKitService


@dataclass(frozen=True)
class Rooms:
    """Creates rooms and mints participant tokens the way the orchestrator does."""

    service: LiveKitService
    client: api.LiveKitAPI
    prefix: str

    @property
    def url(self) -> str:
        return self.service.url

    def name(self, short: str) -> str:
        # The server is shared by the whole session: keep tests' rooms apart.
        return f"{self.prefix}-{short}"

    async def create(self, short: str, max_participants: int = 10) -> str:
        room = self.name(short)
        await self.client.room.create_room(
            api.CreateRoomRequest(name=room, max_participants=max_participants))
        return room

    def token(self, identity: str, room: str) -> str:
        keys = self.service.keys
        return (api.AccessToken(keys.key, keys.secret)
                .with_identity(identity).with_name(identity)
                .with_ttl(timedelta(minutes=10))
                .with_grants(api.VideoGrants(
                    room_join=True, room=room, can_publish=True, can_subscribe=True,
                    can_publish_data=False, can_publish_sources=["camera", "microphone"]))
                .to_jwt())


@pytest.fixture
async def rooms(livekit_server: LiveKitService) -> AsyncIterator[Rooms]:
    client = api.LiveKitAPI(livekit_server.http_url, livekit_server.keys.key,
                            livekit_server.keys.secret)
    try:
        yield Rooms(livekit_server, client, f"t{uuid.uuid4().hex[:8]}")
    finally:
        await client.aclose()
