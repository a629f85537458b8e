"""Health, readiness, the pages' security headers, structured logs and a clean stop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import urllib.request
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from exercises.demo import demo_class
from exercises.state import Member
from orchestrator.root.procs import free_port
from signalling.channel import Channel
from signalling.http import Routes
from tests.harness import Client, OrchestratorProcess, service_for, settings_for

pytestmark = pytest.mark.services


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.status, dict(r.headers), r.read()


def test_health_and_readiness_report_redis_and_livekit(orchestrator: OrchestratorProcess) -> None:
    status, _, body = get(f"{orchestrator.base_url}/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, _, body = get(f"{orchestrator.base_url}/readyz")
    ready = json.loads(body)
    assert status == 200 and ready["ready"] is True
    assert ready["redis"]["ok"] and ready["livekit"]["ok"]
    assert ready["redis"]["latency_ms"] >= 0


async def test_readiness_follows_the_cross_worker_channel_at_once(env: dict[str, str]) -> None:
    """Not ready until the channel is subscribed, and ready the moment it is (``onlive
    dev`` prints its links then; a copy of the channel's state a round old said 503)."""
    channel = Channel(env["ONLIVE_REDIS_URL"], channel="onlive-test-readiness")

    async def listen() -> None:
        async for _ in channel._redis_listen_with_retries():
            pass

    async with service_for(env) as setup:
        app = web.Application()
        Routes(lambda: setup.services, settings_for(env), channel_up=lambda: channel.up).setup(app)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        listening: asyncio.Task[None] | None = None
        try:
            async with aiohttp.ClientSession() as http:
                async def readyz() -> tuple[int, dict[str, Any]]:
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as r:
                        return r.status, await r.json()

                status, body = await readyz()
                assert status == 503 and body["ready"] is False
                assert body["channel"] == {"ok": False,
                                           "error": "the cross-worker channel is not subscribed"}
                listening = asyncio.create_task(listen())
                assert await channel.subscribed(10)
                status, body = await readyz()
                assert status == 200 and body["ready"] is True and body["channel"]["ok"]
        finally:
            if listening is not None:
                listening.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listening
            await channel._forget_connection()
            await runner.cleanup()


@pytest.mark.parametrize("path", ["/p", "/f", "/ops"])
def test_pages_allow_only_their_own_origin_and_livekit(orchestrator: OrchestratorProcess, path: str) -> None:
    status, headers, _ = get(f"{orchestrator.base_url}{path}")
    csp = headers["Content-Security-Policy"]
    assert status == 200
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    sources = {s for part in csp.split(";") for s in part.split()[1:]}
    livekit = orchestrator.env["ONLIVE_LIVEKIT_URL"]
    own = orchestrator.base_url
    assert {s for s in sources if "://" in s} <= {livekit, livekit.replace("ws", "http", 1),
                                                  own, own.replace("http", "ws", 1)}
    assert headers["Referrer-Policy"] == "no-referrer"


async def test_logs_carry_pass_and_participant_ids_and_sigterm_drains(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    async with service_for(env) as service:
        state = await service.create_pass(demo_class())
        ticket = await service.invite(state.id, Member("p-log", "Lo"))
    client = Client(orchestrator.base_url, "/participant", {"ticket": ticket})
    await client.connect()
    await client.wait_for("snapshot")
    await client.close()
    took = orchestrator.stop(signal.SIGTERM)
    assert took < 5
    entries = orchestrator.log_entries()
    joined = [e for e in entries if e.get("msg") == "participant joined"]
    assert joined and joined[0]["pass_id"] == state.id and joined[0]["participant_id"] == "p-log"
    assert all("ts" in e and "level" in e for e in entries)
    assert any(e.get("msg") == "drained" for e in entries)
    # The worker says which event loop it runs: uvloop unless ONLIVE_EVENT_LOOP says asyncio.
    assert [e["event_loop"] for e in entries if e.get("msg") == "onlive listening"] == ["uvloop"]


async def test_socketio_websockets_are_not_compressed(orchestrator: OrchestratorProcess) -> None:
    import aiohttp

    url = f"{orchestrator.base_url}/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url, compress=15,
                                      headers={"Origin": orchestrator.base_url}) as ws:
            # The server declined permessage-deflate: every frame goes out as is.
            assert ws.compress == 0
            assert "permessage-deflate" not in ws._response.headers.get(  # noqa: SLF001
                "Sec-WebSocket-Extensions", "")
