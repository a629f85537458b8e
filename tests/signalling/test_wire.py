"""The wire: every inbound event and command is checked against its schema and size."""

from __future__ import annotations

import pytest

from exercises import events as ev
from orchestrator.errors import BadRequest
from signalling import wire


def test_commands_are_checked_against_their_schema() -> None:
    assert wire.parse_command({"name": "extend", "seconds": 60}) == ev.Extend(60)
    for bad, code in [({"name": "extend"}, "bad_payload"),
                      ({"name": "extend", "seconds": True}, "bad_payload"),
                      ({"name": "extend", "seconds": 0}, "out_of_range"),
                      ({"name": "broadcast", "text": "x" * 501}, "out_of_range"),
                      ({"name": "start", "extra": 1}, "bad_payload"),
                      ({"name": "launch"}, "unknown_command"),
                      (["start"], "bad_payload")]:
        with pytest.raises(BadRequest) as error:
            wire.parse_command(bad)
        assert error.value.code == code, bad


def test_payloads_over_64_kb_are_refused() -> None:
    with pytest.raises(BadRequest) as error:
        wire.parse_event("help", {"text": "x" * (64 * 1024)})
    assert error.value.code == "too_large"
