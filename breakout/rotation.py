"""A simple, deterministic grouping: pairs, and one trio for an odd count.

This is the fallback used until the pairing engine decides; it rotates the
order by round so that consecutive rounds differ.
"""

from __future__ import annotations

from collections.abc import Sequence


def rotate_groups(person_ids: Sequence[str], size: int, round_no: int) -> tuple[tuple[str, ...], ...]:
    """Groups of ``size`` (2-4); leftovers join the last groups, never alone."""
    if size not in (2, 3, 4):
        raise ValueError(f"group size must be 2, 3 or 4, not {size}")
    ids = sorted(person_ids)
    if len(ids) < 2:
        raise ValueError(f"at least two people are needed for groups, {len(ids)} present")
    shift = round_no % len(ids)
    ids = ids[shift:] + ids[:shift]
    count = max(1, len(ids) // size)
    groups = [ids[i * size:(i + 1) * size] for i in range(count)]
    for i, person in enumerate(ids[count * size:]):
        groups[-1 - (i % count)].append(person)
    return tuple(tuple(g) for g in groups)
