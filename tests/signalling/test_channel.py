"""The cross-worker channel says when it is subscribed, and can be waited for."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from signalling.channel import Channel

pytestmark = pytest.mark.services


async def test_the_channel_can_be_waited_for_until_it_is_subscribed(redis_server) -> None:  # type: ignore[no-untyped-def]
    channel = Channel(redis_server.url, channel="onlive-test-channel")
    assert not await channel.subscribed(0.05), "not before it listens"

    async def listen() -> None:
        async for _ in channel._redis_listen_with_retries():
            pass

    listening = asyncio.create_task(listen())
    try:
        assert await channel.subscribed(10) and channel.up
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
        await channel._forget_connection()
