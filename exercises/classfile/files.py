"""Class and exercise files on disk: loading one, validating many, the validate command."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import yaml

from exercises.classfile.exercise import Exercise, read_exercise
from exercises.classfile.limits import MAX_FILE_BYTES
from exercises.classfile.problems import ClassFileError, Problem, format_problem, sorted_problems
from exercises.classfile.reader import Reader, compose, line_of
from exercises.classfile.template import _builtin_exercises, load_class_text, read_class
from exercises.script import ClassScript

__all__ = ["load_class", "run_validate", "validate_files"]


def load_class(path: str | Path, params: Mapping[str, str] = {}, *,
               exercises: Mapping[str, Exercise] | None = None) -> ClassScript:
    """The runnable class in the file at ``path``; raises ``ClassFileError``."""
    return load_class_text(_read_text(Path(path)), str(path), params, exercises=exercises)


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


def _is_exercise(root: yaml.Node) -> bool:
    """An exercise file is one step; a class file has steps (or is neither)."""
    if not isinstance(root, yaml.MappingNode):
        return False
    keys = {k.value for k, _ in root.value if isinstance(k, yaml.ScalarNode)}
    return "steps" not in keys and bool(keys & {"kind", "trains"})


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
    library: Mapping[str, Exercise] | None = None
    for path in _expand(paths, problems):
        try:
            text = _read_text(path)
        except ClassFileError as error:
            problems += error.problems
            continue
        r = Reader(str(path))
        root = compose(r, text)
        found: str | None = None
        what = "class"
        if root is not None and _is_exercise(root):
            what = "exercise"
            exercise = read_exercise(r, root)
            found = exercise.id if exercise is not None else None
        elif root is not None:
            if library is None:
                try:
                    library = _builtin_exercises()
                except ClassFileError as error:
                    problems += error.problems
                    library = {}
            template = read_class(r, root, library)
            found = template.script.id if template is not None else None
        if found is not None and (what, found) in ids:
            r.add(_id_line(root), "id", f"duplicate {what} id {found!r} (also in "
                  f"{ids[(what, found)]})")
        elif found is not None:
            ids[(what, found)] = str(path)
        problems += sorted_problems(r.problems)
    return problems


def run_validate(paths: Sequence[str | Path], write: Callable[[str], None]) -> int:
    """``onlive class validate FILE…``: write every problem, return the exit status.

    0 only when every file (directories are searched) is valid; 1 when any
    problem was found; 2 when no path was given.
    """
    if not paths:
        write("usage: onlive class validate FILE_OR_DIRECTORY...")
        return 2
    problems = validate_files(paths)
    for problem in problems:
        write(format_problem(problem))
    files = len({p.file for p in problems})
    write(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {files} "
          f"file{'s' if files != 1 else ''}" if problems else "all files are valid")
    return 1 if problems else 0


def _id_line(root: yaml.Node | None) -> int:
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "id":
                return line_of(value)
    return 0
