"""Class files a user names: loading one, golden files and their broken twins,
directories, ids across files, the validate command and malformed files.

Pure: files on disk, no services.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exercises.classfile import MAX_FILE_BYTES, ClassFileError, format_problem
from exercises.library import LIBRARY_DIR, library_files
from orchestrator.classfiles import load_class, validate_files
from orchestrator.root.cli import run_validate
from tests.exercises.classfile.helpers import GOLDEN, parse_class

VALID = sorted(p for p in GOLDEN.glob("*.yaml") if not p.name.endswith(".broken.yaml"))
BROKEN = sorted(GOLDEN.glob("*.broken.yaml"))
EXPECT = "# expect: "


def expected_problems(path: Path) -> list[str]:
    """The ``# expect: line: field: message`` comments at the top of a broken twin."""
    return [line[len(EXPECT):] for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith(EXPECT)]


def problems_of(path: Path) -> list[str]:
    return [f"{p.line}: {p.field}: {p.message}" for p in validate_files([path])]


# --------------------------------------------------------------------------- loading one file


def test_load_class_resolves_use_against_the_built_in_library_by_default() -> None:
    script = load_class(GOLDEN / "library-use.yaml")
    assert [s.id for s in script.steps] == [
        "tune-the-frequency", "active-listening-pairs", "one-word-check-out"]


def test_load_class_resolves_use_against_the_index_it_is_given() -> None:
    with pytest.raises(ClassFileError) as caught:
        load_class(GOLDEN / "library-use.yaml", exercises={})
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (9, "steps[0].use"), (11, "steps[1].use"), (14, "steps[2].use")]


def test_load_class_refuses_a_file_over_the_size_cap_before_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ClassFileError) as caught:
        load_class(path)
    assert [format_problem(p) for p in caught.value.problems] == [
        f"{path}: file is larger than 256 KB; a class is a few KB"]


# --------------------------------------------------------------------------- golden files


def test_every_golden_file_has_a_broken_twin() -> None:
    assert [p.name.replace(".yaml", ".broken.yaml") for p in VALID] == [p.name for p in BROKEN]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_golden_file_is_valid(path: Path) -> None:
    assert problems_of(path) == []


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_twin_reports_exactly_the_expected_problems(path: Path) -> None:
    expected = expected_problems(path)
    assert expected, f"{path.name} has no '# expect:' lines"
    assert problems_of(path) == expected


def test_the_whole_library_validates() -> None:
    assert [format_problem(p) for p in validate_files(library_files())] == []
    assert [format_problem(p) for p in validate_files([LIBRARY_DIR])] == []


# --------------------------------------------------------------------------- files and directories


def test_validate_files_searches_directories_and_reports_unreadable_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.yaml").write_text("id: x\n", encoding="utf-8")
    (tmp_path / "b.yml").write_bytes(b"id: \xff\n")
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    found = [format_problem(p) for p in validate_files([tmp_path, tmp_path / "missing.yaml"])]
    assert found[0] == f"{tmp_path / 'b.yml'}: not UTF-8 text (invalid start byte at byte 4)"
    assert found[1].startswith(f"{tmp_path / 'sub' / 'a.yaml'}:1: version: missing")
    assert found[-1] == (f"{tmp_path / 'missing.yaml'}: cannot read the file: "
                         "No such file or directory")


def test_the_same_class_id_in_two_files_is_refused(tmp_path: Path) -> None:
    text = (GOLDEN / "syntax.yaml").read_text(encoding="utf-8")
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(text, encoding="utf-8")
    assert [format_problem(p) for p in validate_files([tmp_path])] == [
        f"{tmp_path / 'b.yaml'}:2: id: duplicate class id 'syntax' (also in {tmp_path / 'a.yaml'})"]


# --------------------------------------------------------------------------- the CLI


def test_validate_command_exits_zero_only_when_every_file_is_valid() -> None:
    lines: list[str] = []
    assert run_validate([str(p) for p in VALID], lines.append) == 0
    assert lines == ["all files are valid"]
    lines.clear()
    assert run_validate([str(GOLDEN / "durations.yaml"), str(GOLDEN / "poll.broken.yaml")],
                        lines.append) == 1
    assert lines == [f"{GOLDEN / 'poll.broken.yaml'}:15: steps[0].multiple: expected true or "
                     "false, got 'several'",
                     f"{GOLDEN / 'poll.broken.yaml'}:16: steps[0].options: expected 2 to 10 "
                     "options, got 1",
                     "2 problems in 1 file"]
    assert run_validate([], lines.append) == 2


def test_validate_command_refuses_an_empty_directory(tmp_path: Path) -> None:
    lines: list[str] = []
    assert run_validate([str(tmp_path)], lines.append) == 1
    assert lines[0] == f"{tmp_path}: no .yaml or .yml files in this directory"


# --------------------------------------------------------------------------- malformed files


SOURCES = sorted(library_files()) + VALID


ODD_VALUES = ["", "~", "0", "-1", "yes", "1.5", "[]", "{}", "[1, [2]]", "*a", "'", "{a: 1",
              "99999h", "{sv: x}", "{sv: '', en: ''}", "- a", "0x10", "!!binary aGVsbG8=",
              "{leadership_philosophy}", "{0}", "{a.b}"]


@st.composite
def mutated_files(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(SOURCES)).read_text(encoding="utf-8").splitlines()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1)) if lines else 0
        op = draw(st.sampled_from(["delete", "duplicate", "value", "indent", "truncate"]))
        if not lines:
            break
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "value" and ":" in lines[i]:
            lines[i] = lines[i].split(":")[0] + ": " + draw(st.sampled_from(ODD_VALUES))
        elif op == "indent":
            lines[i] = " " + lines[i]
        elif op == "truncate":
            lines = lines[:i]
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None)
@given(mutated_files())
def test_a_malformed_file_gets_problems_never_a_crash_and_a_clean_one_loads(
        tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "x.yaml"
    path.write_text(text, encoding="utf-8")
    problems = validate_files([path])
    assert all(p.file == str(path) and p.message for p in problems)
    if not problems and "steps:" in text:
        parse_class(text, str(path))
