"""Refusals of the gym's domain: rosters, programs and sessions.

Hierarchy (under ``exercises.errors.DomainError``)::

    GymError              code "gym_error"
    ├── RosterError       code "invalid_roster": carries every problem of one file
    ├── InvalidProgram    code "invalid_program": a program or its classes
    │   └── ClassInUse    code "class_in_use": classes that cannot be removed, and why
    ├── InvalidSession    code "invalid_session": a scheduled session
    └── EnrolmentRefused  code "enrolment_refused": choosing, switching or cancelling a place
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from exercises.errors import DomainError

__all__ = ["ClassInUse", "ClassUse", "EnrolmentRefused", "GymError", "InvalidProgram",
           "InvalidSession", "RosterError", "RosterProblem"]


class GymError(DomainError):
    code = "gym_error"


@dataclass(frozen=True, slots=True, order=True)
class RosterProblem:
    """One problem in a roster file, printed as ``file:line: column: problem``.

    ``line`` is the file's physical line (1 is the header); ``column`` names
    the CSV column, or ``header``, ``row`` or ``encoding`` for problems that
    belong to no single cell.
    """

    file: str
    line: int
    column: str
    problem: str
    # For pages that translate: a stable code and its values (``admin.roster.CODE``).
    code: str = field(default="invalid", compare=False)
    params: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.problem}"


class RosterError(GymError):
    """A roster file with problems; nothing of it was imported."""

    code = "invalid_roster"

    def __init__(self, problems: Sequence[RosterProblem]) -> None:
        self.problems = tuple(sorted(problems))
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the roster; "
                         "nothing was imported:\n" + "\n".join(str(p) for p in self.problems))


class InvalidProgram(GymError):
    code = "invalid_program"


@dataclass(frozen=True, slots=True)
class ClassUse:
    """Why one class of a program cannot be removed: its sessions were held
    (``class_held``: their attendance, answers and journals stay), or ``count`` people
    hold, wait for or were invited to a place in one (``class_has_people``)."""

    program_class_id: int
    position: int
    code: str
    count: int

    def __str__(self) -> str:
        what = ("of its sessions were held; it stays, with their history"
                if self.code == "class_held" else
                "people hold, wait for or were invited to a place in it; it stays")
        return f"class {self.position}: {self.count} {what}"


class ClassInUse(InvalidProgram):
    """Classes a program cannot drop (``uses``, one per class); nothing was changed."""

    code = "class_in_use"

    def __init__(self, uses: Sequence[ClassUse]) -> None:
        self.uses = tuple(uses)
        super().__init__("; ".join(str(u) for u in self.uses))


class InvalidSession(GymError):
    code = "invalid_session"


class EnrolmentRefused(GymError):
    """A place cannot be taken, switched or given up; the code names why."""

    code = "enrolment_refused"
