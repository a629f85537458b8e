"""The words of the questions people answered: a step's title, prompt and options, read
from the class version that asked it.

Answers are stored by step id; pages show them by what was asked. A class's
versions never change once saved, so each version's steps are read once and
kept. When the version a page names no longer has a step (a later version
dropped it), the newest earlier version that has it words it; when none
does, there are no words, and the page says in its own words what kind of
question it was, never the step's id.
"""

from __future__ import annotations

from collections.abc import Mapping

from exercises.script import Step
from exercises.text import Text
from orchestrator.errors import NotFound
from orchestrator.gym.classes import ClassLibrary

__all__ = ["QuestionNames"]

#: How many versions of a class are searched, newest first, for a question it lost.
MAX_VERSIONS_BACK = 200


class QuestionNames:
    def __init__(self, classes: ClassLibrary) -> None:
        self.classes = classes
        self._steps: dict[tuple[str, str, int], tuple[Text, dict[str, Step]]] = {}
        self._found: dict[tuple[str, str, str, int], tuple[Text | None, Step | None]] = {}

    async def version(self, org_id: str, class_id: str, version: int,
                      parameters: Mapping[str, str]) -> tuple[Text, dict[str, Step]]:
        """The class's title and its steps by id, as ``version`` has them."""
        key = (org_id, class_id, version)
        if key not in self._steps:
            script = await self.classes.script(org_id, class_id, version, parameters)
            self._steps[key] = (script.title, {s.id: s for s in script.steps})
        return self._steps[key]

    async def step(self, org_id: str, class_id: str, step_id: str, latest: int,
                   parameters: Mapping[str, str]) -> tuple[Text | None, Step | None]:
        """The class's title and the step as the newest version up to ``latest`` that has
        it words it (None for either that no version has)."""
        key = (org_id, class_id, step_id, latest)
        if key in self._found:
            return self._found[key]
        title: Text | None = None
        step: Step | None = None
        for version in range(latest, max(0, latest - MAX_VERSIONS_BACK), -1):
            try:
                named, steps = await self.version(org_id, class_id, version, parameters)
            except NotFound:
                continue
            title = title or named
            if step_id in steps:
                step = steps[step_id]
                break
        self._found[key] = (title, step)
        return title, step
