"""The organisation's class library: versions of classes in today's class-file YAML.

A class enters an organisation's library from the built-in library, from a
class file (``onlive class publish``, an import on the class page) or from
the class page's editor; saving changed text makes a new version, never an
edit, and a scheduled session keeps the version it was scheduled with.

The class page edits a *draft* (:mod:`exercises.classfile.draft`): a class
from the library, a copy of one, or a new one built from the built-in
exercises. A draft is saved only when it is valid as a class file, and only
on top of the version it started from (``Conflict`` ``class_changed``
otherwise). Errors: ``ClassFileError`` listing every problem with its code,
``NotFound`` ``unknown_class``, ``Conflict`` ``class_exists`` /
``class_changed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from exercises import library
from exercises.classfile import ClassFileError, Problem, load_class_text, parse_class
from exercises.classfile.draft import DraftCheck, check_draft, draft_of, draft_text, step_draft
from exercises.script import ClassScript
from exercises.text import Text
from orchestrator.errors import NotFound
from orchestrator.gym.classrecords import ClassEntry, VersionEntry
from orchestrator.gym.ports import ClassEditorStore, ClassStore
from orchestrator.gym.records import ClassVersion

LIBRARY_AUTHOR = "library"


class LibraryStore(ClassStore, ClassEditorStore, Protocol):
    """What the class library needs of the system of record."""


@dataclass(frozen=True, slots=True)
class BuiltIn:
    """A class of the built-in library (not yet in the organisation's, or also there)."""

    class_id: str
    title: Text
    duration_s: int


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The class page's list: the organisation's classes, then the built-in ones it lacks."""

    classes: tuple[ClassEntry, ...]
    built_in: tuple[BuiltIn, ...]


@dataclass(frozen=True, slots=True)
class OpenedClass:
    """A class opened on the class page: its draft, the version it starts from (None:
    a built-in class not yet in the organisation's library) and its versions."""

    draft: Mapping[str, Any]
    based_on: int | None
    history: tuple[VersionEntry, ...]


@dataclass(frozen=True, slots=True)
class LibraryExercise:
    """A built-in exercise as a step the page can add (``use`` set), with what it trains."""

    step: Mapping[str, Any]
    trains: Text


class ClassLibrary:
    def __init__(self, records: LibraryStore) -> None:
        self.records = records

    async def publish(self, org_id: str, text: str, file: str, *,
                      created_by: str, source: str = "file") -> ClassVersion:
        """Save a class file's text as the class's next version (``ClassFileError`` if invalid)."""
        template = parse_class(text, file, library.exercise_index())
        script = template.script
        return await self.records.save_class_version(
            org_id, script.id, text, title=script.title, duration_s=max(1, round(script.duration)),
            created_by=created_by, source=source)

    async def ensure(self, org_id: str, class_id: str) -> ClassVersion:
        """The class's latest version, taken from the built-in library if the organisation
        does not have it yet."""
        try:
            return await self.records.class_version(org_id, class_id)
        except NotFound:
            pass
        summary = next((c for c in library.list_classes() if c.id == class_id), None)
        if summary is None:
            known = ", ".join(c.id for c in library.list_classes())
            raise NotFound(f"no class {class_id!r} in the library of {org_id!r} or the built-in "
                           f"one (built in: {known}); add a class file first",
                           code="unknown_class")
        text = Path(summary.file).read_text(encoding="utf-8")
        return await self.publish(org_id, text, summary.file, created_by=LIBRARY_AUTHOR,
                                  source="library")

    async def script(self, org_id: str, class_id: str, version: int,
                     parameters: Mapping[str, str]) -> ClassScript:
        """The runnable class of one stored version, parameters filled."""
        stored = await self.records.class_version(org_id, class_id, version)
        return load_class_text(stored.yaml, f"{class_id} (version {version})", parameters,
                               exercises=library.exercise_index())

    # -- the class page ---------------------------------------------------------------

    async def catalogue(self, org_id: str) -> Catalogue:
        classes = await self.records.class_catalogue(org_id)
        have = {c.class_id for c in classes}
        built_in = tuple(BuiltIn(c.id, c.title, round(c.duration))
                         for c in library.list_classes() if c.id not in have)
        return Catalogue(tuple(classes), built_in)

    @staticmethod
    def exercises() -> tuple[LibraryExercise, ...]:
        return tuple(LibraryExercise(step_draft(e.step, e.id), e.trains)
                     for e in library.list_exercises())

    async def open(self, org_id: str, class_id: str, version: int | None = None) -> OpenedClass:
        """A class of the organisation (its latest version, or ``version``), else a
        built-in one, as a draft."""
        try:
            stored = await self.records.class_version(org_id, class_id, version)
        except NotFound:
            if version is not None:
                raise
            summary = next((c for c in library.list_classes() if c.id == class_id), None)
            if summary is None:
                raise
            text = Path(summary.file).read_text(encoding="utf-8")
            return OpenedClass(draft_of(text, summary.file, library.exercise_index()), None, ())
        history = tuple(await self.records.class_history(org_id, class_id))
        latest = history[0].version if history else stored.version
        return OpenedClass(draft_of(stored.yaml, f"{class_id} (version {stored.version})",
                                    library.exercise_index()), latest, history)

    @staticmethod
    def check(draft: object, based_on: int | None) -> DraftCheck:
        """Every problem of a draft, as the file it would be saved as."""
        return check_draft(draft, (based_on or 0) + 1, library.exercise_index())

    async def save(self, org_id: str, draft: object, *, based_on: int | None, created_by: str,
                   copied_from: str | None = None) -> tuple[ClassVersion, bool]:
        """Save a valid draft as the next version (``based_on`` None: a new class) and
        say whether it changed anything. ``ClassFileError`` lists every problem."""
        checked = self.check(draft, based_on)
        if not checked.ok or checked.text is None or checked.template is None:
            raise ClassFileError(checked.problems or [Problem("class draft", 0, "", "not a class")])
        script = checked.template.script
        if based_on is not None:
            # Saving what was opened, unchanged, is no new version.
            opened = await self.records.class_version(org_id, script.id, based_on)
            if opened.yaml == draft_text(draft, based_on, library.exercise_index()):
                return opened, False
        if based_on is None and any(s.id == script.id for s in library.list_classes()):
            # Opening a built-in class and saving it brings it into the library as is.
            copied_from = None
        return await self.records.save_edited_class(
            org_id, script.id, checked.text, title=script.title,
            duration_s=max(1, round(script.duration)), created_by=created_by, source="editor",
            based_on=based_on, copied_from=copied_from)

    async def export(self, org_id: str, class_id: str, version: int | None = None) -> ClassVersion:
        """The stored text of a version (the latest when None), today's class-file format."""
        return await self.records.class_version(org_id, class_id, version)

    async def import_text(self, org_id: str, text: str, *, created_by: str) -> ClassVersion:
        """A class file's text as the class's next version (a new class, or the next
        version of one); ``ClassFileError`` if invalid, and nothing is saved."""
        return await self.publish(org_id, text, "import", created_by=created_by, source="import")
