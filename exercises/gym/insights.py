"""Leadership insights: which aggregates of leadership answers may be shown (k-anonymity).

A *slice* is a filter on the roster: a department, a site and a level, each
``None`` for "all". The people behind a question's answers fall into *cells*
(one department, site and level each); a slice is the union of the cells
that match it, so its people are counted exactly from the cells' counts.

Guarantees, in order of precedence (``shown``):

1. No figure or text for a slice with fewer than ``k`` distinct people.
2. Two slices with the same people are shown or hidden together (a hidden
   slice is never shown under another name, e.g. a department that is all
   in one site).
3. No two shown slices, one inside the other, differ by 1 to ``k - 1``
   people: subtracting one from the other never isolates a small group.
   The smaller one is hidden.
4. Complementary suppression: when a shown slice is split along one
   dimension (a department by site), its hidden parts together hold 0 or at
   least ``k`` people; otherwise the smallest shown part is hidden too.

The decision is made for the whole lattice of one question at once, from
counts alone, so every query sees the same decision whatever was asked
before. Hiding only ever removes slices, so the loop ends.

Summaries (``summarise``): distributions of scales, choices, energy and
follow-ups; free texts shuffled and without who, when or where; themes as
the most frequent words of every answer, Swedish and English stop words
removed (``words`` says what a word is; the system of record counts words
per cell the same way, so a slice's themes are summed, not re-read).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["FREE_TEXT_KINDS", "MAX_THEMES", "MIN_WORD", "STOP_WORDS", "Cell", "Slice", "Summary", "cells_of",
           "is_theme", "shown", "slice_counts", "summarise", "texts_of", "themes", "top_themes",
           "words"]

#: (department, site, level) of one group of people.
Cell = tuple[str, str, str]
DIMENSIONS = ("department", "site", "level")
MAX_TEXTS = 40
MAX_THEMES = 12
MIN_WORD = 3


@dataclass(frozen=True, slots=True)
class Slice:
    """A filter: each dimension a value, or None for all."""

    department: str | None = None
    site: str | None = None
    level: str | None = None

    def values(self) -> tuple[str | None, str | None, str | None]:
        return (self.department, self.site, self.level)

    def order(self) -> tuple[tuple[bool, str], ...]:
        """A sort key ("all" after every value)."""
        return tuple((v is None, v or "") for v in self.values())

    def matches(self, cell: Cell) -> bool:
        return all(v is None or v == c for v, c in zip(self.values(), cell, strict=True))

    def generalisations(self) -> Iterator[Slice]:
        """Every slice that contains this one by its filter (itself excluded)."""
        own = self.values()
        set_dims = [i for i, v in enumerate(own) if v is not None]
        for mask in range(1, 1 << len(set_dims)):
            values = list(own)
            for bit, dim in enumerate(set_dims):
                if mask & (1 << bit):
                    values[dim] = None
            yield Slice(*values)

    def refine(self, dim: int, value: str | None) -> Slice:
        values = list(self.values())
        values[dim] = value
        return Slice(*values)


def cells_of(slice_: Slice, cells: Iterable[Cell]) -> frozenset[Cell]:
    return frozenset(c for c in cells if slice_.matches(c))


def slice_counts(cells: Mapping[Cell, int]) -> dict[Slice, int]:
    """People per slice, for every slice with anyone in it (all 8 generalisations of
    each non-empty cell)."""
    return {Slice(*key): n for key, (n, _) in _lattice(cells).items()}


# Inside, a slice is a plain tuple (department, site, level), None for "all": the
# decision runs over ~1,000 slices per question and tuples hash in C.
_Key = tuple[str | None, str | None, str | None]
_MASKS = tuple((mask & 1, mask & 2, mask & 4) for mask in range(8))


def _up(key: _Key) -> list[_Key]:
    """The key and every generalisation of it."""
    return list({(None if a else key[0], None if b else key[1], None if c else key[2])
                 for a, b, c in _MASKS})


def _order(key: _Key) -> tuple[tuple[bool, str], ...]:
    return tuple((v is None, v or "") for v in key)


def _lattice(cells: Mapping[Cell, int]) -> dict[_Key, tuple[int, frozenset[Cell]]]:
    counts: dict[_Key, int] = {}
    members: dict[_Key, set[Cell]] = {}
    for cell, n in cells.items():
        if n <= 0:
            continue
        for key in _up(cell):
            counts[key] = counts.get(key, 0) + n
            members.setdefault(key, set()).add(cell)
    return {key: (n, frozenset(members[key])) for key, n in counts.items()}


def shown(cells: Mapping[Cell, int], k: int) -> frozenset[Slice]:
    """The slices whose aggregates may be shown (see the module's guarantees)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    lattice = _lattice(cells)
    counts = {key: n for key, (n, _) in lattice.items()}
    members = {key: group for key, (_, group) in lattice.items()}
    same: dict[frozenset[Cell], list[_Key]] = {}
    for key, group in members.items():
        same.setdefault(group, []).append(key)
    visible = {key for key, n in counts.items() if n >= k}
    # A slice is shown only if every slice with the same people is.
    for keys in same.values():
        if any(key not in visible for key in keys):
            visible.difference_update(keys)
    parents = {key: [p for p in _up(key) if p != key] for key in counts}
    by_parent: dict[tuple[_Key, int], list[_Key]] = {}
    for key in counts:
        for dim in range(3):
            if key[dim] is not None:
                parent = (*key[:dim], None, *key[dim + 1:])
                by_parent.setdefault((parent, dim), []).append(key)  # type: ignore[arg-type]
    order = {key: (counts[key], _order(key)) for key in counts}
    partitions = sorted(by_parent.items(), key=lambda e: (order[e[0][0]], e[0][1]))

    def hide(key: _Key) -> None:
        visible.difference_update(same[members[key]])

    changed = True
    while changed:
        changed = False
        for key in sorted(visible, key=order.__getitem__):
            if key in visible and any(p in visible and 0 < counts[p] - counts[key] < k
                                      for p in parents[key]):
                hide(key)
                changed = True
        for (parent, _dim), parts in partitions:
            if parent not in visible:
                continue
            showing = [p for p in parts if p in visible]
            hidden = counts[parent] - sum(counts[p] for p in showing)
            if 0 < hidden < k and showing:
                hide(min(showing, key=order.__getitem__))
                changed = True
    return frozenset(Slice(*key) for key in visible)


# -- what is shown of a slice -------------------------------------------------------


STOP_WORDS = frozenset("""
och att det som en på är av för med till den har de inte om ett han hon men var jag sig
från vi så kan man när år säger hade sin under eller efter skulle vid mot också där två
dem nu bara mer mycket vara blir blev där då ha hur vad vilka vilken detta denna dessa
alla andra annat något några ingen inget inga mig min mitt mina dig din ditt dina oss vår
vårt våra er ert era ni dom hans hennes deras sitt sina kunna ska skall vill även utan
här sedan ju nog väl eftersom medan genom över samt både varit vara åt upp ut in igen
mest mindre mera fler flera sådan sådant sådana får fick göra gör gjorde gjort
the and for are but not you all any can had her was one our out his has him how its who
did yes get got let too use she they them their there this that these those with from
have been were will would could should what when where which while into onto than then
some such very just also more most much many only over under again about after before
your yours mine ours myself yourself being does doing because between through during
each few other same own off once here both why whom it's i'm don't can't isn't
""".split())
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def words(text: str) -> list[str]:
    """Every word of ``text``, lower-cased (the system of record counts the same)."""
    return _WORD.findall(text.lower())


def is_theme(word: str) -> bool:
    """Whether a word may be a theme (not a stop word, not shorter than ``MIN_WORD``)."""
    return len(word) >= MIN_WORD and word not in STOP_WORDS


def top_themes(counted: Mapping[str, int], *, top: int = MAX_THEMES) -> list[tuple[str, int]]:
    """The most frequent of counted words, stop words and short words left out (ties:
    alphabetical)."""
    return sorted(((w, n) for w, n in counted.items() if n > 0 and is_theme(w)),
                  key=lambda e: (-e[1], e[0]))[:top]


def themes(texts: Iterable[str], *, top: int = MAX_THEMES) -> list[tuple[str, int]]:
    """The most frequent words of texts, stop words and short words left out (ties:
    alphabetical)."""
    return top_themes(Counter(w for text in texts for w in words(text)), top=top)


@dataclass(frozen=True, slots=True)
class Summary:
    """What the page shows of one question in one slice (never who, when or where)."""

    people: int
    distribution: Mapping[str, int] = field(default_factory=dict)  # value -> answers
    texts: tuple[str, ...] = ()  # shuffled
    themes: tuple[tuple[str, int], ...] = ()


def texts_of(value: Mapping[str, object]) -> list[str]:
    """The words and texts an answer carries (a text, a word, a list of words)."""
    found = [value[key] for key in ("text", "word") if isinstance(value.get(key), str)]
    listed = value.get("words")
    if isinstance(listed, list):
        found += [w for w in listed if isinstance(w, str)]
    return [str(t) for t in found if str(t).strip()]


#: Kinds whose texts are shown as they were written (the others only feed the themes).
FREE_TEXT_KINDS = frozenset({"reflection", "commitment", "follow-up"})


def summarise(kind: str, counts: Mapping[str, int], texts: Sequence[str],
              counted_words: Mapping[str, int], people: int, rng: random.Random) -> Summary:
    """One question in a shown slice: ``counts`` of its values (every answer), the
    newest free texts (``MAX_TEXTS`` of them shown, a random choice when there are
    more, shuffled with ``rng``) and the words of every answer, counted, for the
    themes."""
    shown_texts = list(texts) if kind in FREE_TEXT_KINDS else []
    sample = rng.sample(shown_texts, min(len(shown_texts), MAX_TEXTS))
    ordered = sorted(counts.items(), key=lambda e: (int(e[0]) if e[0].isdigit() else 99, e[0]))
    return Summary(people, dict(ordered), tuple(sample), tuple(top_themes(counted_words)))
