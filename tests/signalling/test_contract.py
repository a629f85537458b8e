"""The pages' copy of the wire contract: generated from Python, committed, never drifting."""

from __future__ import annotations

from pathlib import Path

import pytest

from exercises import names
from exercises.answers import MAX_TEXT_CHARS, MAX_WORD_CHARS
from orchestrator.root import cli
from signalling import contract as contract_module
from signalling import wire, wirenames
from signalling.contract import HEADER, WEB_CONTRACT, contract, render_js
from signalling.media.verdict import Thresholds
from signalling.wire import COMMAND_SCHEMAS, SCHEMAS, Field
from signalling.wirenames import Command, Event


def test_committed_contract_js_is_rendered_from_the_python_definitions() -> None:
    committed = WEB_CONTRACT.read_text(encoding="utf-8")
    assert committed == render_js(contract()), (
        f"{WEB_CONTRACT.relative_to(WEB_CONTRACT.parents[2])} drifted from the Python "
        "definitions: run `onlive contract` (python -m orchestrator contract) and commit it")


def test_figures_are_read_from_the_python_objects() -> None:
    c = contract()
    limits = c["limits"]
    assert limits["answerWordChars"] == MAX_WORD_CHARS
    assert limits["answerTextChars"] == MAX_TEXT_CHARS
    assert limits["nameChars"] == SCHEMAS[Event.SET_NAME]["name"].max_len
    assert limits["helpTextChars"] == SCHEMAS[Event.HELP]["text"].max_len
    assert limits["broadcastChars"] == COMMAND_SCHEMAS[Command.BROADCAST]["text"].max_len
    assert limits["editTitleChars"] == COMMAND_SCHEMAS[Command.EDIT_STEP]["title_sv"].max_len
    assert limits["editPromptChars"] == COMMAND_SCHEMAS[Command.EDIT_STEP]["prompt_en"].max_len
    assert limits["recallSeconds"] == COMMAND_SCHEMAS[Command.RECALL]["countdown"].high
    assert limits["eventBytes"] == wire.MAX_EVENT_BYTES
    t = Thresholds()
    assert c["echo_thresholds"] == {
        "good": {"rttMs": t.good_rtt_ms, "jitterMs": t.good_jitter_ms, "loss": t.good_loss},
        "fair": {"rttMs": t.fair_rtt_ms, "jitterMs": t.fair_jitter_ms, "loss": t.fair_loss},
    }
    assert c["events"] == {e.name: e.value for e in Event}
    assert c["commands"] == {c.name: c.value for c in Command}
    assert c["namespaces"] == {"PARTICIPANT": wirenames.PARTICIPANT,
                               "FACILITATOR": wirenames.FACILITATOR, "OPS": wirenames.OPS}
    assert c["name_refusals"] == list(names.REFUSALS)


def test_a_changed_python_limit_changes_the_module(monkeypatch: pytest.MonkeyPatch) -> None:
    before = render_js(contract())
    monkeypatch.setitem(SCHEMAS[Event.SET_NAME], "name", Field(str, max_len=61))
    after = render_js(contract())
    assert "  nameChars: 60,\n" in before
    assert after == before.replace("  nameChars: 60,\n", "  nameChars: 61,\n")


def test_fields_that_should_share_a_limit_but_disagree_are_refused(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(COMMAND_SCHEMAS[Command.EDIT_STEP], "title_en", Field(str, max_len=100))
    with pytest.raises(ValueError, match=r"\['title_sv', 'title_en'\] do not share one length"):
        contract()


def test_the_module_starts_with_the_header_and_exports_each_part_in_order() -> None:
    text = render_js(contract())
    assert text.startswith("// Generated from the Python definitions by `onlive contract`; "
                           "do not edit. A test fails when it drifts.\n\n")
    assert text.startswith(HEADER)
    exports = [line.split()[2] for line in text.splitlines() if line.startswith("export ")]
    assert exports == ["LIMITS", "ECHO_THRESHOLDS", "EVENTS", "COMMANDS", "NAMESPACES",
                       "NAME_REFUSALS"]
    assert text == render_js(contract())


def test_onlive_contract_check_fails_on_a_drifted_file_and_writing_fixes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "contract.js"
    target.write_text("export const LIMITS = {};\n", encoding="utf-8")
    monkeypatch.setattr(contract_module, "WEB_CONTRACT", target)

    history = [cli.main(["contract", "--check"]), target.read_text(encoding="utf-8")]
    assert "run `onlive contract`" in capsys.readouterr().err
    history += [cli.main(["contract"]), cli.main(["contract", "--check"])]
    assert history == [1, "export const LIMITS = {};\n", 0, 0]
    assert target.read_text(encoding="utf-8") == render_js(contract())
