"""The echo test's verdict: what the RTCP statistics say about the network (pure).

An echo test (``signalling.media.echo``) reads aiortc's RTCP-based
statistics once it has echoed for a while; ``summarise`` turns one
``getStats()`` into an ``EchoReport``:

- ``rtt_ms``: round-trip time from the receiver reports the browser sends
  about the echoed stream (``RTCRemoteInboundRtpStreamStats.roundTripTime``),
  the worst over the echoed tracks;
- ``jitter_ms``: interarrival jitter of the audio (of the video only when
  there is no audio), the worst of the uplink (what we received,
  ``RTCInboundRtpStreamStats``) and the downlink (what the browser reports
  about the echo), converted from RTP clock units;
- ``loss``: round-trip packet loss, ``1 - (1 - uplink) * (1 - downlink)``,
  each direction lost / (received + lost).

Verdict (``judge`` with ``Thresholds``, defaults after ITU-T G.114/G.1010
comfort levels for interactive voice; the round trip is the sum of both
directions):

    good   rtt <= 150 ms  and jitter <= 30 ms  and loss <= 1 %
    fair   rtt <= 300 ms  and jitter <= 50 ms  and loss <= 5 %
    poor   anything worse, or no RTCP report at all (media did not flow)

Everything here is a value or a pure function: no peer connection, no
event loop. The browser shows the same thresholds (``web/src/echo.js``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from aiortc.stats import RTCInboundRtpStreamStats, RTCRemoteInboundRtpStreamStats

DEFAULT_CLOCK = {"audio": 48_000, "video": 90_000}


class Verdict(enum.Enum):
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


@dataclass(frozen=True)
class Thresholds:
    """Upper bounds for "good" and "fair"; see the module docstring."""

    good_rtt_ms: float = 150.0
    good_jitter_ms: float = 30.0
    good_loss: float = 0.01
    fair_rtt_ms: float = 300.0
    fair_jitter_ms: float = 50.0
    fair_loss: float = 0.05

    def __post_init__(self) -> None:
        pairs = [(self.good_rtt_ms, self.fair_rtt_ms), (self.good_jitter_ms, self.fair_jitter_ms),
                 (self.good_loss, self.fair_loss)]
        if any(not 0 <= good <= fair for good, fair in pairs):
            raise ValueError("each 'good' threshold must be >= 0 and <= its 'fair' threshold")


@dataclass(frozen=True)
class EchoReport:
    """What the echo test measured, and the verdict. Wire form: ``to_wire()``."""

    rtt_ms: float | None
    jitter_ms: float | None
    loss: float
    uplink_loss: float
    downlink_loss: float
    packets_received: int
    verdict: Verdict
    reasons: tuple[str, ...]

    def to_wire(self) -> dict[str, Any]:
        wire = asdict(self)
        wire["verdict"] = self.verdict.value
        wire["reasons"] = list(self.reasons)
        return wire


def judge(rtt_ms: float | None, jitter_ms: float | None, loss: float,
          thresholds: Thresholds = Thresholds()) -> tuple[Verdict, tuple[str, ...]]:
    """The verdict for one measurement, with a reason per threshold missed."""
    if rtt_ms is None or jitter_ms is None:
        return Verdict.POOR, ("no RTCP receiver report came back: media did not flow both ways",)
    checks = [("round-trip time", rtt_ms, thresholds.good_rtt_ms, thresholds.fair_rtt_ms, "ms"),
              ("jitter", jitter_ms, thresholds.good_jitter_ms, thresholds.fair_jitter_ms, "ms"),
              ("packet loss", loss * 100, thresholds.good_loss * 100, thresholds.fair_loss * 100,
               "%")]
    verdict, reasons = Verdict.GOOD, []
    for name, value, good, fair, unit in checks:
        if value > fair:
            verdict = Verdict.POOR
            reasons.append(f"{name} {value:.0f} {unit} is above {fair:g} {unit}")
        elif value > good:
            if verdict is Verdict.GOOD:
                verdict = Verdict.FAIR
            reasons.append(f"{name} {value:.0f} {unit} is above {good:g} {unit}")
    return verdict, tuple(reasons)


def _lost_fraction(lost: int, received: int) -> float:
    total = lost + received
    return max(0, lost) / total if total > 0 else 0.0


def summarise(stats: Iterable[object], clock_rates: Mapping[str, int],
              thresholds: Thresholds = Thresholds()) -> EchoReport:
    """An ``EchoReport`` from one ``getStats()`` of the echo peer (pure)."""
    rtts: list[float] = []
    jitters: list[float] = []
    audio_jitters: list[float] = []
    up_lost = up_received = down_lost = down_received = 0
    for item in stats:
        # Jitter is judged on audio when there is audio: video frames leave
        # in bursts of packets, so their interarrival jitter says more about
        # frame pacing than about the network a voice conversation needs.
        if isinstance(item, RTCRemoteInboundRtpStreamStats):
            rate = clock_rates.get(item.kind, DEFAULT_CLOCK.get(item.kind, 90_000))
            if item.roundTripTime is not None:
                rtts.append(item.roundTripTime * 1000)
            (audio_jitters if item.kind == "audio" else jitters).append(
                item.jitter * 1000 / rate)
            down_lost += item.packetsLost
            down_received += item.packetsReceived
        elif isinstance(item, RTCInboundRtpStreamStats):
            rate = clock_rates.get(item.kind, DEFAULT_CLOCK.get(item.kind, 90_000))
            (audio_jitters if item.kind == "audio" else jitters).append(
                item.jitter * 1000 / rate)
            up_lost += item.packetsLost
            up_received += item.packetsReceived
    rtt = max(rtts) if rtts else None
    jitters = audio_jitters or jitters
    jitter = max(jitters) if jitters and rtts else None
    uplink, downlink = _lost_fraction(up_lost, up_received), _lost_fraction(down_lost,
                                                                            down_received)
    loss = 1 - (1 - uplink) * (1 - downlink)
    verdict, reasons = judge(rtt, jitter, loss, thresholds)
    return EchoReport(rtt_ms=rtt, jitter_ms=jitter, loss=loss, uplink_loss=uplink,
                      downlink_loss=downlink, packets_received=up_received, verdict=verdict,
                      reasons=reasons)


def not_connected(connect_timeout: float) -> EchoReport:
    """The report of an echo test whose media never connected within ``connect_timeout`` s."""
    return EchoReport(None, None, 0.0, 0.0, 0.0, 0, Verdict.POOR, (
        f"no media connection within {connect_timeout:g} s "
        "(a firewall or VPN may block WebRTC)",))
