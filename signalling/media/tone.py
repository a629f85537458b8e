"""Sine tones that tell synthetic participants apart, and a detector for them.

Each synthetic participant publishes a pure tone at its own frequency, so a
receiver can tell *in memory* whom it hears: no audio is written anywhere,
and nothing about a frame outlives the analysis window it was in.

- ``participant_frequency(index)`` spreads participants over 300–3000 Hz,
  50 Hz apart. That band survives Opus at any bitrate aiortc picks, and
  whole multiples of 50 Hz fit an exact number of cycles in a 20 ms frame,
  so ``ToneTrack`` computes one frame once and repeats it.
- ``ToneTrack`` is an aiortc audio track: 48 kHz mono s16, 20 ms frames,
  paced in real time like aiortc's own ``AudioStreamTrack``.
- ``OpusToneTrack`` plays the same tone as Opus packets that aiortc's own
  encoder made once per tone: aiortc sends a track's packets as they are,
  so a publisher costs neither an encode nor an audio level per frame.
- ``ToneDetector`` takes received frames and says which candidate
  frequencies are present. It runs the Goertzel algorithm (one DFT bin per
  candidate, no FFT) on a decimated window: the left channel only, every
  6th sample (48 kHz -> 8 kHz, still above Nyquist for 3 kHz), 3 frames
  (60 ms, 480 samples, ~17 Hz resolution) out of every ``every_frames``.
  With 16 candidates a window costs ~0.6 ms of CPU in pure Python.
- ``Hearing`` is the pure "who do I hear right now" state: detections per
  received track with the time they were made; a frequency counts as heard
  while some track detected it within ``fresh_for`` seconds. Staleness,
  not track events, is what makes a peer stop hearing someone: an SFU may
  keep a transceiver and just stop sending on it.
- ``listen(track, detector, on_detect)`` is the small loop that feeds a
  received track into a detector until the track ends.

Errors: ``ToneError`` (code ``bad_tone``, also a ``ValueError``) for a
frequency, index or detector setting outside what these helpers support.
"""

from __future__ import annotations

import array
import asyncio
import fractions
import functools
import logging
import math
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiortc.codecs.opus import OpusEncoder
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame
from av.frame import Frame
from av.packet import Packet

from signalling.media.errors import ToneError

log = logging.getLogger(__name__)

SAMPLE_RATE = 48_000
FRAME_SECONDS = 0.020
FRAME_SAMPLES = int(SAMPLE_RATE * FRAME_SECONDS)  # 960
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE)

BAND_LOW_HZ = 300
BAND_HIGH_HZ = 3000
SPACING_HZ = 50
MAX_PARTICIPANTS = (BAND_HIGH_HZ - BAND_LOW_HZ) // SPACING_HZ + 1  # 55

DECIMATION = 6
ANALYSIS_RATE = SAMPLE_RATE // DECIMATION  # 8 kHz


def participant_frequency(index: int) -> float:
    """The tone frequency of participant ``index`` (0-based), in Hz.

    Distinct for every index in ``range(MAX_PARTICIPANTS)``; neighbours are
    ``SPACING_HZ`` apart, about three analysis bins, so they never blur.
    """
    if not 0 <= index < MAX_PARTICIPANTS:
        raise ToneError(f"participant index {index} is outside 0..{MAX_PARTICIPANTS - 1}; "
                        f"the {BAND_LOW_HZ}-{BAND_HIGH_HZ} Hz band holds {MAX_PARTICIPANTS} tones")
    return float(BAND_LOW_HZ + SPACING_HZ * index)


def participant_frequencies(count: int) -> list[float]:
    """The first ``count`` participant frequencies."""
    return [participant_frequency(i) for i in range(count)]


def _check_frequency(frequency_hz: float) -> int:
    whole = round(frequency_hz)
    if whole != frequency_hz or not 20 <= whole <= ANALYSIS_RATE // 2 - 1:
        raise ToneError(f"tone frequency {frequency_hz!r} Hz must be a whole number of Hz "
                        f"between 20 and {ANALYSIS_RATE // 2 - 1}")
    return whole


def _check_tone(frequency_hz: float, amplitude: float) -> int:
    """The tone's frequency as a whole number of Hz; ``ToneError`` when it or the
    amplitude is out of range."""
    whole = _check_frequency(frequency_hz)
    if not 0.0 < amplitude <= 1.0:
        raise ToneError(f"tone amplitude {amplitude!r} must be in (0, 1]")
    return whole


class _Paced:
    """Real-time pacing for a track's 20 ms frames: against the start time,
    not the previous frame, so event-loop delays do not accumulate into drift."""

    def __init__(self) -> None:
        self._start: float | None = None
        self.index = 0

    async def next(self) -> int:
        """Wait until the next frame is due; its index."""
        if self._start is None:
            self._start = time.time()
        else:
            await asyncio.sleep(max(0.0, self._start + self.index * FRAME_SECONDS - time.time()))
        index, self.index = self.index, self.index + 1
        return index


class ToneTrack(MediaStreamTrack):
    """An aiortc audio track playing a sine tone: 48 kHz mono s16, 20 ms frames.

    The samples for one phase period (at most 50 frames, i.e. one second,
    for a whole-Hz tone; exactly one frame for multiples of 50 Hz) are
    computed once; ``recv`` only copies bytes into a new frame and sleeps
    until the frame is due. ``stop()`` ends the track (aiortc semantics).
    """

    kind = "audio"

    def __init__(self, frequency_hz: float, *, amplitude: float = 0.25) -> None:
        super().__init__()
        whole = _check_tone(frequency_hz, amplitude)
        self.frequency_hz = float(whole)
        self._frames = _tone_frames(whole, amplitude)
        self._paced = _Paced()

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        index = await self._paced.next()
        return _frame(self._frames[index % len(self._frames)], index)


def _frame(pcm: bytes, index: int) -> AudioFrame:
    frame = AudioFrame(format="s16", layout="mono", samples=FRAME_SAMPLES)
    frame.planes[0].update(pcm)
    frame.pts = index * FRAME_SAMPLES
    frame.sample_rate = SAMPLE_RATE
    frame.time_base = TIME_BASE
    return frame



class OpusToneTrack(MediaStreamTrack):
    """A tone as Opus packets, encoded once per tone by aiortc's own encoder.

    aiortc's sender packs a track's ``Packet``s into RTP as they are; for a
    ``Frame`` it encodes in a worker thread and computes the RTP audio
    level in pure Python (about 0.2 ms a frame), which made twenty
    publishing participants cost one event loop most of a core. Receivers
    decode the same tone as from a ``ToneTrack``; the bitrate is a
    browser's (``OPUS_TONE_BITRATE``). Unlike a browser's, these
    packets carry no audio-level header extension (aiortc adds one only to
    frames it encodes), so the SFU sees no speaking level for them. Paced in
    real time; ``stop()`` ends it.
    """

    kind = "audio"

    def __init__(self, frequency_hz: float, *, amplitude: float = 0.25) -> None:
        super().__init__()
        whole = _check_tone(frequency_hz, amplitude)
        self.frequency_hz = float(whole)
        self._packets = _tone_packets(whole, amplitude)
        self._paced = _Paced()

    async def recv(self) -> Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        index = await self._paced.next()
        packet: Packet[Any] = Packet(self._packets[index % len(self._packets)])
        packet.pts = index * FRAME_SAMPLES
        packet.time_base = TIME_BASE
        return packet


#: Opus bitrate of an ``OpusToneTrack``: what livekit-client publishes a
#: microphone at by default (its ``music`` preset), where aiortc's encoder uses 96 kb/s.
OPUS_TONE_BITRATE = 48_000
#: Frames encoded before the packets that are kept: the encoder's start-up.
_OPUS_WARM_UP = 25
#: Packets kept and repeated: one second covers the phase period of any whole-Hz tone.
_OPUS_PERIOD = 50


@functools.lru_cache(maxsize=64)
def _tone_packets(whole_hz: int, amplitude: float) -> tuple[bytes, ...]:
    """One second of a tone through aiortc's Opus encoder, after its start-up.

    Opus frames depend a little on the ones before, so the repeat starts
    from a settled encoder; the seam where the second starts again is
    inaudible to a tone detector."""
    encoder = OpusEncoder()
    encoder.codec.bit_rate = OPUS_TONE_BITRATE  # the codec opens with the first frame
    frames = _tone_frames(whole_hz, amplitude)
    packets: list[bytes] = []
    for index in range(_OPUS_WARM_UP + _OPUS_PERIOD):
        payloads, _ = encoder.encode(_frame(frames[index % len(frames)], index))
        packets.extend(payloads)
    return tuple(packets[-_OPUS_PERIOD:])


@functools.lru_cache(maxsize=64)
def _tone_frames(whole_hz: int, amplitude: float) -> tuple[bytes, ...]:
    """One phase period of a tone as s16 frames, computed once per tone (a
    synthetic participant makes a new ``ToneTrack`` in every room it joins)."""
    # Cycles per frame is whole/50; the waveform repeats after
    # 50/gcd(whole, 50) frames.
    period_frames = 50 // math.gcd(whole_hz, 50)
    peak = amplitude * 32767
    step = 2 * math.pi * whole_hz / SAMPLE_RATE
    samples = array.array("h", (round(peak * math.sin(step * n))
                                for n in range(period_frames * FRAME_SAMPLES)))
    raw = samples.tobytes()
    size = FRAME_SAMPLES * 2
    return tuple(raw[i * size:(i + 1) * size] for i in range(period_frames))


def goertzel_power(samples: Iterable[float], frequency_hz: float, rate: float) -> float:
    """|X(f)|², the squared magnitude of one DFT bin at ``frequency_hz``."""
    coeff = 2.0 * math.cos(2.0 * math.pi * frequency_hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def present_frequencies(samples: Collection[float], rate: float, candidates: Iterable[float], *,
                        threshold: float = 0.2, min_rms: float = 100.0) -> frozenset[float]:
    """The candidates whose share of the window's energy is at least ``threshold``.

    A pure tone at exactly a candidate scores ~1.0 (its Goertzel power
    equals N/2 times the window energy); a neighbour 50 Hz away scores
    below 0.02 in a 60 ms window. Windows quieter than ``min_rms`` (s16
    units) are silence and contain nothing.
    """
    n = len(samples)
    if n == 0:
        return frozenset()
    energy = math.fsum(x * x for x in samples)
    if energy / n < min_rms * min_rms:
        return frozenset()
    scale = energy * n / 2.0
    return frozenset(f for f in candidates
                     if goertzel_power(samples, f, rate) / scale >= threshold)


@dataclass
class ToneDetector:
    """Which of ``candidates`` are present in a received audio track.

    Feed it every received frame; each ``every_frames`` frames it analyses
    the next ``window_frames`` and returns the detected set (possibly
    empty); otherwise ``feed`` returns ``None``. Frames must be s16 (packed,
    any channel count) at 48 kHz, which is what aiortc's Opus decoder gives.
    Frames are read, decimated and dropped: nothing is kept beyond one
    window of 8 kHz samples.
    """

    candidates: frozenset[float]
    window_frames: int = 3
    every_frames: int = 10
    threshold: float = 0.2
    _count: int = field(default=0, init=False)
    _window: array.array[int] = field(default_factory=lambda: array.array("h"), init=False)

    def __post_init__(self) -> None:
        for f in self.candidates:
            if not 0 < f < ANALYSIS_RATE / 2:
                raise ToneError(f"candidate {f!r} Hz is outside what an {ANALYSIS_RATE} Hz "
                                "analysis window can see")
        if not 1 <= self.window_frames <= self.every_frames:
            raise ToneError("window_frames must be between 1 and every_frames")

    @classmethod
    def for_frequencies(cls, candidates: Iterable[float], *, every_frames: int = 10,
                        threshold: float = 0.2) -> ToneDetector:
        return cls(frozenset(float(f) for f in candidates), every_frames=every_frames,
                   threshold=threshold)

    def feed(self, frame: Frame | Packet[Any]) -> frozenset[float] | None:
        position = self._count % self.every_frames
        self._count += 1
        if position >= self.window_frames:
            return None
        if not isinstance(frame, AudioFrame) or frame.format.name != "s16" \
                or frame.sample_rate != SAMPLE_RATE:
            return None
        channels = len(frame.layout.channels)
        pcm = array.array("h")
        # The plane may be larger than the frame (aiortc's Opus decoder
        # allocates for 120 ms): only the first samples*channels are audio.
        pcm.frombytes(memoryview(frame.planes[0])[:frame.samples * channels * 2])
        # Channel 0, every DECIMATION-th sample: slicing runs in C.
        self._window.extend(pcm[0::channels * DECIMATION])
        if position < self.window_frames - 1:
            return None
        window, self._window = self._window, array.array("h")
        return present_frequencies(window, ANALYSIS_RATE, self.candidates,
                                   threshold=self.threshold)


@dataclass
class Hearing:
    """Detections per received track, and what is heard at a given time.

    Pure: every method takes ``now`` (seconds, any monotonic clock).
    """

    fresh_for: float = 1.0
    _seen: dict[str, dict[float, float]] = field(default_factory=dict, init=False)

    def note(self, track_key: str, detected: Iterable[float], now: float) -> None:
        seen = self._seen.setdefault(track_key, {})
        for f in detected:
            seen[f] = now

    def forget(self, track_key: str) -> None:
        """The track ended: nothing it carried is heard any more."""
        self._seen.pop(track_key, None)

    def heard(self, now: float) -> frozenset[float]:
        return frozenset(f for seen in self._seen.values() for f, at in seen.items()
                         if now - at <= self.fresh_for)

    def clear(self) -> None:
        self._seen.clear()


async def listen(track: MediaStreamTrack, detector: ToneDetector,
                 on_detect: Callable[[frozenset[float]], None],
                 on_first_frame: Callable[[], None] | None = None) -> None:
    """Feed ``track`` into ``detector`` until the track ends.

    Keeps reading even when no analysis is due, because aiortc queues every
    decoded frame until someone takes it. Returns when the track ends;
    cancellation propagates.
    """
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        if on_first_frame is not None:
            on_first_frame()
            on_first_frame = None
        result = detector.feed(frame)
        if result is not None:
            on_detect(result)
