"""The pre-join echo test: media straight back, then a network verdict.

Before joining a pass, a participant's browser (or a bot) offers WebRTC to
an ``EchoSession``. The session answers with an aiortc peer that sends every
received audio and video track straight back (the decoded frames of the
remote track feed the sender of the same transceiver; nothing else reads
them, and nothing is written anywhere). ``measure_for`` seconds after the
connection is up (plus up to ``RTCP_GRACE`` s while no round-trip time is
known yet), it reads aiortc's RTCP-based statistics and reports:

- ``rtt_ms``: round-trip time from the receiver reports the browser sends
  about the echoed stream (``RTCRemoteInboundRtpStreamStats.roundTripTime``),
  the worst over the echoed tracks;
- ``jitter_ms``: interarrival jitter of the audio (of the video only when
  there is no audio), the worst of the uplink (what we received,
  ``RTCInboundRtpStreamStats``) and the downlink (what the browser reports
  about the echo), converted from RTP clock units;
- ``loss``: round-trip packet loss, ``1 - (1 - uplink) * (1 - downlink)``,
  each direction lost / (received + lost).

Verdict (``Thresholds``, defaults after ITU-T G.114/G.1010 comfort levels
for interactive voice; the round trip is the sum of both directions):

    good   rtt <= 150 ms  and jitter <= 30 ms  and loss <= 1 %
    fair   rtt <= 300 ms  and jitter <= 50 ms  and loss <= 5 %
    poor   anything worse, or no RTCP report at all (media did not flow)

``EchoPool`` caps concurrent sessions (``EchoBusy`` with ``retry_after``
seconds when full), ends sessions that are idle (no media and no call for
``idle_timeout``) or older than ``max_duration``, and counts ``active``.
``EchoClient`` is the bot side, for tests and synthetic checks.

Session lifecycle (``EchoState``)::

    NEW --answer--> ANSWERED --ICE+DTLS up--> CONNECTED --close--> CLOSED
    NEW/ANSWERED --close (idle, error)--> CLOSED

Errors: ``EchoError`` (a ``PeerError``) for a bad offer or an unknown
session; ``EchoBusy`` (an ``EchoError``) when the pool is full.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import logging
import math
import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.stats import RTCInboundRtpStreamStats, RTCRemoteInboundRtpStreamStats
from av.frame import Frame
from av.packet import Packet

from orchestrator.taskset import TaskSet
from signalling.media.ice import ice_configuration, release_ice_sockets
from signalling.media.lkpeer import PeerError, candidate_from_init
from signalling.media.tone import Hearing, ToneDetector, ToneTrack, listen, participant_frequency

log = logging.getLogger(__name__)

MAX_OFFER_BYTES = 64 * 1024
DEFAULT_CLOCK = {"audio": 48_000, "video": 90_000}
RTCP_GRACE = 4.0  # extra seconds to wait for a first round-trip time


class EchoError(PeerError):
    """An echo test request that cannot be served as asked."""


class EchoBusy(EchoError):
    """Every echo slot is taken; ask again after ``retry_after`` seconds."""

    def __init__(self, active: int, capacity: int, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"the echo test is busy ({active} of {capacity} sessions in use); "
                         f"try again in {retry_after:.0f} s")


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


class EchoState(enum.Enum):
    NEW = "new"
    ANSWERED = "answered"
    CONNECTED = "connected"
    CLOSED = "closed"


_TRANSITIONS: dict[EchoState, frozenset[EchoState]] = {
    EchoState.NEW: frozenset({EchoState.ANSWERED, EchoState.CLOSED}),
    EchoState.ANSWERED: frozenset({EchoState.CONNECTED, EchoState.CLOSED}),
    EchoState.CONNECTED: frozenset({EchoState.CLOSED}),
    EchoState.CLOSED: frozenset(),
}


class _EchoTrack(MediaStreamTrack):
    """The received track, passed straight through, noting when media last came.

    Frames are handed to the sender and dropped; nothing else keeps them.
    """

    def __init__(self, source: MediaStreamTrack, on_frame: Callable[[], None]) -> None:
        super().__init__()
        self.kind = source.kind
        self._source = source
        self._on_frame = on_frame

    async def recv(self) -> Frame | Packet[Any]:
        try:
            frame = await self._source.recv()
        except MediaStreamError:
            self.stop()
            raise
        self._on_frame()
        return frame


class EchoSession:
    """One echo test: answers an offer, echoes media, reports after ``measure_for`` s.

    States: see ``EchoState``. ``report()`` waits for the measurement (or
    gives a "poor" report when media never connected within
    ``connect_timeout``); ``on_report`` is called with the same report once.
    """

    def __init__(self, session_id: str, *, measure_for: float = 4.0,
                 connect_timeout: float = 10.0, thresholds: Thresholds = Thresholds(),
                 on_report: Callable[[EchoReport], None] | None = None) -> None:
        if measure_for <= 0 or connect_timeout <= 0:
            raise ValueError("measure_for and connect_timeout must be positive")
        self.session_id = session_id
        self.measure_for = measure_for
        self.connect_timeout = connect_timeout
        self.thresholds = thresholds
        self._on_report = on_report
        self._loop = asyncio.get_running_loop()
        self.created_at = self._loop.time()
        self.last_activity = self.created_at
        self.close_reason = ""
        self.history: list[EchoState] = [EchoState.NEW]
        self._state = EchoState.NEW
        self._tasks = TaskSet(f"echo[{session_id}]")
        self._connected = asyncio.Event()
        self._report: asyncio.Future[EchoReport] = self._loop.create_future()
        self._pc = RTCPeerConnection(ice_configuration())
        self._pc.on("track", self._on_track)
        self._pc.on("connectionstatechange", self._on_connection_state)

    @property
    def state(self) -> EchoState:
        return self._state

    def _set_state(self, new: EchoState) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise EchoError(f"echo session {self.session_id}: cannot go from "
                            f"{self._state.value} to {new.value}")
        self._state = new
        self.history.append(new)

    def touch(self) -> None:
        """Count as activity (the pool ends sessions idle for too long)."""
        self.last_activity = self._loop.time()

    @property
    def media_failed(self) -> bool:
        return self._pc.connectionState in ("failed", "closed")

    async def answer(self, offer_sdp: str) -> str:
        """Apply the browser's offer; returns the answer SDP (with our candidates).

        Raises ``EchoError`` for an offer that is too large, has no audio or
        video, or that aiortc cannot apply.
        """
        if self._state is not EchoState.NEW:
            raise EchoError(f"echo session {self.session_id} already has an offer "
                            f"({self._state.value}); start a new session")
        if len(offer_sdp.encode()) > MAX_OFFER_BYTES:
            raise EchoError(f"the offer is larger than {MAX_OFFER_BYTES} bytes")
        if "\nm=audio" not in offer_sdp and "\nm=video" not in offer_sdp:
            raise EchoError("the offer has no audio or video to echo")
        self.touch()
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            await self._pc.setLocalDescription(await self._pc.createAnswer())
        except (ValueError, AssertionError) as error:
            # aiortc reports unusable SDP as ValueError (or an assert in its parser).
            raise EchoError(f"the offer cannot be used: {error}") from error
        except Exception as error:
            # aiortc's own errors (InvalidStateError, OperationError) subclass Exception.
            raise EchoError(f"the offer cannot be used: {error!r}") from error
        self._set_state(EchoState.ANSWERED)
        self._tasks.spawn(self._measure(), "measure")
        local = self._pc.localDescription
        return local.sdp

    async def add_candidate(self, init: Mapping[str, Any] | None) -> None:
        """A trickled browser candidate (RTCIceCandidateInit); ``None`` ends them."""
        self.touch()
        candidate = None if init is None else candidate_from_init(init)
        await self._pc.addIceCandidate(candidate)

    def _on_track(self, track: MediaStreamTrack) -> None:
        # Send each received track back on its own transceiver.
        self._pc.addTrack(_EchoTrack(track, self.touch))

    def _on_connection_state(self) -> None:
        if self._pc.connectionState == "connected" and self._state is EchoState.ANSWERED:
            self._set_state(EchoState.CONNECTED)
            self._connected.set()

    async def _summarise(self) -> EchoReport:
        stats = await self._pc.getStats()
        return summarise(stats.values(), self._clock_rates(), self.thresholds)

    def _clock_rates(self) -> dict[str, int]:
        rates: dict[str, int] = {}
        for transceiver in self._pc.getTransceivers():
            codecs = getattr(transceiver, "_codecs", None)
            if codecs:
                rates.setdefault(transceiver.kind, int(codecs[0].clockRate))
        return rates

    async def _measure(self) -> None:
        try:
            await asyncio.wait_for(self._connected.wait(), self.connect_timeout)
        except TimeoutError:
            report = EchoReport(None, None, 0.0, 0.0, 0.0, 0, Verdict.POOR, (
                f"no media connection within {self.connect_timeout:g} s "
                "(a firewall or VPN may block WebRTC)",))
        else:
            await asyncio.sleep(self.measure_for)
            report = await self._summarise()
            # aiortc derives a round-trip time only from a receiver report
            # that answers its latest sender report (each side sends every
            # 0.5-1.5 s), so the first one can come late: wait a little more.
            deadline = self._loop.time() + RTCP_GRACE
            while report.rtt_ms is None and self._loop.time() < deadline:
                await asyncio.sleep(0.25)
                report = await self._summarise()
        log.info("echo %s: %s (rtt %s ms, jitter %s ms, loss %.1f%%)", self.session_id,
                 report.verdict.value, _fmt(report.rtt_ms), _fmt(report.jitter_ms),
                 report.loss * 100)
        self._report.set_result(report)
        if self._on_report is not None:
            try:
                self._on_report(report)
            except Exception:
                log.exception("echo %s: on_report callback failed", self.session_id)

    async def report(self, timeout: float | None = None) -> EchoReport:
        """The measurement, waiting for it if needed.

        Raises ``EchoError`` when the session has no offer yet, closed before
        measuring, or ``timeout`` passes.
        """
        if self._state is EchoState.NEW:
            raise EchoError(f"echo session {self.session_id} has no offer yet")
        self.touch()
        if self._report.done():
            return self._report.result()
        if self._state is EchoState.CLOSED:
            raise EchoError(f"echo session {self.session_id} closed before it measured "
                            f"({self.close_reason})")
        try:
            return await asyncio.wait_for(asyncio.shield(self._report), timeout)
        except TimeoutError as error:
            raise EchoError(f"echo session {self.session_id}: no report within "
                            f"{timeout:g} s") from error

    async def close(self, reason: str = "closed") -> None:
        """Stop echoing and release the peer connection (idempotent)."""
        if self._state is EchoState.CLOSED:
            return
        self.close_reason = reason
        self._set_state(EchoState.CLOSED)
        await self._tasks.cancel_all()
        try:
            async with asyncio.timeout(5.0):
                await self._pc.close()
        except TimeoutError:
            log.warning("echo %s: closing the peer connection took over 5 s; abandoning it",
                        self.session_id)
        except Exception as error:  # noqa: BLE001 - the session must end regardless
            log.warning("echo %s: closing the peer connection failed: %r", self.session_id, error)
        await release_ice_sockets(self._pc)
        if not self._report.done():
            self._report.cancel()
        log.info("echo %s: closed (%s)", self.session_id, reason)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


@dataclass(frozen=True)
class EchoTicket:
    """What the orchestrator acks to an echo offer."""

    session_id: str
    answer_sdp: str
    report_after: float  # seconds after the connection is up


class EchoPool:
    """At most ``capacity`` concurrent echo sessions, ending idle ones on their own.

    A session ends when it had no media and no call for ``idle_timeout``
    seconds, when it is older than ``max_duration``, when its connection
    fails, or when ``close(session_id)`` is called. ``retry_after`` in
    ``EchoBusy`` is the time until the first of those deadlines, at least 1 s.
    Use ``async with`` (or ``aclose()``) to end everything at shutdown.
    """

    def __init__(self, capacity: int, idle_timeout: float, *, max_duration: float = 120.0,
                 measure_for: float = 4.0, thresholds: Thresholds = Thresholds()) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        if idle_timeout <= 0 or max_duration <= 0:
            raise ValueError("idle_timeout and max_duration must be positive")
        self.capacity = capacity
        self.idle_timeout = idle_timeout
        self.max_duration = max_duration
        self.measure_for = measure_for
        self.thresholds = thresholds
        self._sessions: dict[str, EchoSession] = {}
        self._reserved = 0
        self._tasks = TaskSet("echo-pool")
        self._watchdog: asyncio.Task[Any] | None = None
        self._closed = False
        self._ids = itertools.count(1)

    async def __aenter__(self) -> EchoPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def active(self) -> int:
        return len(self._sessions) + self._reserved

    def retry_after(self) -> float:
        if not self._sessions:
            return 1.0
        now = asyncio.get_running_loop().time()
        soonest = min(min(s.last_activity + self.idle_timeout, s.created_at + self.max_duration)
                      for s in self._sessions.values())
        return float(max(1, math.ceil(soonest - now)))

    async def open(self, offer_sdp: str, *,
                   on_report: Callable[[EchoReport], None] | None = None) -> EchoTicket:
        """Start a session for a browser's offer; returns its id and our answer.

        Raises ``EchoBusy`` when full, ``EchoError`` for an unusable offer.
        """
        if self._closed:
            raise EchoError("the echo pool is shut down")
        if self.active >= self.capacity:
            raise EchoBusy(self.active, self.capacity, self.retry_after())
        # Reserve the slot before the first await so concurrent opens cannot
        # overshoot the capacity.
        self._reserved += 1
        session_id = f"echo-{next(self._ids)}-{secrets.token_hex(4)}"
        try:
            session = EchoSession(session_id, measure_for=self.measure_for,
                                  thresholds=self.thresholds, on_report=on_report)
            try:
                answer = await session.answer(offer_sdp)
            except BaseException:
                await session.close("offer refused")
                raise
            self._sessions[session_id] = session
        finally:
            self._reserved -= 1
        if self._watchdog is None:
            self._watchdog = self._tasks.spawn(self._watch(), "watchdog")
        return EchoTicket(session_id, answer, self.measure_for)

    def get(self, session_id: str) -> EchoSession:
        try:
            return self._sessions[session_id]
        except KeyError:
            raise EchoError(f"no echo session {session_id!r}: it ended or never existed; "
                            "start a new echo test") from None

    async def report(self, session_id: str, timeout: float | None = None) -> EchoReport:
        return await self.get(session_id).report(timeout)

    async def add_candidate(self, session_id: str, init: Mapping[str, Any] | None) -> None:
        await self.get(session_id).add_candidate(init)

    async def close(self, session_id: str, reason: str = "closed by client") -> None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            await session.close(reason)

    async def _watch(self) -> None:
        interval = min(1.0, self.idle_timeout / 4)
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            now = loop.time()
            for session_id, session in list(self._sessions.items()):
                reason = ""
                if session.state is EchoState.CLOSED:
                    reason = session.close_reason or "closed"
                elif now - session.last_activity > self.idle_timeout:
                    reason = f"idle for {self.idle_timeout:g} s"
                elif now - session.created_at > self.max_duration:
                    reason = f"longer than {self.max_duration:g} s"
                elif session.media_failed:
                    reason = "media connection failed"
                if reason:
                    try:
                        await self.close(session_id, reason)
                    except Exception:
                        log.exception("echo %s: closing (%s) failed", session_id, reason)

    async def aclose(self) -> None:
        """Stop intake, then close every session and the watchdog."""
        self._closed = True
        await self._tasks.cancel_all()
        self._watchdog = None
        sessions, self._sessions = list(self._sessions.values()), {}
        await asyncio.gather(*(s.close("shutting down") for s in sessions),
                             return_exceptions=True)


class EchoClient:
    """The bot side of an echo test: offer a tone, hear it come back.

    ``send_offer`` takes our offer SDP and returns the answer SDP (in tests:
    ``EchoPool.open``; in a synthetic check: the Socket.IO round trip);
    ``fetch_report`` asks for the session's report. Usage::

        client = EchoClient(send_offer, fetch_report)
        await client.start()
        await client.wait_own_tone(timeout=10)
        report = await client.report()
        await client.close()
    """

    def __init__(self, send_offer: Callable[[str], Awaitable[str]],
                 fetch_report: Callable[[], Awaitable[EchoReport]] | None = None, *,
                 tone_hz: float = participant_frequency(0), fresh_for: float = 1.0) -> None:
        self.tone_hz = tone_hz
        self._send_offer = send_offer
        self._fetch_report = fetch_report
        self._tasks = TaskSet("echo-client")
        self._hearing = Hearing(fresh_for=fresh_for)
        self._pc: RTCPeerConnection | None = None
        self._tone: ToneTrack | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._pc = pc = RTCPeerConnection(ice_configuration())
        self._tone = ToneTrack(self.tone_hz)
        pc.addTransceiver(self._tone, direction="sendrecv")

        def on_track(track: MediaStreamTrack) -> None:
            if track.kind != "audio":
                return
            detector = ToneDetector.for_frequencies([self.tone_hz])
            key = f"{track.id}#{id(track)}"
            self._tasks.spawn(listen(track, detector,
                                     lambda found: self._hearing.note(key, found, loop.time())),
                              f"hear:{track.id}")

        pc.on("track", on_track)
        await pc.setLocalDescription(await pc.createOffer())
        answer = await self._send_offer(pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))

    def hears_own_tone(self) -> bool:
        return self.tone_hz in self._hearing.heard(asyncio.get_running_loop().time())

    async def wait_own_tone(self, timeout: float) -> float:
        """Seconds until the echoed tone is detected; ``EchoError`` on timeout."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        while not self.hears_own_tone():
            if loop.time() - start > timeout:
                raise EchoError(f"the echoed {self.tone_hz:g} Hz tone was not heard "
                                f"within {timeout:g} s")
            await asyncio.sleep(0.05)
        return loop.time() - start

    async def report(self) -> EchoReport:
        if self._fetch_report is None:
            raise EchoError("this EchoClient was built without fetch_report")
        return await self._fetch_report()

    async def close(self) -> None:
        """Stop sending and close the connection (the server is not told)."""
        await self._tasks.cancel_all()
        if self._tone is not None:
            self._tone.stop()
        if self._pc is not None:
            await self._pc.close()
