"""What the gym's mails say, in Swedish and English: the server side's string catalogue.

Each kind has a subject and a body per language; ``{name}`` placeholders are
filled by ``render``. Dates are written out in the reader's language (no
locale database needed): "torsdag 14 januari 2027 kl. 09:00".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from exercises.gym.mail import MailKind
from exercises.gym.roster import Language

__all__ = ["TEXTS", "format_when", "render"]

_DAYS = {Language.SV: ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
         Language.EN: ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                       "Sunday")}
_MONTHS = {Language.SV: ("januari", "februari", "mars", "april", "maj", "juni", "juli",
                         "augusti", "september", "oktober", "november", "december"),
           Language.EN: ("January", "February", "March", "April", "May", "June", "July",
                         "August", "September", "October", "November", "December")}

_SIGNATURE = {
    Language.SV: "\n\nInget spelas in. Det här mejlet skickades av onlive; svara inte på det.",
    Language.EN: "\n\nNothing is recorded. This e-mail was sent by onlive; please do not reply.",
}

#: kind -> language -> (subject, body)
TEXTS: Mapping[str, Mapping[Language, tuple[str, str]]] = {
    MailKind.ENROLMENT: {
        Language.SV: ("Välj ditt pass: {program}",
                      "Hej {first_name}!\n\nDu är inbjuden till {program}. Välj ett pass som "
                      "passar dig för nästa klass, {class_title}, i Min träning:\n\n{link}\n\n"
                      "Där ser du också dina klasser, din dagbok och vilka du har tränat med."),
        Language.EN: ("Choose your session: {program}",
                      "Hello {first_name},\n\nYou are invited to {program}. Choose a session "
                      "that suits you for the next class, {class_title}, in My training:\n\n"
                      "{link}\n\nThere you also see your classes, your journal and who you "
                      "have trained with."),
    },
    "confirmation-enrolled": {
        Language.SV: ("Bekräftelse: {class_title} {when_short}",
                      "Hej {first_name}!\n\nDu har en plats på {class_title} ({program}), "
                      "{when}. Passet tar {minutes} minuter; facilitator: {facilitator}.\n\n"
                      "Kalenderfilen ligger bifogad. Knappen för att gå in öppnas tio minuter "
                      "före start i Min träning:\n\n{link}\n\nKan du inte? Byt till ett annat "
                      "pass eller avboka där, så går platsen till nästa på väntelistan."),
        Language.EN: ("Confirmed: {class_title} {when_short}",
                      "Hello {first_name},\n\nYou have a place in {class_title} ({program}), "
                      "{when}. The session takes {minutes} minutes; facilitator: "
                      "{facilitator}.\n\nThe calendar file is attached. The button to join "
                      "opens ten minutes before the start in My training:\n\n{link}\n\n"
                      "Can't make it? Switch to another session or cancel there, and your place "
                      "goes to the next person on the waiting list."),
    },
    "confirmation-waiting": {
        Language.SV: ("Väntelista: {class_title} {when_short}",
                      "Hej {first_name}!\n\nPasset {class_title} {when} är fullt. Du står som "
                      "nummer {position} på väntelistan och får ett mejl med kalenderfil om "
                      "en plats blir ledig. Vill du hellre välja ett annat pass gör du det i "
                      "Min träning:\n\n{link}"),
        Language.EN: ("Waiting list: {class_title} {when_short}",
                      "Hello {first_name},\n\nThe session {class_title} {when} is full. You "
                      "are number {position} on the waiting list and will get an e-mail with "
                      "a calendar file if a place frees up. To choose another session instead, "
                      "go to My training:\n\n{link}"),
    },
    MailKind.CANCELLATION: {
        Language.SV: ("Avbokat: {class_title} {when_short}",
                      "Hej {first_name}!\n\nDu har inte längre någon plats på {class_title} "
                      "({program}), {when}. Den bifogade kalenderfilen tar bort passet ur din "
                      "kalender. Ditt pass för klassen ser du i Min träning:\n\n{link}"),
        Language.EN: ("Cancelled: {class_title} {when_short}",
                      "Hello {first_name},\n\nYou no longer have a place in {class_title} "
                      "({program}), {when}. The attached calendar file removes the session "
                      "from your calendar. Your session of the class is in My training:\n\n"
                      "{link}"),
    },
    MailKind.REMINDER_DAY: {
        Language.SV: ("I morgon: {class_title} {when_short}",
                      "Hej {first_name}!\n\nPåminnelse: {class_title} ({program}) är {when}. "
                      "Gå in från Min träning; knappen öppnas tio minuter före start:\n\n{link}"),
        Language.EN: ("Tomorrow: {class_title} {when_short}",
                      "Hello {first_name},\n\nA reminder: {class_title} ({program}) is {when}. "
                      "Join from My training; the button opens ten minutes before the start:"
                      "\n\n{link}"),
    },
    MailKind.REMINDER_15MIN: {
        Language.SV: ("Om 15 minuter: {class_title}",
                      "Hej {first_name}!\n\n{class_title} börjar {when}. Gå in från Min "
                      "träning (knappen öppnas tio minuter före start):\n\n{link}"),
        Language.EN: ("In 15 minutes: {class_title}",
                      "Hello {first_name},\n\n{class_title} starts {when}. Join from My "
                      "training (the button opens ten minutes before the start):\n\n{link}"),
    },
    MailKind.MISSED: {
        Language.SV: ("Du missade {class_title} – välj ett annat pass",
                      "Hej {first_name}!\n\nVi saknade dig på {class_title} {when}. Klassen "
                      "är obligatorisk i {program}; välj ett annat pass i Min träning:\n\n"
                      "{link}"),
        Language.EN: ("You missed {class_title} – choose another session",
                      "Hello {first_name},\n\nWe missed you at {class_title} {when}. The class "
                      "is mandatory in {program}; choose another session in My training:\n\n"
                      "{link}"),
    },
    MailKind.PERSONAL_LINK: {
        Language.SV: ("Din länk till Min träning: {program}",
                      "Hej {first_name}!\n\nHär är din personliga länk till Min träning i "
                      "{program}. Den gäller hela programmet; dela den inte, den är din "
                      "inloggning. Äldre länkar slutar fungera.\n\n{link}"),
        Language.EN: ("Your link to My training: {program}",
                      "Hello {first_name},\n\nHere is your personal link to My training in "
                      "{program}. It is valid for the whole program; do not share it, it is "
                      "how you sign in. Older links stop working.\n\n{link}"),
    },
}


def format_when(moment: datetime, language: Language, *, short: bool = False) -> str:
    """``torsdag 14 januari 2027 kl. 09:00 (Europe/Stockholm)``; short: ``14/1 09:00``."""
    if short:
        return f"{moment.day}/{moment.month} {moment:%H:%M}"
    day, month = _DAYS[language][moment.weekday()], _MONTHS[language][moment.month - 1]
    zone = getattr(moment.tzinfo, "key", "")
    where = f" ({zone})" if zone else ""
    if language is Language.SV:
        return f"{day} {moment.day} {month} {moment.year} kl. {moment:%H:%M}{where}"
    return f"{day} {moment.day} {month} {moment.year} at {moment:%H:%M}{where}"


def render(key: str, language: Language, values: Mapping[str, object]) -> tuple[str, str]:
    """(subject, body) of a mail in ``language``, placeholders filled."""
    subject, body = TEXTS[key][language]
    filled = {k: str(v) for k, v in values.items()}
    return subject.format(**filled), body.format(**filled) + _SIGNATURE[language]
