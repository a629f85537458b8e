"""Problems name the file, the line, the field and what was expected."""

from __future__ import annotations

from exercises.classfile import Problem, format_problem


def test_format_problem_names_file_line_field_and_expectation() -> None:
    problem = Problem("lib/x.yaml", 12, "steps[2].duration",
                      "expected a duration like 90s, 3m or 1h, got 'soon'")
    assert format_problem(problem) == \
        "lib/x.yaml:12: steps[2].duration: expected a duration like 90s, 3m or 1h, got 'soon'"
    assert format_problem(Problem("x.yaml", 0, "", "cannot read the file")) == \
        "x.yaml: cannot read the file"
