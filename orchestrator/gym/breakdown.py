"""One class of a program by department, site and level: what the dashboard shows when
the admin opens the class.

``class_breakdown`` is pure. Places and attendance are counted per value of each
dimension, for the class (its audience: how many of them hold a place, wait, came) and
for each of its sessions (places, the waiting list, who came, who was expected and
never came). These are the admin's own follow-up figures, shown as counted: the admin
page names everyone who has not done a class anyway.

The pulse (the check-in's energy and scales, averaged) comes from answers, so it is
k-safe like the leadership insights (``exercises.gym.insights.shown`` over the
question's cells, with the program's k): the class's average only with at least k
people, and a department's, site's or level's only when that slice may be shown, so
no average is of fewer than k people and no two of them subtract into a smaller group.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from exercises.gym import insights as rules
from exercises.gym.insights import Cell, Slice
from exercises.text import Text
from orchestrator.gym.reports import BreakdownFacts, PlaceCounts, PulseCell

__all__ = ["ClassBreakdown", "Decisions", "GroupCounts", "PulseByGroup", "PulseGroup",
           "class_breakdown"]

DIMENSIONS = ("department", "site", "level")
MEMO = 256

Decide = Callable[[Mapping[Cell, int], int], frozenset[Slice]]


class Decisions:
    """``exercises.gym.insights.shown`` memoised by its inputs (people per cell, k): the
    same counts always give the same decision, and a class's counts change only when
    one of its passes is archived. The newest ``size`` decisions are kept."""

    def __init__(self, size: int = MEMO) -> None:
        self.size = size
        self._kept: OrderedDict[tuple[frozenset[tuple[Cell, int]], int],
                                frozenset[Slice]] = OrderedDict()

    def __call__(self, cells: Mapping[Cell, int], k: int) -> frozenset[Slice]:
        key = (frozenset(cells.items()), k)
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        decided = self._kept[key] = rules.shown(cells, k)
        if len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return decided


@dataclass(frozen=True, slots=True)
class GroupCounts:
    value: str
    audience: int
    enrolled: int
    waiting: int
    attended: int
    missing: int


@dataclass(frozen=True, slots=True)
class PulseGroup:
    value: str
    people: int | None  # None: hidden (fewer than k, or it would single out fewer)
    mean: float | None


@dataclass(frozen=True, slots=True)
class PulseByGroup:
    question: str  # "energy" or a scale step's id
    title: Text | None  # a scale's words (None: energy, or no version has it)
    people: int | None  # the whole class (None below k)
    mean: float | None
    groups: Mapping[str, tuple[PulseGroup, ...]]


@dataclass(frozen=True, slots=True)
class ClassBreakdown:
    program_class_id: int
    anonymity_k: int
    groups: Mapping[str, tuple[GroupCounts, ...]]  # the class's audience, per dimension
    sessions: tuple[tuple[str, Mapping[str, tuple[GroupCounts, ...]]], ...]  # by pass id
    pulse: tuple[PulseByGroup, ...]


def by_dimension(cells: Iterable[PlaceCounts]) -> dict[str, tuple[GroupCounts, ...]]:
    """The cells' counts summed per value of each dimension (values in order)."""
    cells = list(cells)
    out: dict[str, tuple[GroupCounts, ...]] = {}
    for dim, name in enumerate(DIMENSIONS):
        sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        for c in cells:
            line = sums[c.cell[dim]]
            for i, n in enumerate((c.audience, c.enrolled, c.waiting, c.attended, c.missing)):
                line[i] += n
        out[name] = tuple(GroupCounts(v, *n) for v, n in sorted(sums.items()))
    return out


def _pulse(question: str, cells: list[PulseCell], k: int, title: Text | None,
           decide: Decide) -> PulseByGroup:
    people: dict[Cell, int] = defaultdict(int)
    for c in cells:
        people[c.cell] += c.people
    visible = decide(people, k)

    def summary(slice_: Slice) -> tuple[int | None, float | None]:
        if slice_ not in visible:
            return None, None
        inside = [c for c in cells if slice_.matches(c.cell)]
        valued = sum(c.valued for c in inside)
        mean = round(sum(c.total for c in inside) / valued, 2) if valued else None
        return sum(c.people for c in inside), mean

    groups: dict[str, tuple[PulseGroup, ...]] = {}
    for dim, name in enumerate(DIMENSIONS):
        values = sorted({c.cell[dim] for c in cells})
        groups[name] = tuple(PulseGroup(v, *summary(Slice().refine(dim, v))) for v in values)
    return PulseByGroup(question, title, *summary(Slice()), groups)


def class_breakdown(facts: BreakdownFacts, titles: Mapping[str, Text] = {},
                    decide: Decide = rules.shown) -> ClassBreakdown:
    """What the dashboard shows of one class by department, site and level (see the
    module); ``titles`` words the pulse's scale questions, ``decide`` is the k-rule."""
    k = facts.program.anonymity_k
    questions: dict[str, list[PulseCell]] = defaultdict(list)
    for c in facts.pulse:
        questions[c.question].append(c)
    return ClassBreakdown(
        facts.program_class_id, k, by_dimension(facts.audience),
        tuple((pass_id, by_dimension(cells)) for pass_id, cells in facts.sessions),
        tuple(_pulse(q, cells, k, titles.get(q), decide)
              for q, cells in sorted(questions.items())))
