"""Durations: units largest first, never a bare number, at most eight hours."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exercises.classfile import ClassFileError, format_duration, parse_duration
from exercises.errors import InvalidScript
from tests.exercises.classfile.helpers import minimal, parse_class


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("3m", 180), ("1h", 3600), ("1m30s", 90), ("1h15m", 4500), ("1m 30s", 90),
    ("0s", 0), (" 2m ", 120),
])
def test_parse_duration_reads_units_largest_first(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "90", "soon", "3 min", "1.5m", "30s1m", "1m1m", "-3m",
                                  "3M", "h"])
def test_parse_duration_refuses_anything_else(text: str) -> None:
    with pytest.raises(InvalidScript) as caught:
        parse_duration(text)
    assert caught.value.code == "invalid_duration"
    assert str(caught.value) == f"expected a duration like 90s, 3m or 1h, got {text!r}"


@given(st.integers(min_value=0, max_value=8 * 3600))
def test_format_duration_reads_back_to_the_same_seconds(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_a_duration_longer_than_eight_hours_is_refused() -> None:
    with pytest.raises(ClassFileError) as caught:
        parse_class(minimal("  - {id: a, kind: input, title: {sv: A, en: A}, "
                            "prompt: {sv: A, en: A}, duration: 9h}\n"), "x.yaml")
    assert [p.message for p in caught.value.problems] == [
        "9h is longer than the longest allowed (8h)"]
