"""The mail catalogue: every mail in Swedish and English with the same placeholders;
dates written out in the reader's language; the SMTP setting checked when read."""

from __future__ import annotations

import re
import zoneinfo
from datetime import datetime

import pytest

from exercises.gym.mail import MailKind
from exercises.gym.roster import Language
from orchestrator.errors import ConfigError
from orchestrator.gym.mailtexts import TEXTS, format_when, render
from orchestrator.settings import Settings


def holes(text: str) -> list[str]:
    return sorted(re.findall(r"\{(\w+)\}", text))


def test_every_mail_exists_in_both_languages_with_the_same_placeholders() -> None:
    kinds = {k.value for k in MailKind} - {"confirmation"}
    assert kinds | {"confirmation-enrolled", "confirmation-waiting"} == set(TEXTS)
    for key, texts in TEXTS.items():
        assert set(texts) == {Language.SV, Language.EN}, key
        (sv_subject, sv_body), (en_subject, en_body) = texts[Language.SV], texts[Language.EN]
        assert holes(sv_subject) == holes(en_subject) and holes(sv_body) == holes(en_body), key
        assert "{link}" in sv_body, f"{key}: every mail leads to Min träning"


def test_a_mail_is_rendered_in_the_readers_language() -> None:
    values = {"first_name": "Bo", "program": "Ledarskap", "link": "http://x/m#link=t",
              "class_title": "Listening", "when": "w", "when_short": "s", "minutes": 45,
              "facilitator": "Fia", "position": 2}
    subject, body = render("confirmation-waiting", Language.EN, values)
    assert subject == "Waiting list: Listening s"
    assert "number 2 on the waiting list" in body and body.endswith("please do not reply.")
    assert render("confirmation-waiting", Language.SV, values)[0] == "Väntelista: Listening s"


def test_dates_are_written_out_in_each_language() -> None:
    moment = datetime(2027, 1, 14, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Stockholm"))
    assert format_when(moment, Language.SV) == \
        "torsdag 14 januari 2027 kl. 09:00 (Europe/Stockholm)"
    assert format_when(moment, Language.EN) == \
        "Thursday 14 January 2027 at 09:00 (Europe/Stockholm)"
    assert format_when(moment, Language.SV, short=True) == "14/1 09:00"


def test_the_smtp_url_is_checked_when_read() -> None:
    assert Settings.from_env({"ONLIVE_SMTP_URL": "smtp://127.0.0.1:2525",
                              "ONLIVE_SECRET": "s" * 40}).smtp_url == "smtp://127.0.0.1:2525"
    with pytest.raises(ConfigError, match="ONLIVE_SMTP_URL"):
        Settings.from_env({"ONLIVE_SMTP_URL": "http://mail", "ONLIVE_SECRET": "s" * 40})
    assert "smtp" not in repr(Settings(smtp_url="smtp://u:secret@h:25")), "never shown"
