"""What is wrong with a file: one ``Problem`` per finding, all reported at once.

Each problem names the file, the line (1-based; 0 for the whole file, or
for an edit, which has no file), the field path (``steps[2].duration``,
0-based) and what was expected, so a facilitator fixes every one in a
single round instead of one per run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from exercises.errors import InvalidScript

__all__ = ["MAX_PROBLEMS", "ClassFileError", "Problem", "format_problem", "sorted_problems"]

#: Problems reported per file; past this the file is hopeless anyway.
MAX_PROBLEMS = 100


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file. ``line`` is 1-based; 0 means the whole file.

    ``message`` is English, for the command line and logs; ``code`` with
    ``params`` is what a page translates (``invalid`` when nothing more
    precise is known), so a person never reads the English message there.
    """

    file: str
    line: int
    field: str
    message: str
    code: str = "invalid"
    params: tuple[tuple[str, str | int | float], ...] = ()


def format_problem(p: Problem) -> str:
    """``file:line: field: message``, the form editors and CI logs link to."""
    where = f"{p.file}:{p.line}" if p.line else p.file
    return f"{where}: {p.field}: {p.message}" if p.field else f"{where}: {p.message}"


class ClassFileError(InvalidScript):
    """A class or exercise file (or the parameters given to it) is not valid."""

    code = "invalid_class_file"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(format_problem(p) for p in self.problems))


def sorted_problems(problems: Iterable[Problem]) -> list[Problem]:
    """By line, cut at ``MAX_PROBLEMS`` with a note of how many more there were."""
    ordered = sorted(problems, key=lambda p: p.line)
    if len(ordered) > MAX_PROBLEMS:
        extra = len(ordered) - MAX_PROBLEMS
        ordered = ordered[:MAX_PROBLEMS] + [Problem(ordered[0].file, 0, "",
                                                    f"{extra} more problems not shown",
                                                    "more_problems", (("count", extra),))]
    return ordered
