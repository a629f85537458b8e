"""Display names: cleaned, bounded, one script per word, never a role's or another
person's, nor a look-alike of one."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from exercises.names import (
    MAX_NAME_CHARS,
    REFUSALS,
    ROLE_NAMES,
    InvalidName,
    check_display_name,
    clean_name,
)
from tests.exercises.test_confusables import HOMOGLYPHS, fullwidth


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
        assert refused.code in REFUSALS
        return
    assert name == clean_name(name) == unicodedata.normalize("NFC", name) \
        == unicodedata.normalize("NFKC", name)
    assert name == name.strip() and "  " not in name and 0 < len(name) <= MAX_NAME_CHARS
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
                   for c in name)


# -- look-alike letters (UTS #39 skeletons) and mixed scripts ----------------------------

@pytest.mark.parametrize("raw, code", [
    ("Аnna Lind", "name_mixed_script"),  # Cyrillic А in a Latin word
    ("ΑΝΝΑ LIND", "name_lookalike"),  # whole Greek word: one script, but it looks like ANNA
    ("ANNA LIND", "name_taken"),
    ("KarI Berg", "name_lookalike"),  # capital I for the small l
    ("Kar1 Berg", "name_lookalike"),
    ("karl berg", "name_taken"),
    ("kаrl berg", "name_mixed_script"),
    ("КАRL BЕRG", "name_mixed_script"),
    ("Ａｎｎａ Ｌｉｎｄ", "name_taken"),  # fullwidth: the same letters once NFKC'd
    ("B0 Ek", "name_lookalike"),
    ("ΒΟ Ek", "name_lookalike"),
    ("Fасilitаtоr", "name_mixed_script"),
    ("ФАСІLІТАТОR", "name_mixed_script"),
    ("Adrnin", "name_reserved"),
    ("0ps", "name_reserved"),
    ("ΟΡS", "name_mixed_script"),
    ("ΜΟDΕRΑΤΟR", "name_mixed_script"),
    ("ОРЅ", "name_reserved"),  # Cyrillic О, Р and Ѕ: no Latin letter, yet "OPS"
    ("ΟΡЅ", "name_mixed_script"),  # Greek Ο, Ρ beside a Cyrillic Ѕ
    ("Ｆａｃｉｌｉｔａｔｏｒｎ", "name_reserved"),
])
def test_look_alike_and_mixed_script_names_are_refused(raw: str, code: str) -> None:
    assert refusal(raw, ("Anna Lind", "Bo Ek", "Karl Berg")) == code


@pytest.mark.parametrize("roster", [
    ["Anna Lind", "Anna Lund", "Ian Berg", "Lan Berg", "Åsa Ek", "Asa Ek", "Eva Holm",
     "Ewa Holm", "Ida Nord", "Ina Nord", "Emil Sjö", "Emir Sjö", "Zoë Ahl", "Zoe Ahl",
     "Jan Öberg", "Jon Öberg", "Arne Ek", "Björn Borg", "Per Nilsson", "Pe Milsson",
     "Анна Иванова", "Νίκος Παπαδόπουλος", "山田太郎", "Łukasz Żółć", "Nguyễn Văn An",
     "O'Brien", "Karl-Johan Lind", "Moa", "Li", "Lo", "Al", "Ali", "Alí"],
])
def test_a_real_roster_of_distinct_names_is_accepted_name_by_name(roster: list[str]) -> None:
    for at, name in enumerate(roster):
        assert check_display_name(name, roster[:at]) == name


def homoglyph_of(name: str, data: st.DataObject) -> str:
    """``name`` with some letters swapped for letters a reader takes for them."""
    out = []
    for char in name:
        choices = HOMOGLYPHS.get(char)
        if choices and data.draw(st.booleans()):
            out.append(data.draw(st.sampled_from(list(choices) + [fullwidth(char)])))
        else:
            out.append(char)
    return "".join(out)


NAME_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=9)


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.lists(NAME_WORD, min_size=1, max_size=3), st.booleans(), st.data())
def test_someone_elses_name_with_look_alike_letters_is_never_accepted(
        words: list[str], capitals: bool, data: st.DataObject) -> None:
    original = " ".join(w.upper() if capitals else w.capitalize() for w in words)
    twin = homoglyph_of(original, data)
    assume(twin != original)
    with pytest.raises(InvalidName) as refused:
        check_display_name(twin, ["Someone Else", original])
    assert refused.value.code in ("name_taken", "name_lookalike", "name_mixed_script",
                                  "name_reserved"), (original, twin)


@settings(max_examples=500, derandomize=True, deadline=None)
@given(st.sampled_from(sorted(ROLE_NAMES)), st.sampled_from([str.lower, str.capitalize,
                                                             str.upper]), st.data())
def test_a_role_name_with_look_alike_letters_is_never_accepted(
        role: str, case: object, data: st.DataObject) -> None:
    twin = homoglyph_of(case(role), data)  # type: ignore[operator]
    assume(twin != case(role))  # type: ignore[operator]
    assert refusal(twin) in ("name_reserved", "name_mixed_script"), twin
