"""Look-alike letters: the skeleton a name is compared on, and one script per word."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.confusables import looks, plausible_word, script, skeleton

#: What a reader takes for each Latin letter, written down by eye (not from the
#: table under test): Cyrillic, Greek, Latin look-alikes and digits. (Greek's lunate
#: sigma Ϲ ϲ would pass for C c, but NFKC shows it as Σ ς, which does not.)
HOMOGLYPHS = {
    "A": "АΑ", "B": "ВΒ", "C": "С", "E": "ЕΕ", "H": "НΗ", "I": "ІΙӀl1", "J": "Ј",
    "K": "КΚ", "M": "МΜ", "N": "Ν", "O": "ОΟ0", "P": "РΡ", "S": "Ѕ", "T": "ТΤ",
    "X": "ХΧ", "Y": "УΥҮ", "Z": "Ζ",
    "a": "аαɑ", "c": "с", "d": "ԁ", "e": "е", "h": "һ", "i": "іιı", "j": "ј",
    "l": "IӀ1|", "o": "оο0", "p": "рρ", "q": "ԛ", "s": "ѕ", "v": "νѵ", "w": "ԝѡ",
    "x": "хχ", "y": "уү", "m": ["rn"],
}


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.mark.parametrize("a, b", [
    ("Anna", "Аnna"), ("Anna", "Аnnа"), ("ANNA", "ΑΝΝΑ"), ("Alice", "AIice"),
    ("Ida", "lda"), ("Ola", "0la"), ("Bo Ek", "B0 Ek"), ("Bo Ek", "ΒΟ Ek"),
    ("Emma", "Ernma"), ("Facilitator", "Fасilitаtоr"), ("Anna", "Ａｎｎａ"), ("Lisa", "Ⅼisa"),
    ("Sara", "Ѕаrа"), ("Björn", "Bjӧrn"), ("Ines", "Ιnes"),
])
def test_letters_that_look_alike_give_one_skeleton(a: str, b: str) -> None:
    assert skeleton(a) == skeleton(b), (a, b)


@pytest.mark.parametrize("a, b", [
    ("Ian", "Lan"), ("Anna Lind", "Anna Lund"), ("Åsa", "Asa"), ("Eva", "Ewa"),
    ("Ida", "Ina"), ("Emil", "Emir"), ("Zoë", "Zoe"), ("Per Nilsson", "Pe Milsson"),
    ("Ali", "Alí"), ("Jan", "Jon"),
])
def test_names_a_reader_tells_apart_keep_their_own_skeletons(a: str, b: str) -> None:
    assert skeleton(a) != skeleton(b), (a, b)


def test_names_are_also_compared_in_small_letters_and_in_capitals() -> None:
    # "аnna" (Cyrillic а) differs from "Anna" only in case: the small-letter look holds it;
    # "ΑΝΝΑ LIND" (Greek) differs from "Anna Lind" only in case: the capitals' look does.
    assert looks("anna")[1] == looks("аnna")[1] == looks("Anna")[1]
    assert looks("ΑΝΝΑ LIND")[2] == looks("Anna Lind")[2]
    assert looks("Ian")[0] == looks("lan")[0]
    assert looks("Ian")[1] != looks("lan")[1] and looks("Ian")[2] != looks("lan")[2]
    assert all(a != b for a, b in zip(looks("Ian"), looks("Lan")))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=30))
def test_fullwidth_forms_look_like_the_letters_they_show(text: str) -> None:
    assert skeleton(fullwidth(text)) == skeleton(text)


@pytest.mark.parametrize("word", [
    "Anna", "O'Brien", "Łukasz", "Żółć", "Ngũgĩ", "Nguyễn", "Müller-Lüdenscheidt", "Анна",
    "Νίκος", "محمد", "שרה", "山田", "山田たろう", "タナカ太郎", "김민준", "ʻIolani", "Zoë",
    "Ｂｏ", "李ABC",
])
def test_a_word_in_one_script_or_in_scripts_written_together_is_plausible(word: str) -> None:
    assert plausible_word(word), word


@pytest.mark.parametrize("word", ["Аnna", "Σtefan", "Fасilitator", "Anнa", "Ολa", "Бob",
                                  "Анna", "Аннa"])
def test_latin_mixed_with_cyrillic_or_greek_in_one_word_is_not(word: str) -> None:
    assert not plausible_word(word), word


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäö", min_size=2, max_size=12),
       st.data())
def test_one_cyrillic_or_greek_letter_in_a_latin_word_makes_it_implausible(
        word: str, data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(word) - 1))
    foreign = data.draw(st.sampled_from([chr(c) for c in range(0x430, 0x450)]
                                        + [chr(c) for c in range(0x3B1, 0x3CA)]))
    assert not plausible_word(word[:at] + foreign + word[at + 1:])


def test_scripts_are_named_for_letters_only() -> None:
    assert [script(c) for c in "aЖλ山あア한1-\u0301ʻ"] == [
        "LATIN", "CYRILLIC", "GREEK", "HAN", "HIRAGANA", "KATAKANA", "HANGUL",
        None, None, None, None]
