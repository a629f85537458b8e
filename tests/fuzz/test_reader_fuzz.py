"""The class-file and roster readers under hostile files: problems with codes, never a crash.

Cases from ``orchestrator.root.bench.fuzzcases`` (mutations of real files),
fixed seed. ``onlive class validate`` on the worst of them prints problems,
never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as with_seed

from breakout.errors import CodedError
from exercises import library
from exercises.classfile import check_text
from exercises.gym.roster import parse_roster
from orchestrator.root.bench.fuzzcases import class_texts, roster_bytes
from orchestrator.root.cli import run_validate

ROOT = Path(__file__).resolve().parents[2]
CLASS = (ROOT / "exercises/library/classes/listening-for-real.yaml").read_text()
ROSTER = (ROOT / "tests/exercises/gym/golden/roster.csv").read_bytes()
INDEX = library.exercise_index()
FUZZ = settings(max_examples=600, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@with_seed(14)
@FUZZ
@given(class_texts(CLASS))
def test_any_class_file_gives_problems_with_codes_and_no_exception(text: str) -> None:
    checked = check_text(text, "fuzz.yaml", lambda: INDEX)
    for problem in checked.problems:
        assert problem.message and problem.code


@with_seed(14)
@FUZZ
@given(roster_bytes(ROSTER))
def test_any_roster_is_read_or_refused_with_a_coded_error(data: bytes) -> None:
    try:
        parse_roster(data, "fuzz.csv")
    except CodedError as refused:
        assert refused.code == "invalid_roster"


def test_yaml_tags_and_aliases_are_refused_by_name() -> None:
    for text, code in [("id: !!python/object/apply:os.system ['id']\n", "yaml_tag"),
                       ("id: !custom x\n", "yaml_tag"), ("a: &x [1]\nb: *x\n", "yaml_alias"),
                       ("a: &a [*a]\n", "yaml_alias")]:
        codes = [p.code for p in check_text(text, "t.yaml", lambda: INDEX).problems]
        assert code in codes, (text, codes)


def test_validate_prints_problems_not_a_traceback_for_hostile_files(tmp_path: Path) -> None:
    files = {"tag.yaml": CLASS.replace("version: 1", "version: !!python/object:os.system 1"),
             "bomb.yaml": "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
             "binary.yaml": "\x00\xff\u202e",
             "deep.yaml": "a: " + "[" * 3000 + "]" * 3000}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "latin1.yaml").write_bytes(b"id: caf\xe9\n")
    lines: list[str] = []
    assert run_validate([str(tmp_path)], write=lines.append) == 1
    out = "\n".join(lines)
    assert "Traceback" not in out and "Error:" not in out.replace("error:", "")
    for name in (*files, "latin1.yaml"):
        assert name in out, name
