"""Every alert the server can raise is shown in the pages' own words, in Swedish and
English: its code has a text (``alert.CODE``) and so has every coded reason of a
recording alarm (``alert.reason.CODE``). A page never falls back to the server's
message. So has every notice about the service itself (``service.CODE``: a restart,
Redis or LiveKit away and back), and the README's Operations section says what each
alert means and what to do."""

from __future__ import annotations

import re

from orchestrator.readmodels import AlertCode, ServiceCode
from orchestrator.roomevents import RecordingSign
from tests.harness import ROOT

CATALOGUE = "\n".join(p.read_text(encoding="utf-8")
                      for p in sorted((ROOT / "web" / "src").glob("*.js"))
                      if p.name == "i18n.js" or p.name.startswith("strings-"))


def _languages(key: str) -> int:
    return len(re.findall(rf'^\s*"{re.escape(key)}":', CATALOGUE, re.M))


def test_every_alert_code_has_a_text_in_both_languages() -> None:
    assert {c.value for c in AlertCode if _languages(f"alert.{c.value}") != 2} == set()


def test_every_service_notice_has_a_text_in_both_languages() -> None:
    """While Redis or LiveKit is away (or the worker restarts), people read what happens next."""
    assert {c.value for c in ServiceCode if _languages(f"service.{c.value}") != 2} == set()


def test_the_readme_says_what_each_alert_means_and_what_to_do() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    alerts = readme.split("### Alerts", 1)[1].split("\n### ", 1)[0]
    rows = {m.group(1): m.group(2) for m in
            re.finditer(r"^\| `([a-z_]+)` \|(.+)\|$", alerts, re.M)}
    assert set(rows) == {c.value for c in AlertCode}
    assert all(len(row.split("|")) == 2 and all(cell.strip() for cell in row.split("|"))
               for row in rows.values()), rows


def test_every_reason_of_a_recording_alarm_has_a_text_in_both_languages() -> None:
    assert {s.value for s in RecordingSign if _languages(f"alert.reason.{s.value}") != 2} == set()
    assert _languages("alert.reason.unknown") == 2


def test_a_text_names_only_parameters_its_alert_carries() -> None:
    """The recording alarm's text has a place for the room and the reason it is sent with."""
    sv = re.search(r'"alert\.recording_attempt": "([^"]*)"', CATALOGUE)
    assert sv is not None and set(re.findall(r"\{(\w+)\}", sv.group(1))) == {"room", "reason"}
