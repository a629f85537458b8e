"""The pre-join echo test's peer: media straight back, then a network verdict.

Before joining a pass, a participant's browser (or a bot) offers WebRTC to
an ``EchoSession``. The session answers with an aiortc peer that sends every
received audio and video track straight back (the decoded frames of the
remote track feed the sender of the same transceiver; nothing else reads
them, and nothing is written anywhere). ``measure_for`` seconds after the
connection is up (plus up to ``RTCP_GRACE`` s while no round-trip time is
known yet), it reads aiortc's RTCP-based statistics and reports what
``signalling.media.verdict`` makes of them (an ``EchoReport``).

Sessions are handed out and ended by ``EchoPool`` (``echo_pool``); the bot
side of the test is ``EchoClient`` (``echo_client``).

Session lifecycle (``EchoState``)::

    NEW --answer--> ANSWERED --ICE+DTLS up--> CONNECTED --close--> CLOSED
    NEW/ANSWERED --close (idle, error)--> CLOSED

Errors (``signalling.media.errors``, all ``EchoError``s): ``BadOffer`` for
an offer too large, without media or unusable; ``EchoStateError`` for a
second offer or a report before the offer; ``EchoClosed`` for a report
asked of a session that closed before it measured; ``EchoTimeout`` when no
report comes within the time asked.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Mapping
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.frame import Frame
from av.packet import Packet

from orchestrator.taskset import TaskSet
from signalling.media.closing import close_peer_connection, finish
from signalling.media.errors import BadOffer, EchoClosed, EchoStateError, EchoTimeout
from signalling.media.ice import (
    allowed_candidate,
    candidate_from_init,
    ice_configuration,
    restrict_candidates,
)
from signalling.media.verdict import EchoReport, Thresholds, not_connected, summarise

log = logging.getLogger(__name__)

MAX_OFFER_BYTES = 64 * 1024
RTCP_GRACE = 4.0  # extra seconds to wait for a first round-trip time


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
                 on_report: Callable[[EchoReport], None] | None = None,
                 allowed_addresses: frozenset[str] | None = None) -> None:
        if measure_for <= 0 or connect_timeout <= 0:
            raise ValueError("measure_for and connect_timeout must be positive")
        self.session_id = session_id
        self.measure_for = measure_for
        self.connect_timeout = connect_timeout
        self.thresholds = thresholds
        self._on_report = on_report
        # Where the browser's candidates may point (None: anywhere, for bots and tests).
        self.allowed_addresses = allowed_addresses
        self._loop = asyncio.get_running_loop()
        self.created_at = self._loop.time()
        self.last_activity = self.created_at
        self.close_reason = ""
        self.owner: str | None = None  # the person it is for (set by the pool)
        self.history: list[EchoState] = [EchoState.NEW]
        self._state = EchoState.NEW
        self._tasks = TaskSet(f"echo[{session_id}]")
        self._connected = asyncio.Event()
        self._report: asyncio.Future[EchoReport] = self._loop.create_future()
        self._closing: asyncio.Task[None] | None = None
        self._closed = asyncio.Event()
        self._pc = RTCPeerConnection(ice_configuration())
        self._pc.on("track", self._on_track)
        self._pc.on("connectionstatechange", self._on_connection_state)

    @property
    def state(self) -> EchoState:
        return self._state

    def _set_state(self, new: EchoState) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise EchoStateError(f"echo session {self.session_id}: cannot go from "
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

        Raises ``BadOffer`` for an offer that is too large, has no audio or
        video, or that aiortc cannot apply; ``EchoStateError`` if the session
        already has one.
        """
        if self._state is not EchoState.NEW:
            raise EchoStateError(f"echo session {self.session_id} already has an offer "
                                 f"({self._state.value}); start a new session")
        if len(offer_sdp.encode()) > MAX_OFFER_BYTES:
            raise BadOffer(f"the offer is larger than {MAX_OFFER_BYTES} bytes")
        if "\nm=audio" not in offer_sdp and "\nm=video" not in offer_sdp:
            raise BadOffer("the offer has no audio or video to echo")
        self.touch()
        if self.allowed_addresses is not None:
            offer_sdp, dropped = restrict_candidates(offer_sdp, self.allowed_addresses)
            if dropped:
                log.info("echo %s: %d offered candidate(s) not from the participant's own "
                         "address dropped", self.session_id, dropped)
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(offer_sdp, "offer"))
            await self._pc.setLocalDescription(await self._pc.createAnswer())
        except (ValueError, AssertionError) as error:
            # aiortc reports unusable SDP as ValueError (or an assert in its parser).
            raise BadOffer(f"the offer cannot be used: {error}") from error
        except Exception as error:
            # aiortc's own errors (InvalidStateError, OperationError) subclass Exception.
            raise BadOffer(f"the offer cannot be used: {error!r}") from error
        self._set_state(EchoState.ANSWERED)
        self._tasks.spawn(self._measure(), "measure")
        local = self._pc.localDescription
        return local.sdp

    async def add_candidate(self, init: Mapping[str, Any] | None) -> None:
        """A trickled browser candidate (RTCIceCandidateInit); ``None`` ends them."""
        self.touch()
        if init is not None and self.allowed_addresses is not None and not allowed_candidate(
                str(init.get("candidate") or ""), self.allowed_addresses):
            return
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
            report = not_connected(self.connect_timeout)
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

        Raises ``EchoStateError`` when the session has no offer yet,
        ``EchoClosed`` when it closed before measuring, ``EchoTimeout`` when
        ``timeout`` passes.
        """
        if self._state is EchoState.NEW:
            raise EchoStateError(f"echo session {self.session_id} has no offer yet")
        self.touch()
        if self._report.done():
            return self._report.result()
        if self._state is EchoState.CLOSED:
            raise self._closed_early()
        try:
            return await asyncio.wait_for(asyncio.shield(self._report), timeout)
        except TimeoutError as error:
            raise EchoTimeout(f"echo session {self.session_id}: no report within "
                              f"{timeout:g} s") from error
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._report.cancelled() and current is not None and not current.cancelling():
                # The session closed while we waited: that is an answer, not our cancellation.
                raise self._closed_early() from None
            raise

    def _closed_early(self) -> EchoClosed:
        return EchoClosed(f"echo session {self.session_id} closed before it measured "
                          f"({self.close_reason})")

    async def close(self, reason: str = "closed") -> None:
        """Stop echoing and release the peer connection (idempotent).

        Every call returns once the session is fully closed. A caller
        cancelled meanwhile (a shutdown cancelling the pool's watchdog, say)
        is cancelled after the teardown, never halfway through it.
        """
        if self._closing is None:
            self.close_reason = reason
            self._set_state(EchoState.CLOSED)
            self._closing = self._loop.create_task(self._teardown(),
                                                   name=f"echo[{self.session_id}]:close")
        await finish(self._closing)

    async def wait_closed(self) -> None:
        """Wait until the session is closed and its peer connection released."""
        await self._closed.wait()

    async def _teardown(self) -> None:
        await self._tasks.cancel_all()
        await close_peer_connection(self._pc, f"echo {self.session_id}")
        if not self._report.done():
            self._report.cancel()
        self._closed.set()
        log.info("echo %s: closed (%s)", self.session_id, self.close_reason)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"
