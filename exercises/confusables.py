"""Letters that look alike, folded to one prototype: the skeleton of a name (after UTS #39).

``skeleton(text)`` is what two names are compared on when the question is "could
a reader tell them apart?":

1. NFKD, so fullwidth, mathematical, ligature and other compatibility forms
   become the letters they show (``Ａ`` → ``A``, ``ﬁ`` → ``fi``), and a letter
   and its marks are folded apart;
2. letters whose look depends on their case are folded first (capital ``I``
   and the digit ``1`` look like a small ``l``, but a capital ``L`` does not;
   the digit ``0`` looks like ``o``; Cyrillic ``В`` like ``B`` while ``в`` is
   like no Latin letter), then ``rn`` → ``m`` and ``vv`` → ``w``;
3. case folding, then NFD, so a letter and its marks are compared apart;
4. every Cyrillic and Greek letter that looks like a Latin one becomes that
   Latin letter (``а`` → ``a``, ``Ι`` → ``l``, ``ο`` → ``o``);
5. only letters, digits and combining marks are kept (spaces and punctuation
   do not tell names apart).

The table covers what matters for names written in Latin, Cyrillic and Greek
(and their fullwidth forms, through NFKC); it is a small hand-written subset
of Unicode's ``confusables.txt``, each entry named by its Unicode name so
that a wrong code point cannot hide. ``script(char)`` names the script of a
letter, for the rule that one word is written in one script.

Pure: standard library only.
"""

from __future__ import annotations

import unicodedata

#: Folded before case folding: capitals that pass for a Latin letter whose small form
#: does not (or passes for another one), and what looks like a small ``l`` or ``o``.
_BEFORE_CASEFOLD = (
    ("LATIN CAPITAL LETTER I", "l"),
    # A capital L is unlike a small l (and so unlike I): it keeps a look of its own.
    ("LATIN CAPITAL LETTER L", "\u029f"),
    ("DIGIT ONE", "l"),
    ("DIGIT ZERO", "o"),
    ("VERTICAL LINE", "l"),
    ("LATIN LETTER DENTAL CLICK", "l"),
    ("CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I", "l"),
    ("CYRILLIC LETTER PALOCHKA", "l"),
    ("CYRILLIC SMALL LETTER PALOCHKA", "l"),
    ("CYRILLIC CAPITAL LETTER VE", "b"),
    ("CYRILLIC CAPITAL LETTER EN", "h"),
    ("CYRILLIC CAPITAL LETTER KA", "k"),
    ("CYRILLIC CAPITAL LETTER EM", "m"),
    ("CYRILLIC CAPITAL LETTER TE", "t"),
    ("GREEK CAPITAL LETTER BETA", "b"),
    ("GREEK CAPITAL LETTER EPSILON", "e"),
    ("GREEK CAPITAL LETTER ETA", "h"),
    ("GREEK CAPITAL LETTER IOTA", "l"),
    ("GREEK CAPITAL LETTER KAPPA", "k"),
    ("GREEK CAPITAL LETTER MU", "m"),
    ("GREEK CAPITAL LETTER NU", "n"),
    ("GREEK CAPITAL LETTER TAU", "t"),
    ("GREEK CAPITAL LETTER UPSILON", "y"),
    ("GREEK CAPITAL LETTER ZETA", "z"),
)

#: Folded after case folding and NFD: small letters that pass for a Latin one (their
#: capitals, case-folded to them, too).
_AFTER_CASEFOLD = (
    ("CYRILLIC SMALL LETTER A", "a"),
    ("CYRILLIC SMALL LETTER ES", "c"),
    ("CYRILLIC SMALL LETTER KOMI DE", "d"),
    ("CYRILLIC SMALL LETTER IE", "e"),
    ("CYRILLIC SMALL LETTER SHHA", "h"),
    ("CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I", "i"),
    ("CYRILLIC SMALL LETTER JE", "j"),
    ("CYRILLIC SMALL LETTER O", "o"),
    ("CYRILLIC SMALL LETTER ER", "p"),
    ("CYRILLIC SMALL LETTER QA", "q"),
    ("CYRILLIC SMALL LETTER DZE", "s"),
    ("CYRILLIC SMALL LETTER IZHITSA", "v"),
    ("CYRILLIC SMALL LETTER WE", "w"),
    ("CYRILLIC SMALL LETTER OMEGA", "w"),
    ("CYRILLIC SMALL LETTER HA", "x"),
    ("CYRILLIC SMALL LETTER U", "y"),
    ("CYRILLIC SMALL LETTER STRAIGHT U", "y"),
    ("GREEK SMALL LETTER ALPHA", "a"),
    ("GREEK SMALL LETTER DIGAMMA", "f"),
    ("GREEK SMALL LETTER IOTA", "i"),
    ("GREEK LETTER YOT", "j"),
    ("GREEK SMALL LETTER NU", "v"),
    ("GREEK SMALL LETTER OMICRON", "o"),
    ("GREEK SMALL LETTER RHO", "p"),
    ("GREEK SMALL LETTER UPSILON", "u"),
    ("GREEK SMALL LETTER OMEGA", "w"),
    ("GREEK SMALL LETTER CHI", "x"),
    ("GREEK SMALL LETTER GAMMA", "y"),
    ("LATIN SMALL LETTER DOTLESS I", "i"),
    ("LATIN SMALL LETTER DOTLESS J", "j"),
    ("LATIN SMALL LETTER ALPHA", "a"),
    ("LATIN SMALL LETTER SCRIPT G", "g"),
    ("LATIN SMALL LETTER IOTA", "i"),
    ("LATIN LETTER SMALL CAPITAL I", "i"),
)

#: Sequences of Latin letters that read as one letter (folded before case folding).
_SEQUENCES = (("rn", "m"), ("vv", "w"), ("VV", "W"))


def _table(pairs: tuple[tuple[str, str], ...]) -> dict[int, str]:
    return {ord(unicodedata.lookup(name)): prototype for name, prototype in pairs}


_BEFORE = _table(_BEFORE_CASEFOLD)
_AFTER = _table(_AFTER_CASEFOLD)


def skeleton(text: str) -> str:
    """The look of ``text``: equal skeletons mean a reader may not tell them apart."""
    folded = unicodedata.normalize("NFKD", text).translate(_BEFORE)
    for sequence, letter in _SEQUENCES:
        folded = folded.replace(sequence, letter)
    folded = unicodedata.normalize("NFD", folded.casefold()).translate(_AFTER)
    # Kept: letters and digits (their marks with them); a mark with no letter before it
    # once the rest is dropped still counts, so "a\u0308" and "ä" stay apart from "a".
    return "".join(c for c in folded if c.isalnum() or unicodedata.category(c).startswith("M"))


def looks(text: str) -> tuple[str, str, str]:
    """``text``'s skeleton as written, in small letters and in capitals: two names look
    alike when one of the three is equal (``Anna`` and ``Аnna``; ``anna`` and ``аnna``,
    which differ from ``Anna`` only in case; ``ΑΝΝΑ LIND`` in Greek and ``Anna Lind``).
    Compared like with like, so ``Ian`` (capital I) and ``lan`` look alike while ``Ian``
    and ``Lan`` do not."""
    text = unicodedata.normalize("NFKC", text)
    return skeleton(text), skeleton(text.casefold()), skeleton(text.upper())


#: Scripts that are written together in one word (UTS #39 "highly restrictive").
_TOGETHER = (frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
             frozenset({"LATIN", "HAN", "BOPOMOFO"}),
             frozenset({"LATIN", "HAN", "HANGUL"}))
_SCRIPT_ALIASES = {"CJK": "HAN", "IDEOGRAPHIC": "HAN"}


def script(char: str) -> str | None:
    """The script of a letter (``"LATIN"``, ``"CYRILLIC"``, ``"HAN"``…); None for what
    every script shares (digits, punctuation, marks, modifier letters)."""
    if not unicodedata.category(char).startswith("L") or unicodedata.category(char) == "Lm":
        return None
    first = unicodedata.name(char, "").split(" ", 1)[0]
    return _SCRIPT_ALIASES.get(first, first) or None


def plausible_word(word: str) -> bool:
    """Whether one word keeps to one script (or to scripts written together, as in
    Japanese): ``Аnna`` with a Cyrillic ``А`` does not."""
    scripts = {s for s in map(script, unicodedata.normalize("NFKC", word)) if s is not None}
    return len(scripts) <= 1 or any(scripts <= together for together in _TOGETHER)
