"""Transport tuning for the Socket.IO fan-out path.

aiohttp negotiates permessage-deflate with every browser by default and
python-engineio has no switch for it; compressing each small, mostly unique
msgpack frame per recipient cost 20-45 % of the broadcast CPU and ~90 KB of
memory per connection when measured (see shared/DESIGN.md). The one place
engineio builds its ``WebSocketResponse`` is patched here, narrowly and
idempotently, to answer without the extension.
"""

from __future__ import annotations

import functools
from typing import Any

from aiohttp.web import WebSocketResponse
from engineio.async_drivers import aiohttp as engineio_aiohttp


def disable_websocket_compression() -> None:
    current: Any = engineio_aiohttp.WebSocketResponse
    if isinstance(current, functools.partial):
        return
    engineio_aiohttp.WebSocketResponse = functools.partial(
        WebSocketResponse, compress=False)
