"""Calendar files (.ics, RFC 5545) for a session: one event in the session's time zone.

The event's UID is the pass id, so a later file for the same session (a
moved start, a cancellation) replaces the first in the reader's calendar.
No credential goes into the file: it points at Min träning, whose personal
link is in the person's mail.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event

from exercises.gym.roster import Language
from exercises.text import Text

PRODID = "-//onlive//Min traning//SV"

_NOTE = {
    Language.SV: "Gå in från Min träning; knappen öppnas tio minuter före start. "
                 "Inget spelas in. Facilitator: {facilitator}.",
    Language.EN: "Join from My training; the button opens ten minutes before the start. "
                 "Nothing is recorded. Facilitator: {facilitator}.",
}


def session_ics(*, pass_id: str, title: Text, starts_at: datetime, duration_s: int,
                facilitator: str, program: str, language: Language, url: str,
                stamp: datetime, cancelled: bool = False) -> bytes:
    """One VEVENT for the session (``starts_at`` aware, in the session's zone)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{pass_id}@onlive")
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at)
    event.add("dtend", starts_at + timedelta(seconds=duration_s))
    name = title.en if language is Language.EN and title.en else title.sv or title.en
    event.add("summary", f"{name} ({program})")
    event.add("description", _NOTE[language].format(facilitator=facilitator))
    event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data
