"""Join tokens signed by the adapter carry exactly what livekit-api's own signer puts in."""

from __future__ import annotations

from datetime import timedelta

import jwt
from livekit import api

from orchestrator.adapters.livekit import PUBLISH_SOURCES, LiveKitSfu

KEY, SECRET = "onlivetestkey", "s" * 40


def _sfu() -> LiveKitSfu:
    sfu = LiveKitSfu.__new__(LiveKitSfu)  # no server needed to sign
    sfu._key, sfu._secret, sfu.ws_url = KEY, SECRET, "ws://127.0.0.1:1"
    return sfu


def _reference(identity: str, name: str, room: str, publish: bool, hidden: bool) -> str:
    grants = api.VideoGrants(room_join=True, room=room, can_publish=publish,
                             can_publish_sources=list(PUBLISH_SOURCES) if publish else [],
                             can_subscribe=True, can_publish_data=False, hidden=hidden)
    return (api.AccessToken(KEY, SECRET).with_identity(identity).with_name(name)
            .with_ttl(timedelta(seconds=600)).with_grants(grants).to_jwt())


def test_a_token_has_the_claims_livekit_api_would_sign() -> None:
    for publish, hidden in ((True, False), (False, True)):
        ours = jwt.decode(_sfu().mint(identity="acme/E1", name="Åsa Ek", room="p1-r2-g3",
                                      ttl=600, publish=publish, hidden=hidden),
                          SECRET, algorithms=["HS256"])
        theirs = jwt.decode(_reference("acme/E1", "Åsa Ek", "p1-r2-g3", publish, hidden),
                            SECRET, algorithms=["HS256"])
        assert abs(ours.pop("nbf") - theirs.pop("nbf")) <= 1
        assert abs(ours.pop("exp") - theirs.pop("exp")) <= 1
        assert ours == theirs


def test_livekit_api_verifies_the_token_and_reads_its_one_room() -> None:
    token = _sfu().mint(identity="p1", name="P", room="room-a", ttl=10_000)
    claims = api.TokenVerifier(KEY, SECRET).verify(token)
    assert claims.identity == "p1" and claims.video is not None
    assert claims.video.room == "room-a" and not claims.video.room_record
    assert jwt.decode(token, SECRET, algorithms=["HS256"])["exp"] - \
        jwt.decode(token, SECRET, algorithms=["HS256"])["nbf"] == 900, "capped at 15 minutes"
