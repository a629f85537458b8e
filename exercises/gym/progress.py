"""A person's progress through a program: each class's status, the next class, trends.

Statuses of a class, in order of precedence::

    done      attended a session of it
    booked    enrolled in a session that has not ended
    waiting   on a session's waiting list
    missed    enrolled in a session that ended without them (choose another)
    overdue   nothing of the above, and its due date has passed
    to do     nothing of the above

The *next class* is the first class in the program's order that is not
done. A *trend* is one repeated question (the check-in's energy, a pulse
scale asked in several passes) as the person's own points over time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from exercises.gym.program import EnrolmentStatus, SessionState

__all__ = ["ClassStatus", "TrendPoint", "class_status", "next_class", "trends"]


class ClassStatus(StrEnum):
    DONE = "done"
    BOOKED = "booked"
    WAITING = "waiting"
    MISSED = "missed"
    OVERDUE = "overdue"
    TODO = "todo"


def class_status(*, attended: bool, enrolment: EnrolmentStatus | None,
                 session_state: SessionState | None, due_on: date | None,
                 today: date) -> ClassStatus:
    """The status of one class for one person (see the module's table)."""
    if attended:
        return ClassStatus.DONE
    if enrolment is EnrolmentStatus.ENROLLED:
        if session_state in (SessionState.ENDED, SessionState.CANCELLED):
            return ClassStatus.MISSED if session_state is SessionState.ENDED else _due(due_on,
                                                                                       today)
        return ClassStatus.BOOKED
    if enrolment is EnrolmentStatus.WAITING and session_state not in (SessionState.ENDED,
                                                                       SessionState.CANCELLED):
        return ClassStatus.WAITING
    return _due(due_on, today)


def _due(due_on: date | None, today: date) -> ClassStatus:
    return ClassStatus.OVERDUE if due_on is not None and due_on < today else ClassStatus.TODO


def next_class(statuses: Sequence[tuple[int, ClassStatus]]) -> int | None:
    """The first class (by the order given) that is not done; None when all are."""
    return next((key for key, status in statuses if status is not ClassStatus.DONE), None)


@dataclass(frozen=True, slots=True)
class TrendPoint:
    question: str  # e.g. "energy" or a scale step's id
    at: float
    value: float
    pass_id: str


def trends(points: Iterable[TrendPoint], *, at_least: int = 2) -> dict[str, list[TrendPoint]]:
    """Questions asked at least ``at_least`` times, each with its points oldest first."""
    grouped: dict[str, list[TrendPoint]] = defaultdict(list)
    for point in points:
        grouped[point.question].append(point)
    return {q: sorted(ps, key=lambda p: (p.at, p.pass_id)) for q, ps in sorted(grouped.items())
            if len(ps) >= at_least}
