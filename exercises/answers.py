"""Validating a participant's answer against the step it answers.

``validate_answer`` returns the normalised value to store or raises
``InvalidAnswer`` with a message that says what the step expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exercises.errors import InvalidAnswer
from exercises.script import Step, StepKind

MAX_WORD_CHARS = 40
MAX_TEXT_CHARS = 2000
FOLLOW_UP_CHOICES = ("yes", "partly", "no")


def _word(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidAnswer(f"{field} must be a word (text), not {type(value).__name__}")
    word = value.strip()
    if not word or len(word) > MAX_WORD_CHARS or len(word.split()) != 1:
        raise InvalidAnswer(f"{field} must be one word of 1 to {MAX_WORD_CHARS} characters")
    return word


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidAnswer(f"{field} must be a non-empty text")
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidAnswer(f"{field} is {len(value)} characters; at most {MAX_TEXT_CHARS}")
    return value.strip()


def _int(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidAnswer(f"{field} must be a whole number from {low} to {high}, got {value!r}")
    return value


def _keys(payload: Mapping[str, Any], allowed: set[str], required: set[str]) -> None:
    unknown = set(payload) - allowed
    if unknown:
        raise InvalidAnswer(f"unknown answer field(s) {sorted(unknown)}; expected {sorted(allowed)}")
    missing = required - set(payload)
    if missing:
        raise InvalidAnswer(f"missing answer field(s) {sorted(missing)}")


def validate_answer(step: Step, payload: object) -> dict[str, Any]:
    """The normalised answer for ``step``; raises ``InvalidAnswer``."""
    if not isinstance(payload, Mapping):
        raise InvalidAnswer("an answer must be an object")
    kind = step.kind
    if kind is StepKind.CHECK_IN:
        _keys(payload, {"energy", "word"}, {"energy", "word"})
        return {"energy": _int(payload["energy"], "energy", 1, 5),
                "word": _word(payload["word"], "word")}
    if kind is StepKind.CHECK_OUT:
        _keys(payload, {"word"}, {"word"})
        return {"word": _word(payload["word"], "word")}
    if kind in (StepKind.REFLECTION, StepKind.COMMITMENT):
        _keys(payload, {"text"}, {"text"})
        return {"text": _text(payload["text"], "text")}
    if kind is StepKind.SCALE:
        _keys(payload, {"value"}, {"value"})
        return {"value": _int(payload["value"], "value", step.scale_min, step.scale_max)}
    if kind is StepKind.POLL:
        _keys(payload, {"choices"}, {"choices"})
        choices = payload["choices"]
        if not isinstance(choices, list) or not choices:
            raise InvalidAnswer("choices must be a non-empty list of option numbers")
        picked = sorted({_int(c, "choice", 0, len(step.options) - 1) for c in choices})
        if not step.multiple and len(picked) != 1:
            raise InvalidAnswer("this poll takes exactly one choice")
        return {"choices": picked}
    if kind is StepKind.WORD_CLOUD:
        _keys(payload, {"words"}, {"words"})
        words = payload["words"]
        if not isinstance(words, list) or not 1 <= len(words) <= step.max_words:
            raise InvalidAnswer(f"words must be a list of 1 to {step.max_words} words")
        return {"words": [_word(w, "word").lower() for w in words]}
    if kind is StepKind.FOLLOW_UP:
        _keys(payload, {"tried", "text"}, {"tried"})
        if payload["tried"] not in FOLLOW_UP_CHOICES:
            raise InvalidAnswer(f"tried must be one of {list(FOLLOW_UP_CHOICES)}")
        out: dict[str, Any] = {"tried": payload["tried"]}
        if "text" in payload:
            out["text"] = _text(payload["text"], "text")
        return out
    raise InvalidAnswer(f"step {step.id!r} ({kind.value}) does not take answers")
