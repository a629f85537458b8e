"""Sending mail over SMTP (implements ``orchestrator.gym.ports.Mailer``) with aiosmtplib.

``ONLIVE_SMTP_URL``: ``smtp://[user:password@]host[:port]`` (plain, port 25
by default), ``smtp+starttls://…`` (STARTTLS, 587) or ``smtps://…`` (TLS,
465). Every failure (refused, unreachable, timed out) becomes ``MailFailed``
with the server's words; the outbox keeps it and retries.
"""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from orchestrator.errors import ConfigError, MailFailed

_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class SmtpMailer:
    def __init__(self, url: str, *, timeout: float = 20.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in _PORTS or not parts.hostname:
            raise ConfigError("ONLIVE_SMTP_URL must look like smtp://host:port")
        self.host = parts.hostname
        self.port = parts.port or _PORTS[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.use_tls = parts.scheme == "smtps"
        self.start_tls = parts.scheme == "smtp+starttls"
        self.timeout = timeout

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(message, hostname=self.host, port=self.port,
                                  username=self.username, password=self.password,
                                  use_tls=self.use_tls, start_tls=self.start_tls,
                                  timeout=self.timeout)
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailFailed(f"{self.host}:{self.port}: {error}") from error
