"""Security headers on every HTTP response, set in one place.

Every response (pages, JSON, static assets, errors aiohttp makes itself,
Socket.IO's long-polling answers) carries ``X-Content-Type-Options:
nosniff``, ``Referrer-Policy: no-referrer`` and a Content-Security-Policy
with ``frame-ancestors 'none'``. HTML gets the pages' policy: scripts and
styles from our own origin only (no inline script), connections to our own
origin (http and ws) and to the LiveKit URL from the settings; anything
else gets ``default-src 'none'``. ``Permissions-Policy`` allows camera and
microphone to our own origin only on the pages that use them
(``MEDIA_PAGES``: the participant's and the facilitator's, who joins rooms
too) and denies them everywhere else.

It is a response-prepare hook rather than a middleware so that responses
made outside the handler chain (aiohttp's own errors, file responses,
Socket.IO's polling transport) get the headers too.
"""

from __future__ import annotations

from aiohttp import web

from orchestrator.settings import Settings

#: The pages that use the camera and the microphone.
MEDIA_PAGES = frozenset({"/p", "/f"})
#: Browser features no page uses, denied on every response.
DENIED_FEATURES = ("display-capture", "geolocation", "payment", "usb", "serial",
                   "bluetooth", "midi", "fullscreen=(self)")


def _ws(url: str) -> str:
    return url.replace("http://", "ws://", 1).replace("https://", "wss://", 1)


def _http(url: str) -> str:
    return url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)


class SecurityHeaders:
    """Computes each response's headers from the settings (built once)."""

    def __init__(self, settings: Settings) -> None:
        own = settings.base_url.rstrip("/")
        connect = ["'self'", own, _ws(own)]
        if settings.livekit_url:
            connect += [_ws(settings.livekit_url), _http(settings.livekit_url)]
        self.page_csp = (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            f"connect-src {' '.join(dict.fromkeys(connect))}; "
            "img-src 'self' data: blob:; media-src 'self' blob: mediastream:; "
            "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
        self.other_csp = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"
        denied = ", ".join(f if "=" in f else f"{f}=()" for f in DENIED_FEATURES)
        self.media_policy = f"camera=(self), microphone=(self), {denied}"
        self.no_media_policy = f"camera=(), microphone=(), {denied}"

    def for_response(self, path: str, content_type: str) -> dict[str, str]:
        html = content_type == "text/html"
        return {
            "Content-Security-Policy": self.page_csp if html else self.other_csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Permissions-Policy": (self.media_policy if path in MEDIA_PAGES
                                   else self.no_media_policy),
        }

    async def on_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        for name, value in self.for_response(request.path, response.content_type).items():
            response.headers[name] = value


def install(app: web.Application, settings: Settings) -> SecurityHeaders:
    """Put the headers on every response ``app`` prepares."""
    headers = SecurityHeaders(settings)
    app.on_response_prepare.append(headers.on_prepare)
    return headers
