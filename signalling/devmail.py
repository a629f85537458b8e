"""``/dev/mail``: the mail ``onlive dev`` would have sent, for a developer's eyes only.

Registered by ``onlive dev`` only when it is its own mail server (no
``ONLIVE_SMTP_URL``), on a loopback address. It shows every received mail
with its links and attachments, so the whole flow (invitation, personal link,
confirmation with its calendar file) can be followed without a mail account.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web


class SentMail(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def recipients(self) -> tuple[str, ...]: ...
    @property
    def message(self) -> EmailMessage: ...


class Mailbox(Protocol):
    @property
    def received(self) -> Iterable[SentMail]: ...


def mail_view(mail: SentMail) -> dict[str, Any]:
    m = mail.message
    body = m.get_body(("plain",))
    attachments = [{"filename": part.get_filename() or f"part-{i}",
                    "content_type": part.get_content_type(),
                    "url": f"/dev/mail/{mail.id}/{i}"}
                   for i, part in enumerate(m.iter_attachments())]
    return {"id": mail.id, "at": mail.at.timestamp(), "to": list(mail.recipients),
            "subject": str(m["Subject"] or ""), "language": str(m["Content-Language"] or ""),
            "kind": str(m["X-Onlive-Kind"] or ""),
            "text": body.get_content() if body is not None else "", "attachments": attachments}


class DevMailRoutes:
    def __init__(self, mailbox: Mailbox, page: Path) -> None:
        self.mailbox = mailbox
        self.page_file = page

    def setup(self, app: web.Application) -> None:
        app.router.add_get("/dev/mail", self.page)
        app.router.add_get("/dev/mail.json", self.listing)
        app.router.add_get("/dev/mail/{id:\\d+}/{part:\\d+}", self.attachment)

    async def page(self, request: web.Request) -> web.StreamResponse:
        if not self.page_file.exists():
            raise web.HTTPNotFound(text="the web pages are not built; run make dev again")
        return web.FileResponse(self.page_file, headers={"Cache-Control": "no-store"})

    async def listing(self, request: web.Request) -> web.Response:
        mails = [mail_view(m) for m in reversed(list(self.mailbox.received))]
        return web.json_response({"mails": mails}, headers={"Cache-Control": "no-store"})

    async def attachment(self, request: web.Request) -> web.Response:
        wanted, index = int(request.match_info["id"]), int(request.match_info["part"])
        for mail in self.mailbox.received:
            if mail.id == wanted:
                parts = list(mail.message.iter_attachments())
                if index < len(parts):
                    part = parts[index]
                    data = part.get_payload(decode=True)
                    assert isinstance(data, bytes)
                    return web.Response(body=data, content_type=part.get_content_type(),
                                        headers={"Content-Disposition": "attachment; filename="
                                                 f"\"{part.get_filename() or 'attachment'}\""})
        raise web.HTTPNotFound()
