"""The media errors: one root shared with the project, a distinct code each."""

from __future__ import annotations

import inspect

from exercises.errors import CodedError
from signalling.media import errors
from signalling.media.errors import EchoBusy, EchoError, MediaError, PeerError, ToneError

MEDIA_ERRORS = [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
                if issubclass(cls, MediaError)]


def test_every_media_error_is_a_coded_error_with_its_own_code() -> None:
    assert len(MEDIA_ERRORS) >= 10
    assert all(issubclass(cls, CodedError) for cls in MEDIA_ERRORS)
    codes = [cls.code for cls in MEDIA_ERRORS]
    assert len(set(codes)) == len(codes), sorted(codes)


def test_the_echo_peer_is_not_a_livekit_peer_and_a_bad_tone_is_a_bad_value() -> None:
    assert not issubclass(EchoError, PeerError)
    assert issubclass(ToneError, ValueError)


def test_busy_keeps_its_retry_after_and_says_when_to_try_again() -> None:
    busy = EchoBusy(active=4, capacity=4, retry_after=3.0)
    assert (busy.code, busy.retry_after) == ("busy", 3.0)
    assert busy.message == "the echo test is busy (4 of 4 sessions in use); try again in 3 s"
