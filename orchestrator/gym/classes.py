"""The organisation's class library: versions of classes in today's class-file YAML.

A class enters an organisation's library from the built-in library or from a
class file; saving changed text makes a new version, never an edit, and a
scheduled session keeps the version it was scheduled with.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from exercises import library
from exercises.classfile import load_class_text, parse_class
from exercises.script import ClassScript
from orchestrator.errors import NotFound
from orchestrator.gym.ports import ClassStore
from orchestrator.gym.records import ClassVersion

LIBRARY_AUTHOR = "library"


class ClassLibrary:
    def __init__(self, records: ClassStore) -> None:
        self.records = records

    async def publish(self, org_id: str, text: str, file: str, *,
                      created_by: str) -> ClassVersion:
        """Save a class file's text as the class's next version (``ClassFileError`` if invalid)."""
        template = parse_class(text, file, library.exercise_index())
        script = template.script
        return await self.records.save_class_version(
            org_id, script.id, text, title=script.title, duration_s=max(1, round(script.duration)),
            created_by=created_by)

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
        return await self.publish(org_id, text, summary.file, created_by=LIBRARY_AUTHOR)

    async def script(self, org_id: str, class_id: str, version: int,
                     parameters: Mapping[str, str]) -> ClassScript:
        """The runnable class of one stored version, parameters filled."""
        stored = await self.records.class_version(org_id, class_id, version)
        return load_class_text(stored.yaml, f"{class_id} (version {version})", parameters,
                               exercises=library.exercise_index())
