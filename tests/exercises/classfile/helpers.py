"""Class files for the parser's tests: golden files and short texts.

Classes here ``use:`` the built-in library's exercises, so the helpers bind
its index. A golden file is read as a fixture; reading the files a user
names (size cap, encoding, directories) is the orchestrator's and is tested
in ``tests/orchestrator/test_classfiles.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from exercises import classfile, library
from exercises.classfile import ClassTemplate
from exercises.script import ClassScript

GOLDEN = Path(__file__).with_name("golden")


def parse_class(text: str, filename: str) -> ClassTemplate:
    """Classes in these tests ``use:`` the built-in library's exercises."""
    return classfile.parse_class(text, filename, library.exercise_index())


def load_class_text(text: str, filename: str, params: Mapping[str, str] = {}) -> ClassScript:
    return classfile.load_class_text(text, filename, params, exercises=library.exercise_index())


def load_class(path: Path, params: Mapping[str, str] = {}) -> ClassScript:
    """A golden class file, parameters filled."""
    return load_class_text(path.read_text(encoding="utf-8"), str(path), params)


def minimal(steps: str, header: str = "") -> str:
    return ("id: c\nversion: 1\ntitle: {sv: Titel, en: Title}\n"
            "description: {sv: Beskrivning, en: Description}\nduration: 1h\n"
            f"{header}steps:\n{steps}")
