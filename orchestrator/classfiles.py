"""Class and exercise files a user names: read from disk, checked, reported.

The domain (:mod:`exercises.classfile`) parses text and never touches the
disk. This module reads the files (size cap, UTF-8), searches directories,
compares ids across files and turns problems into the lines
``onlive class validate`` prints; the CLI does the printing. Class ``use:``
references resolve against the built-in library unless an index is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from exercises import library
from exercises.classfile import (
    MAX_FILE_BYTES,
    ClassFileError,
    Exercise,
    Problem,
    check_text,
    format_problem,
    load_class_text,
)
from exercises.script import ClassScript

__all__ = ["load_class", "report", "validate_files"]


def load_class(path: str | Path, params: Mapping[str, str] = {}, *,
               exercises: Mapping[str, Exercise] | None = None) -> ClassScript:
    """The runnable class in the file at ``path``, parameters filled.

    ``use:`` resolves against ``exercises`` (the built-in library's index when
    None). Raises ``ClassFileError`` for a file that cannot be read, is not a
    valid class or lacks a required parameter.
    """
    text = _read_text(Path(path))
    index = library.exercise_index() if exercises is None else exercises
    return load_class_text(text, str(path), params, exercises=index)


def validate_files(paths: Iterable[str | Path]) -> list[Problem]:
    """Every problem in the given class and exercise files (directories are searched).

    A file with ``steps`` is a class; one with ``kind`` or ``trains`` and no
    ``steps`` is an exercise. Class ``use:`` references resolve against the
    built-in library, as ``load_class`` does. Parameters are not required
    here: they are given when a pass is created. An empty result means every
    file is valid.
    """
    problems: list[Problem] = []
    ids: dict[tuple[str, str], str] = {}
    index: Mapping[str, Exercise] | None = None

    def exercises() -> Mapping[str, Exercise]:
        # Read once, and only when a class needs it: checking exercise files
        # alone must not depend on the library.
        nonlocal index
        if index is None:
            try:
                index = library.exercise_index()
            except ClassFileError as error:
                problems.extend(error.problems)
                index = {}
        return index

    for path in _expand(paths, problems):
        try:
            text = _read_text(path)
        except ClassFileError as error:
            problems += error.problems
            continue
        checked = check_text(text, str(path), exercises)
        problems += checked.problems
        if checked.id is None:
            continue
        seen = ids.get((checked.kind, checked.id))
        if seen is not None:
            problems.append(Problem(str(path), checked.id_line, "id", f"duplicate {checked.kind} "
                                    f"id {checked.id!r} (also in {seen})"))
        else:
            ids[(checked.kind, checked.id)] = str(path)
    return problems


def report(problems: Sequence[Problem]) -> list[str]:
    """The lines ``onlive class validate`` prints: each problem, then how many in
    how many files, or that all files are valid."""
    lines = [format_problem(p) for p in problems]
    files = len({p.file for p in problems})
    lines.append(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {files} "
                 f"file{'s' if files != 1 else ''}" if problems else "all files are valid")
    return lines


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ClassFileError([Problem(str(path), 0, "", f"file is larger than "
                                          f"{MAX_FILE_BYTES // 1024} KB; a class is a few KB")])
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ClassFileError([Problem(str(path), 0, "", f"not UTF-8 text ({error.reason} at "
                                      f"byte {error.start})")]) from error
    except OSError as error:
        raise ClassFileError([Problem(str(path), 0, "",
                                      f"cannot read the file: {error.strerror}")]) from error


def _expand(paths: Iterable[str | Path], problems: list[Problem]) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
            if not found:
                # An empty directory is a wrong path far more often than an empty library.
                problems.append(Problem(str(path), 0, "", "no .yaml or .yml files in this directory"))
            yield from found
        else:
            yield path
