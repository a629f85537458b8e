"""The echo pool: capacity, retry-after, idle and abandoned sessions, refused offers."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCPeerConnection

from signalling.media.echo import EchoState
from signalling.media.echo_pool import EchoPool
from signalling.media.errors import EchoBusy, EchoError, EchoInUse
from signalling.media.ice import ice_configuration
from signalling.media.tone import ToneTrack, participant_frequency
from tests.signalling.media.conftest import TONE_TIMEOUT, PoolClient

IDLE = 2.0  # long enough that a loaded machine's pauses do not look idle


async def test_full_pool_refuses_with_retry_after_then_accepts_when_a_slot_frees() -> None:
    async with EchoPool(capacity=1, idle_timeout=5.0, measure_for=1.0) as pool:
        first, second = PoolClient(pool), PoolClient(pool, participant_frequency(4))
        try:
            await first.client.start()
            with pytest.raises(EchoBusy) as busy:
                await second.client.start()
            assert 1 <= busy.value.retry_after <= 5
            assert "try again in" in str(busy.value)
            assert pool.active == 1
            await pool.close(first.session_id)
            assert pool.active == 0
            third = PoolClient(pool, participant_frequency(5))
            await third.client.start()
            await third.client.wait_own_tone(timeout=TONE_TIMEOUT)
            assert pool.active == 1
            await third.client.close()
        finally:
            await first.client.close()
            await second.client.close()


async def test_answered_session_without_media_ends_when_idle() -> None:
    async with EchoPool(capacity=2, idle_timeout=IDLE, measure_for=1.0) as pool:
        # A browser that sends its offer, then never applies the answer.
        pc = RTCPeerConnection(ice_configuration())
        tone = ToneTrack(participant_frequency(1))
        pc.addTransceiver(tone, direction="sendrecv")
        try:
            await pc.setLocalDescription(await pc.createOffer())
            ticket = await pool.open(pc.localDescription.sdp)
            session = pool.get(ticket.session_id)
            assert pool.active == 1
            await asyncio.wait_for(session.wait_closed(), IDLE + 15)
            assert pool.active == 0
            assert session.history == [EchoState.NEW, EchoState.ANSWERED, EchoState.CLOSED]
            assert "idle" in session.close_reason
            with pytest.raises(EchoError, match="no echo session"):
                await pool.report(ticket.session_id)
        finally:
            tone.stop()
            await pc.close()


async def test_session_whose_client_went_away_is_ended_by_the_pool() -> None:
    async with EchoPool(capacity=2, idle_timeout=IDLE, measure_for=1.0) as pool:
        bot = PoolClient(pool)
        await bot.client.start()
        await bot.client.wait_own_tone(timeout=TONE_TIMEOUT)
        session = pool.get(bot.session_id)
        await bot.client.close()  # no goodbye to the pool
        await asyncio.wait_for(session.wait_closed(), IDLE + 15)
        assert pool.active == 0 and session.state is EchoState.CLOSED
        assert session.close_reason in (f"idle for {IDLE:g} s", "media connection failed")


@pytest.mark.parametrize("offer", ["", "v=0\r\n", "not sdp at all\nm=audio 9 x"])
async def test_unusable_offer_is_refused_and_frees_its_slot(pool: EchoPool, offer: str) -> None:
    with pytest.raises(EchoError):
        await pool.open(offer)
    assert pool.active == 0


async def test_one_echo_test_a_person_and_only_their_own_session_answers_them() -> None:
    async with EchoPool(capacity=3, idle_timeout=5.0, measure_for=1.0, max_duration=30) as pool:
        pc = RTCPeerConnection(ice_configuration())
        tone = ToneTrack(participant_frequency(2))
        pc.addTransceiver(tone, direction="sendrecv")
        try:
            await pc.setLocalDescription(await pc.createOffer())
            offer = pc.localDescription.sdp
            ticket = await pool.open(offer, owner="p-anna")
            with pytest.raises(EchoInUse) as in_use:
                await pool.open(offer, owner="p-anna")
            assert in_use.value.code == "echo_in_use" and 1 <= in_use.value.retry_after <= 30
            assert pool.active == 1
            # Someone else can neither read nor close Anna's session.
            with pytest.raises(EchoError, match="no echo session"):
                await pool.report(ticket.session_id, timeout=1, owner="p-bo")
            await pool.close(ticket.session_id, owner="p-bo")
            assert pool.active == 1
            await pool.close(ticket.session_id, owner="p-anna")
            assert pool.active == 0
            again = await pool.open(offer, owner="p-anna")  # her slot is free again
            await pool.close(again.session_id, owner="p-anna")
        finally:
            tone.stop()
            await pc.close()


async def test_an_echo_session_ends_after_its_maximum_duration_even_when_busy() -> None:
    async with EchoPool(capacity=1, idle_timeout=60.0, measure_for=1.0,
                        max_duration=1.0) as pool:
        client = PoolClient(pool)
        try:
            await client.client.start()
            session = pool.get(client.session_id)
            await asyncio.wait_for(session.wait_closed(), 15)
            assert "longer than" in session.close_reason and pool.active == 0
        finally:
            await client.client.close()
