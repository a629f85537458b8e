"""Webhooks: what onlive acts on is verified; rooms opening and closing are not read."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from livekit import api

from orchestrator.adapters.livekit import LiveKitSfu
from orchestrator.errors import AuthError

KEY, SECRET = "onlivetestkey", "s" * 40


def _sfu() -> LiveKitSfu:
    sfu = LiveKitSfu.__new__(LiveKitSfu)  # no server needed to verify
    sfu._key, sfu._secret, sfu.ws_url = KEY, SECRET, "ws://127.0.0.1:1"
    return sfu


def _signed(body: str) -> str:
    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    return api.AccessToken(KEY, SECRET).with_sha256(digest).to_jwt()


def _body(event: str, **extra: object) -> str:
    return json.dumps({"event": event, "id": "EV_1", "createdAt": "1700000000",
                       "room": {"name": "onlive_p1_r1_g1", **extra}})


def test_a_room_opening_or_closing_is_ignored_signed_or_not() -> None:
    for event in ("room_started", "room_finished"):
        assert _sfu().parse_webhook(_body(event), "forged") is None
        assert _sfu().parse_webhook(_body(event), _signed(_body(event))) is None


def test_a_room_reporting_a_recording_or_a_participant_event_is_verified() -> None:
    recording = _body("room_started", activeRecording=True)
    with pytest.raises(AuthError, match="invalid webhook signature"):
        _sfu().parse_webhook(recording, "forged")
    event = _sfu().parse_webhook(recording, _signed(recording))
    assert event is not None and event.active_recording and event.room == "onlive_p1_r1_g1"
    joined = json.dumps({"event": "participant_joined", "id": "EV_2", "createdAt": "1700000000",
                         "room": {"name": "onlive_p1_main"},
                         "participant": {"identity": "p-anna"}})
    with pytest.raises(AuthError, match="invalid webhook signature"):
        _sfu().parse_webhook(joined, "forged")
    assert _sfu().parse_webhook(joined, _signed(joined)).identity == "p-anna"  # type: ignore[union-attr]
