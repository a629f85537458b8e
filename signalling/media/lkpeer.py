"""A synthetic LiveKit participant on aiortc: publishes a tone, hears others.

The peer speaks LiveKit's signalling (see shared/LIVEKIT.md) in one of two
modes (``PeerOptions.single_pc``): protobuf ``SignalRequest``/``SignalResponse``
frames over one WebSocket in both.

- One peer connection (the default), as livekit-client 2.x does in the
  participant page (``singlePeerConnection``): the WebSocket goes to
  ``/rtc/v1`` with a ``JoinRequest`` (``join_request``) that carries the
  client's first offer: the data channels and a receiving section (the page
  makes six; see ``INITIAL_RECEIVING_AUDIO``). The client makes every offer
  on that connection: to publish its tone once connected (the page publishes
  after ``room.connect()``), and whenever LiveKit asks for one to send it a
  track (``MediaSectionsRequirement``).
- Two peer connections (protocol 15, ``/rtc``): a *publisher* PC that the
  client offers on and a *subscriber* PC that the server offers on (again
  on every subscription change; answers echo the offer's ``id``).

Server ICE candidates arrive as ``TrickleRequest``s (``candidateInit`` is a
JSON string, ``target`` names the PC from the server's side, ``final`` ends
them); aiortc puts its own candidates in the SDP, so the peer never
trickles. All peer connections use ``ice.ice_configuration()``.

Each received audio track runs through a ``tone.ToneDetector``; what the
peer hears is derived from those detections in memory (``tone.Hearing``)
and nothing is ever written anywhere.

Lifecycle (``PeerState``)::

    NEW --connect--> CONNECTING --(joined, published, ICE up)--> CONNECTED
    CONNECTING --(failure)--> CLOSED          (connect raises PeerError)
    CONNECTED --leave / server leave / WebSocket lost--> CLOSED
    CLOSED --connect or move--> CONNECTING    (a fresh session each time)

Moving between rooms is ``move(url, token)``: the whole session (WebSocket,
its PCs, tracks, every task) is closed and awaited before the new one
starts, so nothing from room A leaks into room B.

Errors (``signalling.media.errors``), all ``PeerError``s with the peer's
label and the room in the message: ``PeerRefused`` (bad token or room),
``PeerUnreachable``, ``PeerProtocolError``, ``PeerDisconnected`` (the
signalling closed), ``IceFailed``, ``PeerTimeout`` (not connected within
``connect_timeout``), ``NotHeard`` (``wait_hearing*``), ``PeerStateError``.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import fractions
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
from aiortc import (
    MediaStreamTrack,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import VIDEO_CLOCK_RATE, MediaStreamError
from aiortc.sdp import SessionDescription
from av import VideoFrame
from av.frame import Frame
from livekit.protocol import models, rtc

from orchestrator.taskset import TaskSet
from signalling.media.closing import close_peer_connection, finish
from signalling.media.errors import (
    IceFailed,
    NotHeard,
    PeerDisconnected,
    PeerError,
    PeerProtocolError,
    PeerRefused,
    PeerStateError,
    PeerTimeout,
    PeerUnreachable,
)
from signalling.media.ice import candidate_from_init, ice_configuration
from signalling.media.tone import (
    Hearing,
    OpusToneTrack,
    ToneDetector,
    listen,
    participant_frequencies,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

PROTOCOL_VERSION = 15
#: The signalling protocol of the single-PC join (/rtc/v1): livekit-client 2.23
#: sends 17, which only adds packet trailers (SupportsPacketTrailer) this peer
#: does not read.
SINGLE_PC_PROTOCOL_VERSION = 16
#: Receiving sections in the first single-PC offer. livekit-client makes three
#: for audio and three for video; each costs aiortc a receiver and its thread,
#: and their number changes no round trip (for every new track LiveKit asks for
#: an offer, with a MediaSectionsRequirement, whether a section is free or not),
#: so a bot makes one for audio, and more as LiveKit asks.
INITIAL_RECEIVING_AUDIO, INITIAL_RECEIVING_VIDEO = 1, 0
NEGOTIATION_GRACE = 3.0  # seconds a close waits for an answer in progress
CLOSE_STEP_TIMEOUT = 5.0  # seconds waited for each of: each PC, the WebSocket, the HTTP session
DEFAULT_LISTEN_FOR = frozenset(participant_frequencies(16))


class PeerState(enum.Enum):
    NEW = "new"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    CLOSED = "closed"


_TRANSITIONS: dict[PeerState, frozenset[PeerState]] = {
    PeerState.NEW: frozenset({PeerState.CONNECTING}),
    PeerState.CONNECTING: frozenset({PeerState.CONNECTED, PeerState.CLOSED}),
    PeerState.CONNECTED: frozenset({PeerState.CLOSED}),
    PeerState.CLOSED: frozenset({PeerState.CONNECTING}),
}


@dataclass(frozen=True)
class PeerOptions:
    """How a ``LiveKitPeer`` behaves; checked when built.

    ``tone_hz``: the tone it publishes (``None``: publish no audio).
    ``listen_for``: the candidate frequencies its detectors look for; fewer
    candidates cost less CPU. ``video``: also publish a tiny generated video
    (160x96, 5 fps). ``fresh_for``: seconds a detection counts as "heard".
    ``connect_timeout``: join + publish + ICE, in seconds.
    """

    tone_hz: float | None = None
    listen_for: frozenset[float] = DEFAULT_LISTEN_FOR
    video: bool = False
    fresh_for: float = 1.0
    connect_timeout: float = 15.0
    detect_every_frames: int = 10
    # Off: the peer publishes but receives nothing (a listener costs a decoder
    # per track; a benchmark's crowd in the main room does not need to hear).
    auto_subscribe: bool = True
    # On: one peer connection over LiveKit's ``/rtc/v1``, its first offer sent
    # with the join, as livekit-client (2.x, ``singlePeerConnection``) does in
    # the participant page. Off: the two-connection ``/rtc`` signalling.
    single_pc: bool = True

    def __post_init__(self) -> None:
        if self.tone_hz is not None and self.tone_hz not in self.listen_for:
            # Not an error for the server, but a peer should be able to
            # recognise its own tone when others' detectors are built alike.
            log.debug("tone %s Hz is not among the listened-for frequencies", self.tone_hz)
        if self.fresh_for <= self.detect_every_frames * 0.020:
            raise ValueError(f"fresh_for={self.fresh_for}s must exceed the detection cadence "
                             f"({self.detect_every_frames * 0.020:g}s) or heard tones flicker")
        if self.connect_timeout <= 0:
            raise ValueError("connect_timeout must be positive")


class TinyVideoTrack(MediaStreamTrack):
    """A 160x96 grey frame at 5 fps: proof that video flows, at minimal CPU."""

    kind = "video"
    WIDTH, HEIGHT, FPS = 160, 96, 5

    def __init__(self) -> None:
        super().__init__()
        self._start: float | None = None
        self._index = 0
        # yuv420p: a Y plane then quarter-size U and V planes.
        self._planes = [bytes([128]) * (self.WIDTH * self.HEIGHT),
                        bytes([128]) * (self.WIDTH * self.HEIGHT // 4),
                        bytes([128]) * (self.WIDTH * self.HEIGHT // 4)]

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            due = self._start + self._index / self.FPS
            await asyncio.sleep(max(0.0, due - time.time()))
        frame = VideoFrame(width=self.WIDTH, height=self.HEIGHT, format="yuv420p")
        for plane, data in zip(frame.planes, self._planes):
            plane.update(data)
        frame.pts = self._index * VIDEO_CLOCK_RATE // self.FPS
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_RATE)
        self._index += 1
        return frame


def _encode(request: rtc.SignalRequest) -> bytes:
    return request.SerializeToString()


def parse_trickle(trickle: rtc.TrickleRequest) -> list[RTCIceCandidate | None]:
    """The aiortc candidates a server trickle stands for, in order.

    ``candidateInit`` is an RTCIceCandidateInit as JSON (see
    ``candidate_from_init``). LiveKit sets ``final`` on the message that
    carries the *last* candidate, so a final trickle is that candidate
    followed by ``None`` (end-of-candidates).
    """
    init = json.loads(trickle.candidateInit) if trickle.candidateInit else {}
    candidate = candidate_from_init(init)
    found: list[RTCIceCandidate | None] = []
    if candidate is not None:
        found.append(candidate)
    if trickle.final or candidate is None:
        found.append(None)
    return found


def follow_ssrc_changes(pc: RTCPeerConnection) -> int:
    """Route each receiver the SSRCs the current remote description gives it.

    aiortc registers a receiver's SSRCs once, when it starts. LiveKit reuses
    a subscriber transceiver for a new track (same mid, new SSRC) when
    subscriptions change; aiortc then cannot route the new SSRC (several
    receivers share Opus' payload type, so its fallback gives up) and the
    track stays silent. After each renegotiation this points the bundle
    transport's SSRC table at the right receivers and drops SSRCs a
    receiver no longer has. Returns how many SSRCs were (re)assigned.
    Relies on ``RTCDtlsTransport._rtp_router`` (aiortc 1.16); without it,
    it does nothing and logs once.
    """
    remote = pc.remoteDescription
    if remote is None:
        return 0
    description = SessionDescription.parse(remote.sdp)
    by_mid = {media.rtp.muxId: media for media in description.media}
    changed = 0
    for transceiver in pc.getTransceivers():
        media = by_mid.get(transceiver.mid or "")
        if media is None:
            continue
        receiver = transceiver.receiver
        router = getattr(receiver.transport, "_rtp_router", None)
        if router is None:
            global _warned_no_router
            if not _warned_no_router:
                log.warning("aiortc has no RTCDtlsTransport._rtp_router: reused "
                            "transceivers may stay silent (aiortc upgrade?)")
                _warned_no_router = True
            return changed
        wanted = {ssrc.ssrc for ssrc in media.ssrc}
        table: dict[int, object] = router.ssrc_table
        for ssrc, owner in list(table.items()):
            if owner is receiver and ssrc not in wanted:
                del table[ssrc]
        for ssrc in wanted:
            if table.get(ssrc) is not receiver:
                table[ssrc] = receiver
                changed += 1
    return changed


_warned_no_router = False


class _Session:
    """One stay in one room: a WebSocket, its PCs (one or two), tracks and tasks.

    Never reused: ``LiveKitPeer`` makes a new one for each connect.
    """

    def __init__(self, peer: LiveKitPeer, url: str, token: str) -> None:
        self.peer = peer
        self.url = url.rstrip("/")
        self.token = token
        self.context = peer.label
        self.tasks = TaskSet(f"lkpeer[{peer.label}]")
        self.http: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.single = peer.options.single_pc
        self.publisher = RTCPeerConnection(ice_configuration())
        # One connection carries both directions in the single-PC mode.
        self.subscriber = self.publisher if self.single else RTCPeerConnection(ice_configuration())
        self.local_tracks: list[MediaStreamTrack] = []
        self.to_publish: list[tuple[MediaStreamTrack, rtc.AddTrackRequest]] = []
        self.received_tracks: list[MediaStreamTrack] = []
        self.hearing = Hearing(fresh_for=peer.options.fresh_for)
        self.room = ""
        self.participant_sid = ""
        self.ping_interval = 5.0
        self.offer_id = 0
        self.published: dict[str, asyncio.Future[models.TrackInfo]] = {}
        self.publisher_answer: asyncio.Future[rtc.SessionDescription] | None = None
        # Candidates that arrive before the matching remote description.
        self.pending: dict[int, list[RTCIceCandidate | None]] = {
            rtc.SignalTarget.PUBLISHER: [], rtc.SignalTarget.SUBSCRIBER: []}
        self.closed = asyncio.Event()
        self.close_reason = ""
        self._closing: asyncio.Task[None] | None = None
        self.send_lock = asyncio.Lock()
        # Server offers are applied in order by one task (see negotiate_loop).
        self.offers: asyncio.Queue[rtc.SessionDescription] = asyncio.Queue()
        self.subscriber_up = asyncio.Event()
        # Held while an answer is being made: close() waits for it, because
        # cancelling aiortc mid-gather can orphan a freshly bound UDP socket.
        self.negotiating = asyncio.Lock()
        # When each step of joining happened (monotonic seconds, first time
        # only): ``LiveKitPeer.marks``, for ``onlive bench switch --phases``.
        self.marks: dict[str, float] = {}
        # Set when what is heard or a PC's state changes: waits wake at once
        # instead of at their next poll.
        self.changed = asyncio.Event()
        self.offers_seen = 0
        self.answers_sent = 0
        self.subscriber.on("track", self._on_track)
        self.subscriber.on("connectionstatechange", self._on_subscriber_state)
        self.publisher.on("connectionstatechange", self._on_publisher_state)
        for pc, name in zip(self.pcs(), ("publisher_ice", "subscriber_ice")):
            pc.on("iceconnectionstatechange",
                  lambda pc=pc, name=name: self.mark(name)
                  if pc.iceConnectionState == "completed" else None)

    # -- signalling ---------------------------------------------------------

    async def send(self, request: rtc.SignalRequest) -> None:
        if self.ws is None or self.ws.closed:
            raise PeerDisconnected(f"{self.context}: signalling is closed, cannot send "
                                   f"{request.WhichOneof('message')}")
        async with self.send_lock:
            try:
                await self.ws.send_bytes(_encode(request))
            except (aiohttp.ClientError, ConnectionError) as error:
                raise PeerDisconnected(f"{self.context}: signalling lost while sending "
                                       f"{request.WhichOneof('message')}: {error!r}") from error

    def pcs(self) -> list[RTCPeerConnection]:
        """The session's peer connections (one in the single-PC mode)."""
        return [self.publisher] if self.single else [self.publisher, self.subscriber]

    def join_url(self) -> str:
        """The WebSocket URL that joins the room; in the single-PC mode it
        carries the first offer, and ``publisher_answer`` awaits its answer."""
        if not self.single:
            query = urlencode({"access_token": self.token, "protocol": PROTOCOL_VERSION,
                               "sdk": "python",
                               "auto_subscribe": int(self.peer.options.auto_subscribe)})
            return f"{self.url}/rtc?{query}"
        # /rtc/v1: the join is a JoinRequest carrying the first offer (see prepare_publisher).
        join = rtc.JoinRequest(
            client_info=models.ClientInfo(sdk=models.ClientInfo.SDK.PYTHON,
                                          protocol=SINGLE_PC_PROTOCOL_VERSION),
            connection_settings=rtc.ConnectionSettings(
                auto_subscribe=self.peer.options.auto_subscribe),
            publisher_offer=self.next_offer())
        wrapped = rtc.WrappedJoinRequest(join_request=join.SerializeToString())
        return f"{self.url}/rtc/v1?" + urlencode({
            "access_token": self.token,
            "join_request": base64.urlsafe_b64encode(wrapped.SerializeToString()).decode()})

    async def open(self) -> None:
        self.http = aiohttp.ClientSession()
        try:
            self.ws = await self.http.ws_connect(self.join_url(), autoping=True)
        except aiohttp.WSServerHandshakeError as error:
            raise PeerRefused(f"{self.context}: LiveKit refused the connection "
                              f"(HTTP {error.status}): check the token's room and expiry") from error
        except aiohttp.ClientError as error:
            raise PeerUnreachable(f"{self.context}: cannot reach LiveKit at {self.url}: {error}") from error
        self.mark("ws_open")
        first = await self.receive()
        self.mark("joined")
        kind = first.WhichOneof("message")
        if kind != "join":
            raise PeerProtocolError(f"{self.context}: expected a join response, got {kind}: {first}")
        join = first.join
        self.room = join.room.name
        self.participant_sid = join.participant.sid
        self.ping_interval = float(join.ping_interval or 5)
        self.context = f"{self.peer.label}@{self.room}"
        self.tasks.spawn(self.read_loop(), "read")
        self.tasks.spawn(self.ping_loop(), "ping")
        if self.single:
            self.tasks.spawn(self.apply_first_answer(), "first answer")
        else:
            self.tasks.spawn(self.negotiate_loop(), "negotiate")

    async def receive(self) -> rtc.SignalResponse:
        assert self.ws is not None
        message = await self.ws.receive()
        if message.type != aiohttp.WSMsgType.BINARY:
            raise PeerDisconnected(f"{self.context}: signalling ended ({message.type.name}, "
                                   f"{message.data!r})")
        response = rtc.SignalResponse()
        response.ParseFromString(message.data)
        return response

    async def read_loop(self) -> None:
        try:
            while True:
                response = await self.receive()
                kind = response.WhichOneof("message")
                try:
                    done = await self.handle(kind, response)
                except PeerError:
                    raise
                except Exception:
                    # One bad message must not end the session: log and go on.
                    log.exception("%s: handling %s failed", self.context, kind)
                    continue
                if done:
                    return
        except PeerError as error:
            if not self.closed.is_set():
                log.warning("%s", error)
                self.close_reason = str(error)
        finally:
            self.closed.set()
            self.changed.set()

    async def handle(self, kind: str | None, response: rtc.SignalResponse) -> bool:
        """Apply one server message; ``True`` when the server ended the session."""
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s: <- %s %s", self.context, kind,
                      str(getattr(response, kind or "join"))[:300].replace("\n", " "))
        if kind == "offer":
            self.mark("subscriber_offer" if self.offers_seen == 0 else "subscriber_offer2")
            self.offers_seen += 1
            self.offers.put_nowait(response.offer)
        elif kind == "answer":
            if self.publisher_answer is not None and not self.publisher_answer.done():
                self.mark("publisher_answer")
                self.publisher_answer.set_result(response.answer)
            else:
                log.warning("%s: unexpected publisher answer id %d", self.context,
                            response.answer.id)
        elif kind == "trickle":
            await self.add_candidate(response.trickle)
        elif kind == "media_sections_requirement":
            # Single-PC mode: LiveKit has a track for us and needs our offer
            # (with this many more receiving sections) to send it.
            wanted = response.media_sections_requirement
            self.tasks.spawn(self.renegotiate(wanted.num_audios, wanted.num_videos),
                             "media sections")
        elif kind == "track_published":
            future = self.published.get(response.track_published.cid)
            if future is not None and not future.done():
                self.mark("track_published")
                future.set_result(response.track_published.track)
        elif kind == "leave":
            reason = models.DisconnectReason.Name(response.leave.reason)
            self.close_reason = f"server asked to leave ({reason})"
            log.info("%s: %s", self.context, self.close_reason)
            return True
        return False

    async def ping_loop(self) -> None:
        while True:
            await asyncio.sleep(self.ping_interval)
            now_ms = int(time.time() * 1000)
            try:
                await self.send(rtc.SignalRequest(ping_req=rtc.Ping(timestamp=now_ms)))
            except PeerDisconnected:
                if self.closed.is_set():
                    return  # the session is ending
                raise

    # -- subscriber PC ------------------------------------------------------

    def mark(self, name: str) -> None:
        self.marks.setdefault(name, time.monotonic())

    async def wait_change(self, at_most: float) -> None:
        """Until ``changed`` is set or ``at_most`` seconds pass (clear it first)."""
        try:
            async with asyncio.timeout(at_most):
                await self.changed.wait()
        except TimeoutError:
            pass

    def _on_publisher_state(self) -> None:
        self.changed.set()
        if self.publisher.connectionState == "connected":
            self.mark("publisher_connected")

    def _on_subscriber_state(self) -> None:
        self.changed.set()
        if self.subscriber.connectionState == "connected":
            self.mark("subscriber_connected")
            self.subscriber_up.set()

    async def negotiate_loop(self) -> None:
        """Answer the server's subscriber offers, one at a time, in order.

        Only the first offer is applied before the subscriber PC is
        connected: aiortc starts a new transceiver's receiver only when its
        DTLS transport is already connected at the time the answer is set,
        and never later, so a re-offer applied mid-handshake (LiveKit sends
        one as soon as someone publishes) would leave those tracks silent
        for good. Trickled candidates are not held back: they go straight
        to the one ICE transport.
        """
        while True:
            offer = await self.offers.get()
            if self.subscriber.remoteDescription is not None:
                await self.subscriber_up.wait()
            try:
                async with self.negotiating:
                    await self.answer_subscriber(offer)
            except PeerDisconnected:
                if self.closed.is_set():
                    return  # the session is ending: the answer has nowhere to go
                raise
            except (PeerError, aiohttp.ClientError, ConnectionError):
                raise
            except Exception:
                # A bad offer must not stop later ones from being answered.
                log.exception("%s: answering subscriber offer %d failed", self.context, offer.id)

    async def answer_subscriber(self, offer: rtc.SessionDescription) -> None:
        await self.subscriber.setRemoteDescription(RTCSessionDescription(offer.sdp, "offer"))
        await self.flush(rtc.SignalTarget.SUBSCRIBER)
        answer = await self.subscriber.createAnswer()
        await self.subscriber.setLocalDescription(answer)
        follow_ssrc_changes(self.subscriber)
        local = self.subscriber.localDescription
        await self.send(rtc.SignalRequest(answer=rtc.SessionDescription(
            type="answer", sdp=local.sdp, id=offer.id)))
        self.answers_sent += 1
        self.mark("subscriber_answered" if self.answers_sent == 1 else "subscriber_answered2")

    def _on_track(self, track: MediaStreamTrack) -> None:
        self.received_tracks.append(track)
        if track.kind == "audio":
            self.mark("audio_track")
            self.tasks.spawn(self.hear(track), f"hear:{track.id}")
        else:
            self.tasks.spawn(self.drain(track), f"drain:{track.id}")

    async def hear(self, track: MediaStreamTrack) -> None:
        detector = ToneDetector.for_frequencies(self.peer.options.listen_for,
                                                every_frames=self.peer.options.detect_every_frames)
        key = f"{track.id}#{id(track)}"
        loop = asyncio.get_running_loop()
        try:
            def heard(found: frozenset[float]) -> None:
                if found:
                    self.mark("tone_detected")
                    self.changed.set()
                self.hearing.note(key, found, loop.time())

            await listen(track, detector, heard, on_first_frame=lambda: self.mark("first_frame"))
        finally:
            self.hearing.forget(key)

    @staticmethod
    async def drain(track: MediaStreamTrack) -> None:
        # aiortc queues every decoded frame until read; video is not analysed.
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return

    # -- ICE ----------------------------------------------------------------

    def pc_for(self, target: int) -> RTCPeerConnection:
        return self.publisher if target == rtc.SignalTarget.PUBLISHER else self.subscriber

    async def add_candidate(self, trickle: rtc.TrickleRequest) -> None:
        pc = self.pc_for(trickle.target)
        for candidate in parse_trickle(trickle):
            if pc.remoteDescription is None:
                self.pending[trickle.target].append(candidate)
            else:
                await pc.addIceCandidate(candidate)

    async def flush(self, target: int) -> None:
        pending, self.pending[target] = self.pending[target], []
        for candidate in pending:
            await self.pc_for(target).addIceCandidate(candidate)

    # -- publisher PC -------------------------------------------------------

    async def prepare_publisher(self) -> None:
        """Make the publisher's tracks and local offer; needs no server.

        Runs while the WebSocket opens and LiveKit answers the join: ICE
        gathering and the offer are ready by the time they can be sent.
        """
        options = self.peer.options
        if options.tone_hz is not None:
            tone = OpusToneTrack(options.tone_hz)
            self.to_publish.append((tone, rtc.AddTrackRequest(
                cid=tone.id, name="tone", type=models.TrackType.AUDIO,
                source=models.TrackSource.MICROPHONE, disable_red=True)))
        if options.video:
            video = TinyVideoTrack()
            self.to_publish.append((video, rtc.AddTrackRequest(
                cid=video.id, name="video", type=models.TrackType.VIDEO,
                source=models.TrackSource.CAMERA, width=video.WIDTH, height=video.HEIGHT)))
        if self.single:
            # As livekit-client's first offer: the data channels and receiving
            # sections for the tracks LiveKit will send; tracks are published
            # once connected (publish).
            self.local_tracks.extend(track for track, _ in self.to_publish)
            # Transceivers before the data channels: aiortc bundles a data
            # channel made first on a transport of its own, and stops the
            # shared one when LiveKit's answer bundles them all.
            self.add_receiving(INITIAL_RECEIVING_AUDIO, INITIAL_RECEIVING_VIDEO)
            self.publisher.createDataChannel("_reliable", ordered=True)
            self.publisher.createDataChannel("_lossy", ordered=False, maxRetransmits=0)
            self.mark("publish_start")
            await self.publisher.setLocalDescription(await self.publisher.createOffer())
            self.mark("offer_made")
            return
        if not self.to_publish:
            return
        for track, _ in self.to_publish:
            self.local_tracks.append(track)
            # The cid is the aiortc track id, which aiortc writes into the
            # SDP's msid: that is how LiveKit matches the two.
            self.publisher.addTransceiver(track, direction="sendonly")
        # LiveKit expects its data channels on the publisher PC.
        self.publisher.createDataChannel("_reliable", ordered=True)
        self.publisher.createDataChannel("_lossy", ordered=False, maxRetransmits=0)
        self.mark("publish_start")
        await self.publisher.setLocalDescription(await self.publisher.createOffer())
        self.mark("offer_made")

    async def publish(self) -> None:
        """Announce the prepared tracks (``AddTrackRequest``), then send the
        offer once LiveKit has accepted every one, and apply its answer."""
        if not self.to_publish:
            return
        loop = asyncio.get_running_loop()
        for track, request in self.to_publish:
            self.published[track.id] = loop.create_future()
            await self.send(rtc.SignalRequest(add_track=request))
        for track, _ in self.to_publish:
            await self.reply(self.published[track.id], "the track to be published")
        if self.single:
            # Sending sections are added once connected, as the page publishes
            # after room.connect(); aiortc starts senders only on a connected DTLS.
            await self.wait_connected()
            for track, _ in self.to_publish:
                self.publisher.addTransceiver(track, direction="sendonly")
            await self.offer("publish")
            return
        await self.send(rtc.SignalRequest(offer=self.next_offer()))
        self.mark("publisher_offered")
        await self.apply_answer()

    async def reply(self, future: asyncio.Future[T], what: str) -> T:
        """``future``'s result (set by the read loop), or ``PeerDisconnected``
        as soon as the signalling closes: a peer LiveKit removes while it
        joins fails at once instead of at ``connect_timeout``."""
        closing: asyncio.Future[Any] = asyncio.ensure_future(self.closed.wait())
        waited: set[asyncio.Future[Any]] = {future, closing}
        try:
            await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
        if future.done():
            return future.result()
        raise PeerDisconnected(f"{self.context}: signalling closed while waiting for {what}: "
                               f"{self.close_reason or 'no reason given'}")

    def next_offer(self) -> rtc.SessionDescription:
        """The publisher's local description as the next offer to send; its
        answer resolves ``publisher_answer`` (see ``apply_answer``)."""
        self.offer_id += 1
        self.publisher_answer = asyncio.get_running_loop().create_future()
        return rtc.SessionDescription(type="offer", sdp=self.publisher.localDescription.sdp,
                                      id=self.offer_id)

    async def apply_answer(self) -> None:
        """Wait for LiveKit's answer to the last offer and apply it, with the
        candidates that came first and the SSRCs it routes to receivers."""
        assert self.publisher_answer is not None
        answer = await self.reply(self.publisher_answer, "an answer")
        await self.publisher.setRemoteDescription(RTCSessionDescription(answer.sdp, "answer"))
        await self.flush(rtc.SignalTarget.PUBLISHER)
        follow_ssrc_changes(self.publisher)

    # -- single-PC negotiation ----------------------------------------------

    def add_receiving(self, audios: int, videos: int) -> None:
        for kind, count in (("audio", audios), ("video", videos)):
            for _ in range(count):
                self.publisher.addTransceiver(kind, direction="recvonly")

    async def apply_first_answer(self) -> None:
        """Apply LiveKit's answer to the offer sent with the join."""
        async with self.negotiating:
            await self.apply_answer()

    async def renegotiate(self, audios: int, videos: int) -> None:
        """Offer again with ``audios``/``videos`` more receiving sections.

        Waits until connected first: aiortc starts a transceiver's receiver
        only when its DTLS transport is connected at the time the answer is
        applied (see negotiate_loop).
        """
        await self.wait_connected()
        await self.offer("receive", audios, videos)

    async def offer(self, why: str, audios: int = 0, videos: int = 0) -> None:
        """One offer/answer round on the single PC, with ``audios``/``videos``
        more receiving sections; rounds never overlap. Marks ``{why}_offered``
        and ``{why}_answered``."""
        async with self.negotiating:
            self.add_receiving(audios, videos)
            await self.publisher.setLocalDescription(await self.publisher.createOffer())
            await self.send(rtc.SignalRequest(offer=self.next_offer()))
            self.mark(f"{why}_offered")
            await self.apply_answer()
            self.mark(f"{why}_answered")

    async def wait_connected(self) -> None:
        pcs = self.pcs() if self.single else \
            [self.subscriber] + ([self.publisher] if self.local_tracks else [])
        while True:
            self.changed.clear()
            if all(pc.connectionState == "connected" for pc in pcs):
                return
            if any(pc.connectionState in ("failed", "closed") for pc in pcs):
                raise IceFailed(f"{self.context}: ICE/DTLS failed "
                                f"(subscriber {self.subscriber.connectionState}, "
                                f"publisher {self.publisher.connectionState})")
            if self.closed.is_set():
                raise PeerDisconnected(f"{self.context}: signalling closed while connecting: "
                                       f"{self.close_reason or 'no reason given'}")
            await self.wait_change(0.1)

    # -- teardown -----------------------------------------------------------

    async def close(self, *, send_leave: bool) -> None:
        """Leave (when asked and still possible), then release everything.

        Every call returns once everything is released; the first call's
        ``send_leave`` decides. A caller cancelled meanwhile is cancelled
        after the teardown, not halfway through it (``closing.finish``): a
        move abandoned for a newer one, or a bot told to stop, must not leave
        a WebSocket, an HTTP session or a peer connection half closed.
        """
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(
                self._teardown(send_leave), name=f"lkpeer[{self.peer.label}]:close")
        await finish(self._closing)

    async def _teardown(self, send_leave: bool) -> None:
        if send_leave and self.ws is not None and not self.ws.closed:
            try:
                await asyncio.wait_for(self.send(rtc.SignalRequest(leave=rtc.LeaveRequest(
                    reason=models.DisconnectReason.CLIENT_INITIATED,
                    action=rtc.LeaveRequest.Action.DISCONNECT))), 2.0)
            except (PeerError, aiohttp.ClientError, ConnectionError, TimeoutError) as error:
                log.info("%s: could not send leave: %r", self.context, error)
        self.closed.set()
        # Let an answer in progress finish: cancelling aiortc mid-negotiation
        # can strand the UDP sockets its ICE gathering is opening.
        try:
            async with asyncio.timeout(NEGOTIATION_GRACE):
                await self.negotiating.acquire()
        except TimeoutError:
            log.warning("%s: an answer was still being made after %g s; closing anyway",
                        self.context, NEGOTIATION_GRACE)
        await self.tasks.cancel_all()
        for track in self.local_tracks:
            track.stop()
        # PCs first (they stop their own tracks), then the signalling. Each
        # step is bounded: a leave must never hang a move or a shutdown.
        for pc, what in zip(self.pcs(), ("publisher", "subscriber")):
            await close_peer_connection(pc, f"{self.context} {what}", CLOSE_STEP_TIMEOUT)
        steps: list[tuple[str, Callable[[], Awaitable[Any]]]] = []
        if self.ws is not None:
            steps.append(("WebSocket", self.ws.close))
        if self.http is not None:
            steps.append(("HTTP session", self.http.close))
        for what, step in steps:
            try:
                async with asyncio.timeout(CLOSE_STEP_TIMEOUT):
                    await step()
            except TimeoutError:
                log.warning("%s: closing the %s took over %gs; abandoning it", self.context,
                            what, CLOSE_STEP_TIMEOUT)
            except Exception as error:  # noqa: BLE001 - the HTTP session must still close
                log.warning("%s: closing the %s failed: %r", self.context, what, error)
        self.hearing.clear()


class LiveKitPeer:
    """A synthetic participant: one tone out, detections of everyone else in.

    States and errors: see the module docstring. Not thread-safe; use from
    one event loop. Typical use::

        peer = LiveKitPeer("p1", PeerOptions(tone_hz=participant_frequency(0)))
        await peer.connect(url, token)
        await peer.wait_hearing({f2, f3}, timeout=10)
        await peer.move(url, token_for_room_b)
        await peer.wait_hearing_exactly({f4}, timeout=10)
        await peer.leave()
    """

    def __init__(self, label: str, options: PeerOptions | None = None) -> None:
        self.label = label
        self.options = options or PeerOptions()
        self._state = PeerState.NEW
        self._session: _Session | None = None
        self._watch: asyncio.Task[None] | None = None
        self.history: list[PeerState] = [PeerState.NEW]

    # -- state --------------------------------------------------------------

    @property
    def state(self) -> PeerState:
        return self._state

    @property
    def room(self) -> str:
        return self._session.room if self._session else ""

    @property
    def participant_sid(self) -> str:
        return self._session.participant_sid if self._session else ""

    @property
    def close_reason(self) -> str:
        return self._session.close_reason if self._session else ""

    @property
    def marks(self) -> dict[str, float]:
        """When each step of the current session's joining first happened
        (``time.monotonic()``): ws_open, joined, track_published,
        publish_start, offer_made, publisher_offered, publisher_answer,
        subscriber_offer, subscriber_answered (and ...2 for the next offer),
        publisher_connected, subscriber_connected, connected, audio_track,
        first_frame, tone_detected. In the single-PC mode there is no
        subscriber offer: publisher_answer answers the offer sent with the
        join, and the client's later offers mark publish_offered /
        publish_answered and receive_offered / receive_answered."""
        return dict(self._session.marks) if self._session else {}

    def local_candidate_addresses(self) -> frozenset[str]:
        """The addresses of the ICE candidates this peer offered (loopback checks)."""
        if self._session is None:
            return frozenset()
        found: set[str] = set()
        for pc in self._session.pcs():
            if pc.localDescription is not None:
                description = SessionDescription.parse(pc.localDescription.sdp)
                found.update(c.ip for m in description.media for c in m.ice_candidates)
        return frozenset(found)

    def _set_state(self, new: PeerState) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise PeerStateError(f"{self.label}: cannot go from {self._state.value} to {new.value}")
        self._state = new
        self.history.append(new)

    # -- lifecycle ----------------------------------------------------------

    async def connect(self, url: str, token: str) -> None:
        """Join the room the token names, publish, and wait until media flows.

        Raises ``PeerError`` (after closing everything it opened) when the
        server refuses, or joining takes longer than ``connect_timeout``.
        """
        self._set_state(PeerState.CONNECTING)
        session = _Session(self, url, token)
        self._session = session
        try:
            async with asyncio.timeout(self.options.connect_timeout):
                if self.options.single_pc:
                    # The first offer goes with the join.
                    await session.prepare_publisher()
                    await session.open()
                else:
                    # The publisher's offer is made while LiveKit answers the join.
                    preparing = asyncio.get_running_loop().create_task(
                        session.prepare_publisher(), name=f"lkpeer[{self.label}]:prepare")
                    try:
                        await session.open()
                    except BaseException:
                        preparing.cancel()
                        await asyncio.gather(preparing, return_exceptions=True)
                        raise
                    await preparing
                await session.publish()
                await session.wait_connected()
        except BaseException as error:
            await session.close(send_leave=True)
            self._set_state(PeerState.CLOSED)
            if isinstance(error, TimeoutError):
                raise PeerTimeout(f"{session.context}: not connected after "
                                  f"{self.options.connect_timeout:g}s "
                                  f"(subscriber {session.subscriber.connectionState}, "
                                  f"publisher {session.publisher.connectionState})") from error
            raise
        session.mark("connected")
        self._set_state(PeerState.CONNECTED)
        self._watch = asyncio.get_running_loop().create_task(
            self._watch_session(session), name=f"lkpeer[{self.label}]:watch")
        log.info("%s: connected as %s", session.context, session.participant_sid)

    async def _watch_session(self, session: _Session) -> None:
        # Server leave or a lost WebSocket: release everything on our side.
        await session.closed.wait()
        if self._session is session and self._state is PeerState.CONNECTED:
            log.warning("%s: session ended: %s", session.context,
                        session.close_reason or "signalling closed")
            await session.close(send_leave=False)
            self._set_state(PeerState.CLOSED)

    async def leave(self) -> None:
        """Send leave (CLIENT_INITIATED), close both PCs, the WebSocket and all tasks.

        Idempotent; returns once everything is closed and awaited.
        """
        session, watch = self._session, self._watch
        self._watch = None
        if watch is not None and watch is not asyncio.current_task():
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)
        if session is None or self._state is not PeerState.CONNECTED:
            return
        await session.close(send_leave=True)
        self._set_state(PeerState.CLOSED)
        log.info("%s: left", session.context)

    async def move(self, url: str, token: str) -> None:
        """Leave the current room completely, then join the token's room."""
        await self.leave()
        await self.connect(url, token)

    # -- hearing ------------------------------------------------------------

    def heard_frequencies(self) -> frozenset[float]:
        """The listened-for tones detected recently (``fresh_for``) on any track."""
        if self._session is None or self._state is not PeerState.CONNECTED:
            return frozenset()
        return self._session.hearing.heard(asyncio.get_running_loop().time())

    async def wait_hearing(self, freqs: Iterable[float], timeout: float) -> float:
        """Wait until every tone in ``freqs`` is heard (others may be too).

        Returns the seconds waited; raises ``PeerError`` on timeout, naming
        what was heard instead.
        """
        wanted = frozenset(freqs)
        return await self._wait(lambda heard: wanted <= heard, wanted, "at least", timeout)

    async def wait_hearing_exactly(self, freqs: Iterable[float], timeout: float) -> float:
        """Wait until the heard tones are exactly ``freqs`` (nobody else)."""
        wanted = frozenset(freqs)
        return await self._wait(lambda heard: heard == wanted, wanted, "exactly", timeout)

    async def _wait(self, done: Any, wanted: frozenset[float], how: str, timeout: float) -> float:
        unknown = wanted - self.options.listen_for
        if unknown:
            raise PeerError(f"{self.label}: not listening for {sorted(unknown)} Hz; "
                            "add them to PeerOptions.listen_for")
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            session = self._session
            if session is not None:
                session.changed.clear()
            heard = self.heard_frequencies()
            if done(heard):
                return loop.time() - start
            if self._state is not PeerState.CONNECTED:
                raise PeerDisconnected(f"{self.label}: not connected ({self._state.value}: "
                                       f"{self.close_reason}) while waiting to hear {sorted(wanted)}")
            if loop.time() - start > timeout:
                raise NotHeard(f"{self.label}@{self.room}: expected to hear {how} "
                               f"{sorted(wanted)} Hz within {timeout:g}s, heard {sorted(heard)}")
            # A new detection wakes this at once; staleness is seen by the poll.
            if session is not None:
                await session.wait_change(0.05)
            else:
                await asyncio.sleep(0.05)
