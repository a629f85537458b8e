"""Display names a participant chooses: cleaned, bounded and never someone else's.

``check_display_name(raw, others)`` is the one rule, applied in this order:

1. Unicode NFKC (as the PRECIS nickname profile, RFC 8266: fullwidth,
   mathematical and ligature letters become the letters they show; the
   result is NFC too), then every control, format (zero-width, bidi override),
   surrogate, private-use, unassigned and line/paragraph separator character
   is removed, as are the invisible fillers that render as blank; runs of
   white space become one space; more than ``MAX_MARKS`` combining marks on
   one letter are cut.
2. What is left has at least one letter or digit (``InvalidName``
   ``name_empty``) and at most ``MAX_NAME_CHARS`` characters
   (``name_too_long``).
3. Each word keeps to one script, or to scripts written together as in
   Japanese (``name_mixed_script``): ``Аnna`` with a Cyrillic ``А`` is
   refused, ``Анна Lind`` and ``山田たろう`` are not.
4. It is not a role's name in either language, compared case-insensitively
   on letters and digits only, nor looks like one (``exercises.confusables``:
   ``Fаcilitator`` with a Cyrillic ``а``, ``Adrnin``, ``0ps``)
   (``name_reserved``): nobody can appear as "Facilitator" or "Ops".
5. It is not another person's name in the same pass, compared the same way
   (``name_taken``),
6. nor looks like it (``name_lookalike``): ``Anna Lind`` is not available as
   ``ΑΝΝΑ`` beside ``ANNA``, ``AnnaIind`` with a capital I, or ``B0 Ek`` beside
   ``Bo Ek``.

Pure: no I/O; the application passes the other names in.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from exercises.confusables import looks, plausible_word
from exercises.errors import DomainError

MAX_NAME_CHARS = 60
MAX_MARKS = 2
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
#: Characters of visible categories that render as nothing (fillers, blank patterns).
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u034f")
#: Role names in Swedish and English, as ``name_key`` spells them.
ROLE_NAMES = frozenset({
    "facilitator", "facilitatorn", "facilitatorer", "facilitatorerna", "handledare",
    "handledaren", "kursledare", "kursledaren", "moderator", "moderatorn", "host", "värd",
    "värden", "ops", "drift", "driften", "admin", "administratör", "administratören",
    "administrator", "ledning", "ledningen", "leadership", "system", "onlive", "support",
    "organiser", "organizer", "arrangör", "arrangören", "staff", "personal", "personalen",
    "administratorn", "moderatorer", "trainer", "tränare", "tränaren", "coach", "coachen",
    "operations", "admins",
})
#: Every refusal code ``check_display_name`` can give, in the order it checks.
REFUSALS = ("name_empty", "name_too_long", "name_mixed_script", "name_reserved",
            "name_taken", "name_lookalike")
#: How role names look, written as they are, Capitalised or in CAPITALS.
_ROLE_LOOKS = frozenset(look for role in ROLE_NAMES
                        for written in (role, role.capitalize(), role.upper())
                        for look in looks(written))


class InvalidName(DomainError):
    """A display name that cannot be used; ``code`` says why."""

    code = "invalid_name"


def clean_name(raw: str) -> str:
    """``raw`` normalised and stripped of invisible characters (rule 1; never refuses)."""
    out: list[str] = []
    marks = 0
    for char in unicodedata.normalize("NFKC", raw):
        category = unicodedata.category(char)
        if category in _REMOVED_CATEGORIES or char in _INVISIBLE:
            continue
        if category.startswith("M"):
            marks += 1
            if marks > MAX_MARKS:
                continue
        else:
            marks = 0
        out.append(" " if category == "Zs" or char.isspace() else char)
    # Again: a removed character may have kept a letter and its mark apart.
    return " ".join(unicodedata.normalize("NFKC", "".join(out)).split())


def name_key(name: str) -> str:
    """What two names are compared on: case-folded letters and digits, compatibility-mapped."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(c for c in unicodedata.normalize("NFKC", folded) if c.isalnum())


@lru_cache(maxsize=8192)
def _compared(name: str) -> tuple[str, tuple[str, str, str]]:
    # A pass checks one name against all the others, so theirs are remembered.
    return name_key(name), looks(name)


def check_display_name(raw: str, others: Iterable[str]) -> str:
    """The name to show for ``raw`` (rules 1-6); ``InvalidName`` with its code otherwise."""
    name = clean_name(raw)
    key = name_key(name)
    if not key:
        raise InvalidName("a name needs at least one letter or digit", code="name_empty")
    if len(name) > MAX_NAME_CHARS:
        raise InvalidName(f"a name can have at most {MAX_NAME_CHARS} characters, not "
                          f"{len(name)}", code="name_too_long")
    if not all(plausible_word(word) for word in name.split()):
        raise InvalidName(f"{name!r} mixes alphabets within one word; write each word in "
                          "one alphabet", code="name_mixed_script")
    _, look = _compared(name)
    if key in ROLE_NAMES or not _ROLE_LOOKS.isdisjoint(look):
        raise InvalidName(f"{name!r} is, or looks like, the name of a role; choose your own "
                          "name", code="name_reserved")
    compared = [_compared(other) for other in others]
    if any(other_key == key for other_key, _ in compared):
        raise InvalidName(f"someone in this pass is already called {name!r}; add an initial "
                          "or choose another name", code="name_taken")
    if any(a == b for _, other_look in compared for a, b in zip(look, other_look)):
        raise InvalidName(f"{name!r} looks like the name of someone in this pass; add an "
                          "initial or choose another name", code="name_lookalike")
    return name
