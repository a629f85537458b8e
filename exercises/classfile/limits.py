"""How much one class or exercise file may ask for.

A class is a few KB of text that people read on a screen in a short pass;
these bounds keep a file from asking more of the server or the screens,
and the problem that refuses a value names the bound.
"""

from __future__ import annotations

__all__ = [
    "MAX_DURATION_SECONDS",
    "MAX_FILE_BYTES",
    "MAX_OPTIONS",
    "MAX_PARAMETER_CHARS",
    "MAX_SCALE_SPAN",
    "MAX_TAG_CHARS",
    "MAX_TEXT_CHARS",
    "MAX_TITLE_CHARS",
    "MAX_WORDS",
]

#: Files larger than this are refused before parsing (a class is a few KB).
MAX_FILE_BYTES = 256 * 1024
#: The longest any duration in a class file may be.
MAX_DURATION_SECONDS = 8 * 3600.0
MAX_TITLE_CHARS = 120
MAX_TEXT_CHARS = 4000
MAX_PARAMETER_CHARS = 4000
MAX_OPTIONS = 10
MAX_SCALE_SPAN = 10
MAX_WORDS = 5
MAX_TAG_CHARS = 60
