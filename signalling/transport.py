"""Transport tuning for the Socket.IO fan-out path, and closing it on shutdown.

aiohttp negotiates permessage-deflate with every browser by default and
python-engineio has no switch for it; compressing each small, mostly unique
msgpack frame per recipient cost 20-45 % of the broadcast CPU and ~90 KB of
memory per connection when measured (see shared/DESIGN.md). The one place
engineio builds its ``WebSocketResponse`` is patched here, narrowly and
idempotently, to answer without the extension.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from aiohttp.web import WebSocketResponse
from engineio.async_drivers import aiohttp as engineio_aiohttp
from socketio import AsyncServer


def disable_websocket_compression() -> None:
    current: Any = engineio_aiohttp.WebSocketResponse
    if isinstance(current, functools.partial):
        return
    engineio_aiohttp.WebSocketResponse = functools.partial(
        WebSocketResponse, compress=False)


async def close_websockets(sio: AsyncServer, timeout: float) -> int:
    """End this worker's websocket connections once what is queued for them is sent.

    For a draining worker, after its ``restarting`` notice: each websocket closes
    normally but with no engine.io CLOSE packet, so Socket.IO clients (the pages'
    and python-socketio's) take it for a lost transport and reconnect at once,
    through the proxy, to another worker. aiohttp's own shutdown would first stop
    reading them (what a client sent meanwhile went unanswered) and close them only
    after its timeouts. Waits up to ``timeout`` for them to close; how many there were.
    """
    closing = [s for s in list(sio.eio.sockets.values())
               if s.upgraded and not s.closed and not s.closing]
    for socket in closing:
        # engine.io's writer sends what is queued before None, then closes the websocket.
        socket.queue.put_nowait(None)
    deadline = asyncio.get_running_loop().time() + timeout
    while any(not s.closed for s in closing) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    return len(closing)
