"""Value objects of the pairing engine.

Re-exported by :mod:`breakout`; import them from there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from breakout.errors import PairingError

__all__ = [
    "REASONS",
    "Group",
    "Grouping",
    "Meeting",
    "Move",
    "Person",
    "Policy",
    "Quality",
]

# Reason codes a group may carry; the UI translates them, so they are stable.
REASONS: Mapping[str, str] = MappingProxyType(
    {
        "new-contact": "nobody in the group has met before",
        "cross-department": "every member is from a different department",
        "cross-site": "every member is from a different site",
        "repeat-avoided": "a member's earlier partner is here but in another group",
        "repeat": "two members have met before; no better grouping was found",
        "same-department": "two members share a department; no better grouping was found",
        "late-joiner": "the group took in someone who arrived late",
        "regrouped": "the group changed because someone left",
    }
)


@dataclass(frozen=True, slots=True)
class Person:
    """Someone present in the session (facilitators are never passed in)."""

    id: str
    department: str = ""
    site: str = ""
    manager_id: str | None = None
    level: int = 0

    def __post_init__(self) -> None:
        if not self.id:
            raise PairingError("a person needs a non-empty id")
        if self.manager_id == self.id:
            raise PairingError(f"person {self.id!r} cannot be their own manager")


@dataclass(frozen=True, slots=True)
class Meeting:
    """``a`` and ``b`` were in one group in pass ``pass_id`` at ``at`` (epoch
    seconds). The pair is unordered."""

    a: str
    b: str
    pass_id: str
    at: float

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise PairingError(f"a meeting needs two people, got {self.a!r} twice")


def _no_constraints() -> Mapping[str, frozenset[str]]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Policy:
    """How groups are scored.

    A pair scores ``cross_department_weight`` when both departments are
    known and differ, plus ``cross_site_weight`` likewise for sites, minus
    ``repeat_penalty`` for each earlier meeting, halved every
    ``repeat_half_life_days``. An earlier meeting whose faded penalty still
    exceeds the best contact score a pair can earn is a *live repeat*: the
    engine never forms one while a grouping without live repeats exists.
    Hard constraints: never a person with their manager or direct report
    (``avoid_hierarchy``) and never with someone on their ``not_with`` list
    (either side's list suffices). ``remainder`` decides what happens to
    people left over when groups of three do not come out even.
    """

    cross_department_weight: float = 1.0
    cross_site_weight: float = 0.5
    repeat_penalty: float = 10.0
    repeat_half_life_days: float = 90.0
    avoid_hierarchy: bool = True
    not_with: Mapping[str, frozenset[str]] = field(default_factory=_no_constraints)
    remainder: Literal["pairs", "fours"] = "pairs"

    def __post_init__(self) -> None:
        for name in ("cross_department_weight", "cross_site_weight", "repeat_penalty"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise PairingError(f"policy {name} must be a finite number >= 0, got {value!r}")
        if not self.repeat_half_life_days > 0:
            raise PairingError(
                f"policy repeat_half_life_days must be > 0 (use math.inf for no fading), "
                f"got {self.repeat_half_life_days!r}"
            )
        if self.remainder not in ("pairs", "fours"):
            raise PairingError(f"policy remainder must be 'pairs' or 'fours', got {self.remainder!r}")


@dataclass(frozen=True, slots=True)
class Group:
    """One breakout room: member ids and reason codes (see ``REASONS``)."""

    members: tuple[str, ...]
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Quality:
    """Counts over all pairs inside groups for one round.

    ``repeated_pairs`` counts pairs that met at any time before;
    ``same_department_pairs`` and ``same_site_pairs`` count pairs whose
    (known) department or site match; ``hierarchy_violations`` counts
    manager/direct-report pairs (zero unless ``avoid_hierarchy`` is off).
    """

    repeated_pairs: int
    same_department_pairs: int
    same_site_pairs: int
    hierarchy_violations: int
    pairs: int = 0
    cross_department_pairs: int = 0
    cross_site_pairs: int = 0
    score: float = 0.0


@dataclass(frozen=True, slots=True)
class Grouping:
    """The groups of one round, covering everyone present, and its quality."""

    groups: tuple[Group, ...]
    quality: Quality


@dataclass(frozen=True, slots=True)
class Move:
    """``person_id`` moves from input group ``from_group`` (``None``: was not
    in a group) to returned group ``to_group`` (``None``: leaves)."""

    person_id: str
    from_group: int | None
    to_group: int | None
