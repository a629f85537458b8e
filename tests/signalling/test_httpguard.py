"""HTTP bodies the server refuses: a coded answer, and the client's connection stays usable.

A real aiohttp server on loopback with the guard installed, and a client that keeps
its connection alive the way browsers and the fuzzer do.
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from signalling import httpguard
from signalling.limits import Refusals
from tests.loopback import served


async def _echo(request: web.Request) -> web.Response:
    body = await httpguard.read_body(request, 1024)
    return web.json_response({"ok": True, "length": len(body)})


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Refusals]]:
    refusals = Refusals()
    app = web.Application(client_max_size=4096)
    httpguard.install(app, refusals)
    app.router.add_post("/echo", _echo)
    async with served(app) as url:
        yield url, refusals


@pytest.mark.parametrize(("body", "encoding", "status", "code"), [
    (b"this is not gzip", "gzip", 400, "bad_encoding"),
    (b"nor deflate", "deflate", 400, "bad_encoding"),
    (gzip.compress(b"x" * 20_000), "gzip", 413, "too_large"),
])
async def test_a_refused_body_is_coded_and_the_next_post_on_the_connection_goes_through(
        server: tuple[str, Refusals], body: bytes, encoding: str, status: int,
        code: str) -> None:
    base, refusals = server
    async with aiohttp.ClientSession() as session:
        for _ in range(20):  # each refusal followed at once by a good POST
            async with session.post(base + "/echo", data=body,
                                    headers={"Content-Encoding": encoding}) as refused:
                assert refused.status == status
                assert (await refused.json())["error"]["code"] == code
                assert refused.headers["Connection"].lower() == "close"
            async with session.post(base + "/echo", data=b"hello") as good:
                assert good.status == 200 and (await good.json())["length"] == 5
    assert refusals.snapshot()[code] == 20


async def test_a_compressed_body_that_decodes_reaches_the_handler(
        server: tuple[str, Refusals]) -> None:
    base, _ = server
    async with aiohttp.ClientSession() as session:
        async with session.post(base + "/echo", data=gzip.compress(b"twelve bytes"),
                                headers={"Content-Encoding": "gzip"}) as response:
            assert response.status == 200 and (await response.json())["length"] == 12
