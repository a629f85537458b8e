"""The echo test: an EchoClient against EchoSessions in-process, over real WebRTC on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import AsyncIterator

import pytest
import aioice.ice
from aiortc import RTCPeerConnection
from aiortc.sdp import SessionDescription
from aiortc.stats import RTCInboundRtpStreamStats, RTCRemoteInboundRtpStreamStats

from signalling.media.echo import (
    EchoBusy,
    EchoClient,
    EchoError,
    EchoPool,
    EchoReport,
    EchoState,
    Thresholds,
    Verdict,
    judge,
    summarise,
)
from signalling.media import ice as loopback
from signalling.media.ice import ice_configuration
from signalling.media.tone import ToneTrack, participant_frequency


TONE_TIMEOUT = 30.0  # generous: the suite shares 2 cores with browsers and LiveKit
IDLE = 2.0  # long enough that a loaded machine's pauses do not look idle


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


async def test_client_hears_its_own_tone_and_gets_a_good_report(pool: EchoPool) -> None:
    bot = PoolClient(pool)
    try:
        await bot.client.start()
        heard_after = await bot.client.wait_own_tone(timeout=TONE_TIMEOUT)
        report = await bot.client.report()
    finally:
        await bot.client.close()
    print(f"\necho: own tone heard after {heard_after * 1000:.0f} ms; report {report.to_wire()}")
    # Figures depend on the machine's load (tests never assert on speed):
    # check that each was measured and that the verdict follows from them.
    assert report.rtt_ms is not None and report.rtt_ms >= 0
    assert report.jitter_ms is not None and report.jitter_ms >= 0
    assert 0.0 <= report.loss <= 1.0 and report.packets_received > 0
    assert (report.verdict, report.reasons) == judge(report.rtt_ms, report.jitter_ms, report.loss)
    assert pool.get(bot.session_id).history == [EchoState.NEW, EchoState.ANSWERED,
                                                EchoState.CONNECTED]


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
            loop = asyncio.get_running_loop()
            start = loop.time()
            while pool.active and loop.time() - start < IDLE + 15:
                await asyncio.sleep(0.1)
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
        loop = asyncio.get_running_loop()
        start = loop.time()
        while pool.active and loop.time() - start < IDLE + 15:
            await asyncio.sleep(0.1)
        assert pool.active == 0 and session.state is EchoState.CLOSED
        assert session.close_reason in (f"idle for {IDLE:g} s", "media connection failed")


@pytest.mark.parametrize("offer", ["", "v=0\r\n", "not sdp at all\nm=audio 9 x"])
async def test_unusable_offer_is_refused_and_frees_its_slot(pool: EchoPool, offer: str) -> None:
    with pytest.raises(EchoError):
        await pool.open(offer)
    assert pool.active == 0


@pytest.mark.parametrize(("rtt", "jitter", "loss", "verdict"), [
    (20.0, 5.0, 0.0, Verdict.GOOD),
    (150.0, 30.0, 0.01, Verdict.GOOD),
    (200.0, 5.0, 0.0, Verdict.FAIR),
    (20.0, 40.0, 0.0, Verdict.FAIR),
    (20.0, 5.0, 0.03, Verdict.FAIR),
    (301.0, 5.0, 0.0, Verdict.POOR),
    (200.0, 60.0, 0.0, Verdict.POOR),
    (20.0, 5.0, 0.10, Verdict.POOR),
    (None, None, 0.0, Verdict.POOR),
])
def test_verdict_follows_the_documented_thresholds(rtt: float | None, jitter: float | None,
                                                   loss: float, verdict: Verdict) -> None:
    assert judge(rtt, jitter, loss)[0] is verdict


def test_each_missed_threshold_gives_a_reason() -> None:
    verdict, reasons = judge(200.0, 60.0, 0.0, Thresholds())
    assert verdict is Verdict.POOR
    assert reasons == ("round-trip time 200 ms is above 150 ms", "jitter 60 ms is above 50 ms")


def test_summary_combines_both_directions_from_rtcp_stats() -> None:
    now = datetime.datetime.now(datetime.timezone.utc)
    stats = [
        RTCInboundRtpStreamStats(timestamp=now, type="inbound-rtp", id="in", ssrc=1,
                                 kind="audio", transportId="t", packetsReceived=98,
                                 packetsLost=2, jitter=480),
        RTCRemoteInboundRtpStreamStats(timestamp=now, type="remote-inbound-rtp", id="rin",
                                       ssrc=2, kind="audio", transportId="t",
                                       packetsReceived=99, packetsLost=1, jitter=960,
                                       roundTripTime=0.12, fractionLost=2),
    ]
    report = summarise(stats, {"audio": 48_000})
    assert report.rtt_ms == pytest.approx(120)
    assert report.jitter_ms == pytest.approx(20)
    assert report.uplink_loss == pytest.approx(0.02)
    assert report.downlink_loss == pytest.approx(0.01)
    assert report.loss == pytest.approx(1 - 0.98 * 0.99)
    assert report.verdict is Verdict.FAIR  # 2.97 % loss is above 1 %
    assert report.to_wire()["verdict"] == "fair"


def test_summary_without_receiver_reports_is_poor() -> None:
    report = summarise([], {})
    assert report.verdict is Verdict.POOR and report.rtt_ms is None


def test_loopback_mode_offers_127_0_0_1_only_and_no_stun() -> None:
    config = ice_configuration()
    assert config.iceServers == []
    assert loopback.is_enabled()
    assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1"]
    assert aioice.ice.get_host_addresses(use_ipv4=False, use_ipv6=True) == []


def test_loopback_patch_is_idempotent_and_reversible() -> None:
    loopback.enable()
    patched = aioice.ice.get_host_addresses
    loopback.enable()
    assert aioice.ice.get_host_addresses is patched
    loopback.disable()
    try:
        assert not loopback.is_enabled()
        assert aioice.ice.get_host_addresses is not patched
    finally:
        loopback.enable()
    assert loopback.is_enabled()
