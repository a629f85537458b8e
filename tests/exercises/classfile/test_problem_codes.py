"""Every problem a class file or a class draft can have carries a code that the class page
translates, in Swedish and in English (web/src/strings-classes.js)."""

from __future__ import annotations

import re

from exercises import library
from exercises.classfile import check_text
from exercises.classfile.draft import check_draft
from tests.exercises.classfile.helpers import GOLDEN
from tests.harness import ROOT

STRINGS = (ROOT / "web" / "src" / "strings-classes.js").read_text(encoding="utf-8")


def _translated(code: str) -> int:
    return len(re.findall(rf'"cls\.p\.{re.escape(code)}":', STRINGS))


def test_every_code_of_the_broken_golden_files_is_translated_in_both_languages() -> None:
    codes: set[str] = set()
    for path in sorted(GOLDEN.glob("*.broken.yaml")):
        checked = check_text(path.read_text(encoding="utf-8"), str(path), library.exercise_index)
        assert checked.problems, path
        codes |= {p.code for p in checked.problems}
    drafts = [{"steps": "x", "odd": 1}, {"id": "a", "title": {"sv": "", "en": "x"},
                                         "description": {"sv": "d", "en": "d"}, "minutes": 1,
                                         "steps": [{"use": None, "id": "s", "kind": "breakout",
                                                    "title": {"sv": "t", "en": "t"},
                                                    "prompt": {"sv": "p", "en": "p"},
                                                    "minutes": "x"}]}]
    for draft in drafts:
        codes |= {p.code for p in check_draft(draft, 1, library.exercise_index()).problems}
    assert "invalid" not in codes, "a problem without a code of its own"
    assert {code for code in codes if _translated(code) != 2} == set()
    assert len(codes) > 15
