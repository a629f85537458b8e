"""Room admission follows assignment, on the real LiveKit server.

A participant who joins a breakout room that is not theirs (here with a token
for another group's room, as an old or leaked token would be) is removed
within a second of joining, and ops hears of it with a coded alert.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from livekit import api

from exercises.demo import demo_class
from exercises.state import Member
from signalling.media import ice as loopback
from signalling.media.errors import IceFailed, PeerDisconnected
from signalling.media.lkpeer import LiveKitPeer, PeerOptions, PeerState
from signalling.media.tone import participant_frequency
from tests.conftest import LiveKitService
from tests.harness import Client, OrchestratorProcess, open_pass, service_for
from tests.signalling.media.hygiene import loop_reports_nothing  # noqa: F401 - autouse here
from tests.waiting import eventually

pytestmark = pytest.mark.services

PEOPLE = [Member("p-anna", "Anna Lind", "HR", "Malmö"), Member("p-bo", "Bo Ek", "IT", "Umeå"),
          Member("p-cia", "Cia Holm", "Ekonomi", "Luleå"),
          Member("p-dan", "Dan Berg", "Sälj", "Malmö")]


def token(livekit: LiveKitService, identity: str, room: str) -> str:
    """A token like the orchestrator mints, for a room of our choosing."""
    return (api.AccessToken(livekit.keys.key, livekit.keys.secret)
            .with_identity(identity).with_name(identity).with_ttl(timedelta(minutes=2))
            .with_grants(api.VideoGrants(room_join=True, room=room, can_publish=True,
                                         can_subscribe=True, can_publish_data=False,
                                         can_publish_sources=["camera", "microphone"]))
            .to_jwt())


async def in_room(livekit: LiveKitService, room: str) -> set[str]:
    lk = api.LiveKitAPI(livekit.http_url, livekit.keys.key, livekit.keys.secret)
    try:
        listed = await lk.room.list_participants(api.ListParticipantsRequest(room=room))
        return {p.identity for p in listed.participants}
    finally:
        await lk.aclose()


async def test_joining_another_groups_room_is_undone_within_a_second_and_ops_is_told(
        env: dict[str, str], orchestrator: OrchestratorProcess,
        livekit_server: LiveKitService) -> None:
    loopback.enable()
    opened = await open_pass(env, orchestrator.base_url, demo_class(), PEOPLE)
    async with service_for(env) as service:
        ops = Client(orchestrator.base_url, "/ops", {"credential": service.ops_credential()})
    await ops.connect()
    await ops.wait_for("snapshot")
    peer = LiveKitPeer("intruder", PeerOptions(tone_hz=participant_frequency(0),
                                               auto_subscribe=False))
    try:
        fac = opened.facilitator
        for command in ("start", "next", "next", "open_breakouts"):
            assert (await fac.command(command))["ok"], command
        async with service_for(env) as service:
            state = await service.store.load(opened.id)
        assert state.breakout is not None
        mine, theirs = state.breakout.groups
        intruder = mine.members[0]

        try:
            await peer.connect(livekit_server.url, token(livekit_server, intruder, theirs.room))
        except (IceFailed, PeerDisconnected):
            # Removed while its media was still coming up (a loaded machine is slow here):
            # ICE fails, or LiveKit's leave (PARTICIPANT_REMOVED) comes first.
            pass
        joined = time.monotonic()

        async def removed() -> bool:
            return intruder not in await in_room(livekit_server, theirs.room)

        await eventually(removed, what="the intruder is removed from the room", timeout=10,
                         interval=0.05)
        took = time.monotonic() - joined
        alert = await ops.wait_for("alert", lambda a: a["code"] == "room_not_assigned")
        assert (alert["room"], alert["person_id"], alert["pass_id"]) == (
            theirs.room, intruder, opened.id)
        await eventually(lambda: peer.state is PeerState.CLOSED,
                         what="the intruder's connection is closed by LiveKit", timeout=10)
        assert took < 1.0, f"removed {took:.2f} s after joining"
        others = await in_room(livekit_server, theirs.room)
        assert intruder not in others
    finally:
        await asyncio.gather(peer.leave(), return_exceptions=True)
        await opened.close()
        await ops.close()
