"""Read models of the class page: the organisation's classes and their versions.

Frozen values with no I/O; the PostgreSQL adapter builds them from rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from exercises.text import Text

__all__ = ["ClassEntry", "VersionEntry"]


@dataclass(frozen=True, slots=True)
class ClassEntry:
    """One class of the organisation's library, by its latest version."""

    class_id: str
    version: int
    title: Text
    duration_s: int
    saved_by: str
    saved_at: datetime
    copied_from: str | None
    upcoming_sessions: int  # scheduled or open sessions, of any version


@dataclass(frozen=True, slots=True)
class VersionEntry:
    """One saved version of a class, and how many sessions still to come run it."""

    version: int
    saved_by: str
    saved_at: datetime
    source: str  # "file", "library", "editor" or "import"
    based_on: int | None
    upcoming_sessions: int
