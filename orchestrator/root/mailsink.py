"""A mail server on loopback that keeps what it receives: ``onlive dev``'s mail, and tests'.

It speaks SMTP (aiosmtpd) on 127.0.0.1 in the running event loop and keeps
the last ``keep`` messages in memory, parsed, newest last. ``onlive dev``
points ``ONLIVE_SMTP_URL`` at it and shows the messages on ``/dev/mail``, so
the whole flow can be seen without a mail account.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Received:
    id: int
    at: datetime
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage


class _Handler:
    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.sink.keep(Received(next(self.sink.ids), datetime.now(timezone.utc),
                                str(envelope.mail_from), tuple(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


class MailSink:
    def __init__(self, keep: int = 500) -> None:
        self.received: deque[Received] = deque(maxlen=keep)
        self.ids = itertools.count(1)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._arrived = asyncio.Event()

    def keep(self, item: Received) -> None:
        self.received.append(item)
        self._arrived.set()
        log.info("mail received", extra={"to": ",".join(item.recipients),
                                         "subject": str(item.message["Subject"])})

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def start(self, port: int = 0) -> MailSink:
        loop = asyncio.get_running_loop()
        handler = _Handler(self)

        def protocol() -> Any:
            return SMTP(handler, hostname="onlive-mail-sink", ident="onlive mail sink",
                        data_size_limit=10 * 1024 * 1024)

        self._server = await loop.create_server(protocol, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address.lower() in (t.lower() for t in r.recipients)]

    async def wait(self, timeout: float = 30) -> None:
        """Until something new arrives (or ``timeout``)."""
        self._arrived.clear()
        try:
            await asyncio.wait_for(self._arrived.wait(), timeout)
        except asyncio.TimeoutError:
            pass
