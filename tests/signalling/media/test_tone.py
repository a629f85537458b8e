"""Pure tests for the tone helpers: frequency plan, track, detector, hearing."""

from __future__ import annotations

import asyncio
import itertools
from fractions import Fraction

import pytest
from aiortc.codecs.opus import OpusDecoder, OpusEncoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame
from av.packet import Packet

from signalling.media.errors import ToneError
from signalling.media.tone import (
    BAND_HIGH_HZ,
    BAND_LOW_HZ,
    FRAME_SAMPLES,
    MAX_PARTICIPANTS,
    SAMPLE_RATE,
    Hearing,
    OpusToneTrack,
    ToneDetector,
    ToneTrack,
    participant_frequencies,
    participant_frequency,
    present_frequencies,
)


def test_participant_frequencies_are_distinct_in_band_and_spaced() -> None:
    freqs = participant_frequencies(MAX_PARTICIPANTS)
    assert len(set(freqs)) == MAX_PARTICIPANTS
    assert all(BAND_LOW_HZ <= f <= BAND_HIGH_HZ for f in freqs)
    assert min(b - a for a, b in itertools.pairwise(sorted(freqs))) >= 40


@pytest.mark.parametrize("index", [-1, MAX_PARTICIPANTS])
def test_participant_index_outside_plan_is_refused(index: int) -> None:
    with pytest.raises(ToneError, match="outside"):
        participant_frequency(index)


@pytest.mark.parametrize("frequency", [440.5, 5, 5000])
def test_tone_track_refuses_unsupported_frequency(frequency: float) -> None:
    with pytest.raises(ToneError):
        ToneTrack(frequency)


async def _frames(track: ToneTrack, count: int) -> list[AudioFrame]:
    frames = [await track.recv() for _ in range(count)]
    assert all(isinstance(f, AudioFrame) for f in frames)
    return [f for f in frames if isinstance(f, AudioFrame)]


async def test_tone_track_gives_20ms_frames_at_48khz_in_real_time() -> None:
    track = ToneTrack(440)
    loop = asyncio.get_running_loop()
    start = loop.time()
    frames = await _frames(track, 6)
    elapsed = loop.time() - start
    assert [f.samples for f in frames] == [FRAME_SAMPLES] * 6
    assert {f.sample_rate for f in frames} == {SAMPLE_RATE}
    assert [f.pts for f in frames] == [i * FRAME_SAMPLES for i in range(6)]
    assert elapsed >= 0.09  # five frame intervals after the first
    track.stop()
    assert track.readyState == "ended"


async def test_detector_finds_the_tone_and_not_its_neighbours() -> None:
    freqs = participant_frequencies(8)
    detector = ToneDetector.for_frequencies(freqs, every_frames=3)
    results = [r for f in await _frames(ToneTrack(freqs[3]), 9)
               if (r := detector.feed(f)) is not None]
    assert results == [frozenset({freqs[3]})] * 3


async def test_detector_hears_a_tone_through_opus() -> None:
    freqs = participant_frequencies(16)
    target = freqs[11]
    encoder, decoder = OpusEncoder(), OpusDecoder()
    detector = ToneDetector.for_frequencies(freqs, every_frames=5)
    results = []
    for frame in await _frames(ToneTrack(target), 25):
        payloads, timestamp = encoder.encode(frame)
        for payload in payloads:
            for decoded in decoder.decode(JitterFrame(payload, timestamp)):
                if (r := detector.feed(decoded)) is not None:
                    results.append(r)
    # The first window may straddle the codec's start-up; the rest are clean.
    assert len(results) >= 4
    assert all(r == frozenset({target}) for r in results[1:])


async def test_opus_tone_track_gives_20ms_packets_in_real_time_that_decode_to_its_tone() -> None:
    freqs = participant_frequencies(20)
    target = freqs[13]
    track = OpusToneTrack(target)
    loop = asyncio.get_running_loop()
    start = loop.time()
    packets = [await track.recv() for _ in range(60)]  # longer than the repeated second
    elapsed = loop.time() - start
    assert all(isinstance(p, Packet) for p in packets)
    assert [p.pts for p in packets] == [i * FRAME_SAMPLES for i in range(60)]
    assert {p.time_base for p in packets} == {Fraction(1, SAMPLE_RATE)}
    assert elapsed >= 59 * 0.020 - 0.005
    decoder = OpusDecoder()
    detector = ToneDetector.for_frequencies(freqs, every_frames=5)
    results = [r for p in packets if isinstance(p, Packet)
               for frame in decoder.decode(JitterFrame(bytes(p), p.pts or 0))
               if (r := detector.feed(frame)) is not None]
    # Every window, the seam where the encoded second repeats included, is the tone alone.
    assert results == [frozenset({target})] * 12
    track.stop()
    with pytest.raises(MediaStreamError):
        await track.recv()


@pytest.mark.parametrize("frequency", [440.5, 5000])
def test_opus_tone_track_refuses_unsupported_frequency(frequency: float) -> None:
    with pytest.raises(ToneError):
        OpusToneTrack(frequency)


def test_silence_contains_no_tone() -> None:
    assert present_frequencies([0.0] * 480, 8000, [300.0, 350.0]) == frozenset()


def test_two_mixed_tones_are_both_present() -> None:
    import math
    window = [4000 * (math.sin(2 * math.pi * 500 * n / 8000) + math.sin(2 * math.pi * 900 * n / 8000))
              for n in range(480)]
    assert present_frequencies(window, 8000, [450.0, 500.0, 550.0, 900.0]) == {500.0, 900.0}


def test_hearing_goes_stale_and_forgets_ended_tracks() -> None:
    hearing = Hearing(fresh_for=1.0)
    hearing.note("a", {300.0}, now=10.0)
    hearing.note("b", {350.0}, now=10.5)
    history = [hearing.heard(10.6), hearing.heard(11.2)]
    hearing.forget("b")
    history.append(hearing.heard(11.2))
    assert history == [frozenset({300.0, 350.0}), frozenset({350.0}), frozenset()]
