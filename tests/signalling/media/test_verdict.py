"""The echo verdict: documented thresholds, reasons, and the summary of RTCP statistics (pure)."""

from __future__ import annotations

import datetime

import pytest
from aiortc.stats import RTCInboundRtpStreamStats, RTCRemoteInboundRtpStreamStats

from signalling.media.verdict import Thresholds, Verdict, judge, summarise


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
