"""HTTP requests that are the client's mistake: a coded 400, one log line, no traceback.

- ``coded_errors`` (a middleware on every route) reads a request's body
  before its handler runs, so a body that does not decode (a ``gzip`` or
  ``deflate`` body that is not, an encoding the server does not speak) is
  answered ``400 {"ok": false, "error": {"code": "bad_encoding", ...}}``
  instead of failing later inside aiohttp; a body over the size limit is
  ``413`` ``too_large``. An exception a handler did not expect is logged
  once with its traceback (a server error) and answered ``500`` ``internal``.
- ``ClientMistakeFilter`` (on the ``aiohttp.server`` logger) turns aiohttp's
  own reports of requests it could not parse (a header line too long, an
  unknown content encoding, bytes that are not HTTP) from a traceback into
  one line with a code, at most a few a minute per source.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Middleware
from aiohttp.web_protocol import RequestPayloadError

from orchestrator.errors import BadRequest
from signalling import wire
from signalling.limits import Refusals, Throttle

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _client_mistake(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, (HttpProcessingError, RequestPayloadError)):
            return True
        error = error.__cause__ or error.__context__
    return False


#: Where ``coded_errors`` leaves a body it already read (a compressed one).
BODY = web.RequestKey("onlive.body", bytes)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request's body, at most ``limit`` bytes (``BadRequest`` ``too_large`` beyond).

    Handlers read through this, never ``request.content`` directly: the middleware
    may already have read (and decoded) the body.
    """
    too_large = BadRequest(f"the request is larger than {limit} bytes", code="too_large")
    if (request.content_length or 0) > limit and BODY not in request:
        raise too_large
    data = request[BODY] if BODY in request else await request.content.read(limit + 1)
    if len(data) > limit:
        raise too_large
    return bytes(data)


def _refused_body(code: str, message: str, status: int) -> web.Response:
    """A refusal of a body the server did not read to its end.

    It says ``Connection: close`` and the connection ends after it: the rest of the
    body is unread, and a client that sent its next request on the same connection
    would otherwise meet a closed socket (a POST is not retried).
    """
    response = web.json_response(wire.error(code, message), status=status)
    response.force_close()
    return response


def coded_errors(refusals: Refusals) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.body_exists and request.method not in ("GET", "HEAD", "OPTIONS") \
                and request.headers.get("Content-Encoding", "identity") != "identity":
            # Only a compressed body can fail to decode; it is read here (within the
            # app's size limit) and handed to the handler through ``read_body``.
            try:
                request[BODY] = await request.read()
            except web.HTTPRequestEntityTooLarge:
                refusals.count("too_large")
                return _refused_body(
                    "too_large", f"the request body is larger than {request.client_max_size} "
                    "bytes", 413)
            except (HttpProcessingError, RequestPayloadError):
                refusals.count("bad_encoding")
                return _refused_body(
                    "bad_encoding", "the request body does not decode as its Content-Encoding "
                    "says (gzip or deflate), or uses an encoding this server does not read", 400)
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception as error:
            if _client_mistake(error):
                refusals.count("bad_encoding")
                return _refused_body("bad_encoding", "the request body does not decode", 400)
            log.exception("request %s %s failed", request.method, request.path)
            return web.json_response(wire.error(
                "internal", "something went wrong on the server; try again"), status=500)
    return middleware


class ClientMistakeFilter(logging.Filter):
    """Rewrites aiohttp's parse-error tracebacks into throttled one-line notes."""

    def __init__(self, refusals: Refusals, throttle: Throttle | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.refusals = refusals
        self.throttle = throttle or Throttle()
        self.clock = clock

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if not _client_mistake(error):
            return True
        source = str(record.args[0]) if isinstance(record.args, tuple) and record.args \
            else "unknown"
        self.refusals.count("bad_http")
        allowed, suppressed = self.throttle.allow(source, self.clock())
        if not allowed:
            return False
        record.msg = "refused (bad_http): %s"
        record.args = (str(error).replace("\n", " ")[:200],)
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.code = "bad_http"
        record.source = source
        if suppressed:
            record.suppressed = suppressed
        return True


def install(app: web.Application, refusals: Refusals) -> None:
    """The middleware on ``app`` and the filter on aiohttp's server logger."""
    app.middlewares.append(coded_errors(refusals))
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, ClientMistakeFilter) for f in server_log.filters):
        server_log.addFilter(ClientMistakeFilter(refusals))
