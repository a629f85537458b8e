"""The bot side of the echo test: offer a tone, hear it come back, ask the verdict.

Tests and synthetic checks use ``EchoClient`` to exercise the echo peer
(``signalling.media.echo``) the way a browser does, whether in-process
(through ``EchoPool.open``) or over Socket.IO (``echo_offer``).

Errors: ``EchoTimeout`` when the echoed tone is not heard in time;
``EchoError`` for a report asked of a client built without a way to fetch
one; whatever ``send_offer`` / ``fetch_report`` raise passes through.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack

from orchestrator.taskset import TaskSet
from signalling.media.closing import close_peer_connection
from signalling.media.errors import EchoError, EchoTimeout
from signalling.media.ice import ice_configuration
from signalling.media.tone import Hearing, ToneDetector, ToneTrack, listen, participant_frequency
from signalling.media.verdict import EchoReport


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
        """Seconds until the echoed tone is detected; ``EchoTimeout`` on timeout."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        while not self.hears_own_tone():
            if loop.time() - start > timeout:
                raise EchoTimeout(f"the echoed {self.tone_hz:g} Hz tone was not heard "
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
            await close_peer_connection(self._pc, "echo client")
