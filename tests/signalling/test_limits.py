"""The limits' pure rules: token buckets, seats, counters and the log throttle."""

from __future__ import annotations

import logging

import pytest

from signalling.guard import EngineRefusalFilter
from signalling.limits import Buckets, Refusals, Seats, Throttle, TokenBucket


def test_a_bucket_allows_its_burst_then_its_rate() -> None:
    bucket = TokenBucket.full(rate=2, burst=3, now=0)
    assert [bucket.take(0) for _ in range(3)] == [0, 0, 0]
    assert bucket.take(0) == pytest.approx(0.5)  # one token comes every half second
    assert bucket.take(0.5) == 0
    assert bucket.take(0.5) > 0
    assert bucket.take(100) == 0 and bucket.tokens == pytest.approx(2)  # never above burst


def test_buckets_are_per_key_and_full_ones_are_forgotten() -> None:
    buckets = Buckets(rate=1, burst=1)
    assert buckets.take("a", 0) == 0 and buckets.take("a", 0) > 0
    assert buckets.take("b", 0) == 0
    buckets.sweep(0.5)
    assert len(buckets) == 2
    buckets.sweep(1.0)
    assert len(buckets) == 0
    with pytest.raises(ValueError):
        Buckets(rate=0, burst=1)


def test_seats_hold_at_most_the_limit_per_key_and_come_back_when_released() -> None:
    seats = Seats(2)
    assert seats.take("link", "s1") and seats.take("link", "s2")
    assert seats.take("link", "s1")  # the same holder again takes no second seat
    assert not seats.take("link", "s3")
    assert seats.take("other", "s3")
    seats.release("link", "s1")
    assert seats.take("link", "s3") and seats.count("link") == 2


def test_refusals_are_counted_by_code() -> None:
    refusals = Refusals()
    for code in ("rate_limited", "rate_limited", "reserved_event"):
        refusals.count(code)
    assert refusals.snapshot() == {"rate_limited": 2, "reserved_event": 1}
    assert refusals.total() == 3


def test_the_throttle_lets_a_few_lines_through_per_source_and_window() -> None:
    throttle = Throttle(per_window=2, window=10)
    assert [throttle.allow("1.2.3.4", t)[0] for t in range(5)] == [True, True, False, False,
                                                                    False]
    assert throttle.allow("5.6.7.8", 4) == (True, 0)  # another source has its own
    assert throttle.allow("1.2.3.4", 11) == (True, 3)  # a new window says what was held back


def test_engineio_first_report_of_a_bad_handshake_is_a_counted_info_line(
        caplog: pytest.LogCaptureFixture) -> None:
    refusals = Refusals()
    logger = logging.getLogger("test.engineio")
    logger.addFilter(EngineRefusalFilter(refusals))
    with caplog.at_level(logging.INFO, logger="test.engineio"):
        logger.error("The client is using an unsupported version of the Socket.IO or "
                     "Engine.IO protocols (further occurrences of this error will be "
                     "logged with level INFO)")
        logger.error("a real server error")
    first, real = caplog.records
    assert (first.levelname, first.getMessage()) == (
        "INFO", "refused (bad_handshake): The client is using an unsupported version of "
        "the Socket.IO or Engine.IO protocols")
    assert real.levelname == "ERROR"
    assert refusals.snapshot() == {"bad_handshake": 1}
