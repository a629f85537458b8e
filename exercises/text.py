"""Bilingual text: everything a person reads exists in Swedish and English."""

from __future__ import annotations

from dataclasses import dataclass

from exercises.errors import InvalidScript

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"


@dataclass(frozen=True, slots=True)
class Text:
    """A text in both languages; Swedish is the default."""

    sv: str
    en: str

    def __post_init__(self) -> None:
        if not self.sv.strip() or not self.en.strip():
            raise InvalidScript(
                f"text needs both Swedish and English, got sv={self.sv!r} en={self.en!r}",
                code="missing_translation",
            )

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.sv

    def format(self, **values: str) -> Text:
        """Fill ``{name}`` placeholders in both languages."""
        return Text(self.sv.format(**values), self.en.format(**values))


def both(text: str) -> Text:
    """The same text in both languages (names, numbers)."""
    return Text(text, text)
