"""Helpers for the media tests: LiveKit rooms and tokens, and an echo pool with its client."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiortc.sdp import SessionDescription
from livekit import api

from signalling.media.echo_client import EchoClient
from signalling.media.echo_pool import EchoPool
from signalling.media.tone import participant_frequency
from signalling.media.verdict import EchoReport
from tests.conftest import LiveKitService
from tests.signalling.media.hygiene import loop_reports_nothing  # noqa: F401 - autouse here

TONE_TIMEOUT = 30.0  # generous: the suite shares 2 cores with browsers and LiveKit


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

    async def wait_gone(self, short: str, timeout: float = 30) -> None:
        """Wait until the server has closed ``short`` (its departure or empty timeout)."""
        async def gone() -> bool:
            listed = await self.client.room.list_rooms(api.ListRoomsRequest(names=[self.name(short)]))
            return not listed.rooms

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not await gone():
            if loop.time() > deadline:
                pytest.fail(f"room {self.name(short)} still open after {timeout:g} s")
            await asyncio.sleep(0.2)

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


def candidate_addresses(sdp: str) -> set[str]:
    return {c.ip for m in SessionDescription.parse(sdp).media for c in m.ice_candidates}


class PoolClient:
    """An EchoClient wired to a pool the way the orchestrator's handlers would be."""

    def __init__(self, pool: EchoPool, tone_hz: float = participant_frequency(3)) -> None:
        self.pool = pool
        self.session_id = ""
        self.client = EchoClient(self._send_offer, self._fetch_report, tone_hz=tone_hz)

    async def _send_offer(self, sdp: str) -> str:
        assert candidate_addresses(sdp) == {"127.0.0.1"}
        ticket = await self.pool.open(sdp)
        self.session_id = ticket.session_id
        assert candidate_addresses(ticket.answer_sdp) == {"127.0.0.1"}
        return ticket.answer_sdp

    async def _fetch_report(self) -> EchoReport:
        return await self.pool.report(self.session_id, timeout=30)


@pytest.fixture
async def pool() -> AsyncIterator[EchoPool]:
    async with EchoPool(capacity=2, idle_timeout=5.0, measure_for=2.0) as echo_pool:
        yield echo_pool
