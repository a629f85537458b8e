"""LiveKit room names, derived from (pass, round, group) by pure functions.

Names are ASCII, at most 63 characters, and carry no personal data: the SFU
and its logs only ever see pass ids and counters.
"""

from __future__ import annotations

import re

PREFIX = "onlive"
_ROOM = re.compile(rf"^{PREFIX}_(?P<pass>[A-Za-z0-9-]+)_(?P<rest>main|r\d+_g\d+(?:_v\d+)?)$")
_BREAKOUT = re.compile(r"_r(?P<round>\d+)_g(?P<group>\d+)(?:_v(?P<generation>\d+))?$")


def main_room(pass_id: str) -> str:
    return f"{PREFIX}_{pass_id}_main"


def breakout_room(pass_id: str, round_no: int, group_no: int, generation: int = 0) -> str:
    """The room of one group; a new generation when the group's size changes.

    LiveKit cannot change a room's ``max_participants`` after creation, so a
    group that grows (a late joiner, a manual move) gets a fresh room.
    """
    base = f"{PREFIX}_{pass_id}_r{round_no}_g{group_no}"
    return base if generation == 0 else f"{base}_v{generation}"


def pass_of_room(room: str) -> str | None:
    """The pass id a room belongs to, or None for a room that is not ours."""
    match = _ROOM.match(room)
    return match.group("pass") if match else None


def is_breakout_room(room: str) -> bool:
    match = _ROOM.match(room)
    return bool(match) and match.group("rest") != "main"  # type: ignore[union-attr]


def breakout_parts(room: str) -> tuple[int, int, int] | None:
    """``(round, group, generation)`` of a breakout room's name, or None."""
    match = _BREAKOUT.search(room)
    if match is None:
        return None
    return int(match["round"]), int(match["group"]), int(match["generation"] or 0)
