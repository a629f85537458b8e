"""Durations as facilitators write them: ``90s``, ``3m``, ``1h``, ``1m30s``, ``1h15m``.

A bare number is refused because nobody can tell whether ``90`` means
seconds or minutes.
"""

from __future__ import annotations

import re

from exercises.errors import InvalidScript

__all__ = ["DURATION_HINT", "format_duration", "parse_duration"]

_DURATION = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")
DURATION_HINT = "expected a duration like 90s, 3m or 1h"


def parse_duration(text: str) -> float:
    """Seconds in ``90s``, ``3m``, ``1h``, ``1m30s`` or ``1h15m``.

    Units come largest first, each at most once, as whole numbers; spaces
    between parts are allowed (``1m 30s``). Raises ``InvalidScript`` with code
    ``invalid_duration`` for anything else, bare numbers included.
    """
    compact = text.strip().replace(" ", "") if isinstance(text, str) else ""
    match = _DURATION.match(compact)
    if not compact or match is None:
        raise InvalidScript(f"{DURATION_HINT}, got {text!r}", code="invalid_duration")
    h, m, s = (int(match.group(k) or 0) for k in "hms")
    return float(h * 3600 + m * 60 + s)


def format_duration(seconds: float) -> str:
    """The inverse of ``parse_duration`` for whole seconds: 150 -> ``2m30s``."""
    total = int(round(seconds))
    if total == 0:
        return "0s"
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (s, "s")) if v)
