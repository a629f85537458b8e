"""The LiveKit adapter's call policy: transient refusals are retried, gone is gone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from livekit import api

from orchestrator.adapters.livekit import ADMIN_TOKEN_REUSE_S, AdminTokens, LiveKitSfu
from orchestrator.errors import ServiceError
from tests.conftest import LiveKitService


class Script:
    """A request that fails with the given Twirp codes, then succeeds."""

    def __init__(self, *codes: str) -> None:
        self.codes = list(codes)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.codes:
            code = self.codes.pop(0)
            raise api.TwirpError(code, f"{code} (scripted)", status=503)
        return "done"


@pytest.fixture
async def sfu() -> AsyncIterator[LiveKitSfu]:
    async with aiohttp.ClientSession() as session:
        yield LiveKitSfu("http://127.0.0.1:9", "ws://127.0.0.1:9", "key", "s" * 32, session)


@pytest.fixture
async def sfu_live(livekit_server: LiveKitService) -> AsyncIterator[LiveKitSfu]:
    """The adapter on the session's real livekit-server."""
    async with aiohttp.ClientSession() as session:
        yield LiveKitSfu(livekit_server.http_url, livekit_server.url, livekit_server.keys.key,
                         livekit_server.keys.secret, session)


async def test_a_busy_node_is_asked_again_until_it_answers(sfu: LiveKitSfu) -> None:
    request = Script("unavailable", "unavailable")
    assert await sfu._call("remove someone", request) == "done"
    assert request.calls == 3


async def test_a_refusal_that_will_not_change_fails_at_once(sfu: LiveKitSfu) -> None:
    request = Script("permission_denied")
    with pytest.raises(ServiceError, match="LiveKit delete room r failed"):
        await sfu._call("delete room r", request)
    assert request.calls == 1


async def test_a_room_that_is_already_gone_counts_as_closed(sfu: LiveKitSfu) -> None:
    request = Script("not_found")
    assert await sfu._call("delete room r", request, missing_ok=True) is None
    with pytest.raises(ServiceError):
        await sfu._call("create room r", Script("not_found"))


async def test_a_ping_is_one_try(sfu: LiveKitSfu) -> None:
    request = Script("unavailable")
    with pytest.raises(ServiceError):
        await sfu._call("ping", request, retries=0)
    assert request.calls == 1


def test_an_admin_token_is_signed_once_per_grant_and_signed_again_in_time() -> None:
    now = [1000.0]
    signed: list[str] = []

    def sign(grants: object, sip: object = None) -> dict[str, str]:
        signed.append(repr(grants))
        return {"Authorization": f"Bearer token-{len(signed)}"}

    header = AdminTokens(sign, clock=lambda: now[0])
    create, delete = api.VideoGrants(room_create=True), api.VideoGrants(room_create=True)
    admin = api.VideoGrants(room_admin=True, room="r")
    first = header(create)
    assert header(delete) == first and header(create) == first  # equal grants: one token
    assert header(admin) != first and len(signed) == 2
    now[0] += ADMIN_TOKEN_REUSE_S - 1
    assert header(create) == first
    now[0] += 1
    assert header(create) != first and len(signed) == 3  # signed again long before it expires


async def test_the_server_api_accepts_its_reused_token(sfu_live: LiveKitSfu) -> None:
    for name in ("reuse-a", "reuse-b"):
        await sfu_live.create_room(name, max_participants=2)
    assert {"reuse-a", "reuse-b"} <= {r.name for r in await sfu_live.rooms()}
    for name in ("reuse-a", "reuse-b"):
        await sfu_live.delete_room(name)
    assert not {"reuse-a", "reuse-b"} & {r.name for r in await sfu_live.rooms()}
