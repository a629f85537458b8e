"""Deciding breakout groups for a pass (pure), beside the service that uses it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from breakout.rotation import rotate_groups
from exercises.state import PassState

Groups = tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]


def plan_groups(state: PassState, history: Sequence[dict[str, Any]], *, seed: int,
                now: float) -> Groups:
    """Groups for the current breakout step among the people present."""
    step = state.step
    size = step.group_size if step is not None else 2
    present = sorted(state.present)
    if len(present) < 2:
        return ()
    groups = rotate_groups(present, size, state.rounds + seed)
    return tuple((g, ()) for g in groups)


def meetings(state: PassState, at: float) -> list[dict[str, Any]]:
    """Every pair that met in the open round, for the program's pairing history."""
    b = state.breakout
    if b is None:
        return []
    out = []
    for group in b.groups:
        members = sorted(group.members)
        for i, a in enumerate(members):
            for other in members[i + 1:]:
                out.append({"a": a, "b": other, "pass": state.id, "at": at})
    return out
