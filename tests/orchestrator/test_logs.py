"""Text logs escape what clients chose, so no line can be forged or hidden."""

from __future__ import annotations

import logging

from orchestrator.logs import JsonFormatter, TextFormatter, escape


def record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    rec = logging.makeLogRecord({"name": "t", "levelname": "INFO", "msg": msg, "args": args})
    for key, value in extra.items():
        setattr(rec, key, value)
    return rec


def test_control_and_invisible_characters_are_escaped_in_text_logs() -> None:
    hostile = "ok\ninfo    orchestrator: forged line\r\x1b[2J\u202egnp.exe\u200b"
    line = TextFormatter().format(record("refused %s", hostile, event=hostile, code="x"))
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert "\u202e" not in line and "\u200b" not in line
    assert "\\x0a" in line and "\\u202e" in line and "\\x1b" in line


def test_an_extra_value_cannot_pass_for_more_fields() -> None:
    line = TextFormatter().format(record("refused", event="x] level=error code=fake"))
    assert 'event="x] level=error code=fake"' in line


def test_escape_keeps_ordinary_text_and_is_unambiguous() -> None:
    assert escape("Åsa Öberg — hej") == "Åsa Öberg — hej"
    assert escape("a\\nb") == "a\\\\nb" and escape("a\nb") == "a\\x0ab"


def test_json_logs_keep_one_object_a_line() -> None:
    line = JsonFormatter().format(record("refused %s", "x\ny", event="a\nb"))
    assert "\n" not in line
