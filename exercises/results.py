"""Live results of one step, within its visibility rules.

``aggregate`` turns the answers given so far into what the facilitator's view
shows: the check-in energy histogram and words, word-cloud counts, poll
counts, the scale histogram and the number of reflections in. It is pure and
cheap, so the service can call it again on every answer.

Visibility decides what leaves this module:

- ``private``: only how many have answered.
- ``group``: per breakout group (the group shares its answers by design),
  values without names.
- ``plenary``: values without names, to everyone in the pass, from the
  first answer: the people of a pass see and hear each other anyway, so a
  small class is no reason to hold its own answers back.
- ``leadership``: values without names once at least ``threshold`` people
  have answered; below that nothing at all, not even the count, only how
  many more answers are ``needed``.

The threshold protects what leaves the room: leadership views, and anything
aggregated across passes (the gym's dashboards apply it again there).

No identity is ever in the output: person ids are only used to keep each
person's latest answer and to sort answers into groups, and free texts are
sorted so that their order never follows the order in which people answered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from exercises.answers import FOLLOW_UP_CHOICES, validate_answer
from exercises.errors import InvalidAnswer
from exercises.script import Step, StepKind, Visibility

#: The anonymity threshold unless the organisation sets another.
DEFAULT_THRESHOLD = 5
#: Most distinct words listed in a word cloud; the rest are only counted.
MAX_WORDS_SHOWN = 50
_WORD_EDGES = ".,;:!?\"'()[]{}«»”“’‘…–-"


def aggregate(step: Step, answers: Sequence[Mapping[str, Any]], *,
              threshold: int = DEFAULT_THRESHOLD,
              groups: Sequence[Collection[str]] | None = None) -> dict[str, Any]:
    """What may be shown of ``step``'s answers so far.

    ``answers`` are ``{"person_id": ..., "answer": {...}}`` in arrival order;
    a person's later answer replaces their earlier one, and an answer that
    does not fit the step is left out. ``groups`` lists the members of each
    breakout group, for steps with group visibility.

    The result always has ``step``, ``kind``, ``visibility``, ``count`` (people
    who answered; None when suppressed for leadership) and ``suppressed``
    (then also ``threshold`` and ``needed``, the answers still missing);
    the values per kind are added only when visibility allows them:
    ``energy`` (counts for 1..5) and ``words`` for a check-in; ``words`` for a
    check-out or word cloud; ``choices`` (count per option) for a poll;
    ``histogram``, ``min``, ``max`` and ``mean`` for a scale; ``tried`` and
    ``texts`` for a follow-up; ``texts`` for a reflection or commitment. With
    group visibility they are under ``groups``, one entry per group.

    Raises ``ValueError`` for a threshold below 1.
    """
    if threshold < 1:
        raise ValueError(f"the anonymity threshold must be at least 1, got {threshold}")
    latest = _latest(step, answers)
    visibility = step.visibility
    out: dict[str, Any] = {"step": step.id, "kind": step.kind.value,
                           "visibility": visibility.value, "count": len(latest),
                           "suppressed": False}
    if not step.asks_answer or visibility is Visibility.PRIVATE:
        return out
    if visibility is Visibility.GROUP:
        per_group = []
        for i, members in enumerate(groups or ()):
            found = [latest[p] for p in sorted(members) if p in latest]
            per_group.append({"group": i, "count": len(found), **_values(step, found)})
        out["groups"] = per_group
        return out
    if visibility is Visibility.LEADERSHIP and len(latest) < threshold:
        out.update(suppressed=True, count=None, threshold=threshold,
                   needed=threshold - len(latest))
        return out
    out.update(_values(step, list(latest.values())))
    return out


def _latest(step: Step, answers: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each person's latest valid answer, by person id."""
    latest: dict[str, dict[str, Any]] = {}
    for item in answers:
        person = item.get("person_id")
        if not isinstance(person, str) or not person:
            continue
        try:
            latest[person] = validate_answer(step, item.get("answer"))
        except InvalidAnswer:
            continue  # checked on intake; a stale answer from an edited step is skipped
    return latest


def _values(step: Step, answers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    kind = step.kind
    if kind is StepKind.CHECK_IN:
        energy = Counter(a["energy"] for a in answers)
        return {"energy": [energy[v] for v in range(1, 6)],
                **_words([[a["word"]] for a in answers])}
    if kind is StepKind.CHECK_OUT:
        return _words([[a["word"]] for a in answers])
    if kind is StepKind.WORD_CLOUD:
        return _words([a["words"] for a in answers])
    if kind is StepKind.POLL:
        picked = Counter(c for a in answers for c in a["choices"])
        return {"choices": [picked[i] for i in range(len(step.options))]}
    if kind is StepKind.SCALE:
        values = Counter(a["value"] for a in answers)
        total = sum(a["value"] for a in answers)
        return {"histogram": [values[v] for v in range(step.scale_min, step.scale_max + 1)],
                "min": step.scale_min, "max": step.scale_max,
                "mean": round(total / len(answers), 2) if answers else None}
    if kind is StepKind.FOLLOW_UP:
        tried = Counter(a["tried"] for a in answers)
        return {"tried": {choice: tried[choice] for choice in FOLLOW_UP_CHOICES},
                "texts": _texts(a.get("text") for a in answers)}
    if kind in (StepKind.REFLECTION, StepKind.COMMITMENT):
        return {"texts": _texts(a["text"] for a in answers)}
    return {}


def _normal(word: str) -> str:
    return word.strip(_WORD_EDGES).casefold()


def _words(per_person: Iterable[Iterable[str]]) -> dict[str, Any]:
    """Word counts, each person counting a word at most once, most frequent first."""
    counts: Counter[str] = Counter()
    for words in per_person:
        counts.update({w for w in (_normal(word) for word in words) if w})
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {"words": [{"word": w, "count": c} for w, c in ranked[:MAX_WORDS_SHOWN]],
            "distinct_words": len(counts)}


def _texts(texts: Iterable[object]) -> list[str]:
    # Sorted, so the list never reveals who answered first (the facilitator saw that).
    return sorted(t for t in texts if isinstance(t, str) and t)
