"""Display names: cleaned, bounded, never a role's or another person's."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.names import MAX_NAME_CHARS, InvalidName, check_display_name, clean_name


def refusal(raw: str, others: tuple[str, ...] = ()) -> str:
    with pytest.raises(InvalidName) as refused:
        check_display_name(raw, others)
    return refused.value.code


def test_names_are_nfc_and_lose_control_and_invisible_characters() -> None:
    assert check_display_name("  Anna \t Lind  ", []) == "Anna Lind"
    assert check_display_name("A\u0308sa", []) == "Äsa"  # composed
    assert check_display_name("An\x00na\u200b \u202eLind\u2066", []) == "Anna Lind"
    assert check_display_name("Bo\u3164\u2800", []) == "Bo"
    assert check_display_name("Z\u0301\u0301\u0301\u0301o", []) == "\u0179\u0301\u0301o"


@pytest.mark.parametrize("raw", ["Facilitator", "facilitatorn", "FACILITATOR.", "Ops",
                                 "Handledaren", "  Admin ", "ledningen", "F\u200bacilitator",
                                 "Ｆａｃｉｌｉｔａｔｏｒ"])
def test_a_role_name_is_refused_in_either_language(raw: str) -> None:
    assert refusal(raw) == "name_reserved"


def test_another_persons_name_in_the_pass_is_refused_case_insensitively() -> None:
    assert refusal("anna lind", ("Anna Lind", "Bo")) == "name_taken"
    assert refusal("ANNA  LIND\u200b", ("Anna Lind",)) == "name_taken"
    assert check_display_name("Anna L.", ("Anna Lind",)) == "Anna L."


def test_empty_and_too_long_names_are_refused_with_their_codes() -> None:
    for raw in ("", "   ", "\u200b\u202e", "...", "\x00"):
        assert refusal(raw) == "name_empty", repr(raw)
    assert refusal("x" * (MAX_NAME_CHARS + 1)) == "name_too_long"
    assert check_display_name("x" * MAX_NAME_CHARS, []) == "x" * MAX_NAME_CHARS


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gives_a_clean_name_or_a_coded_refusal(raw: str) -> None:
    try:
        name = check_display_name(raw, ["Anna"])
    except InvalidName as refused:
        assert refused.code in ("name_empty", "name_too_long", "name_reserved", "name_taken")
        return
    assert name == clean_name(name) == unicodedata.normalize("NFC", name)
    assert name == name.strip() and "  " not in name and 0 < len(name) <= MAX_NAME_CHARS
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
                   for c in name)
