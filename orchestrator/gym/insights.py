"""Leadership insights: per program, class and question, what participants answered to
steps with ``visibility: leadership``, over every archived pass, k-anonymously.

``Insights.build`` reads who answered each question (by department, site and
level) and the chosen slice's answers, lets ``exercises.gym.insights`` decide
which slices may be shown (k is the program's), and summarises the shown
ones: scales, choices, energy and follow-ups as distributions; free texts
shuffled, without name, time or room; themes as the most frequent words. A
hidden slice carries no figure and no text. Decisions are memoised by their
inputs (who answered, k): the same counts always give the same decision.
Class versions are immutable, so their questions are kept once read.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import cast

from exercises.gym import insights as rules
from exercises.gym.insights import Cell, Slice, Summary
from exercises.script import Step
from exercises.text import Text
from orchestrator.errors import NotFound
from orchestrator.gym.classes import ClassLibrary
from orchestrator.gym.dashboard import TopLine
from orchestrator.gym.ports import Records
from orchestrator.gym.records import Organisation
from orchestrator.gym.reports import InsightAnswers, TopFacts

__all__ = ["InsightPage", "Insights", "Question"]

MEMO = 256


@dataclass(frozen=True, slots=True)
class Question:
    class_id: str
    class_title: Text
    step_id: str
    kind: str
    title: Text
    prompt: Text | None
    options: tuple[Text, ...]
    summary: Summary | None  # None: hidden in this slice (fewer than k, or subtractable)


@dataclass(frozen=True, slots=True)
class InsightPage:
    program_id: str
    program_name: str
    anonymity_k: int
    slice: Slice
    departments: tuple[str, ...]
    sites: tuple[str, ...]
    levels: tuple[str, ...]
    questions: tuple[Question, ...]
    top: TopLine


class Insights:
    def __init__(self, records: Records, classes: ClassLibrary, *,
                 clock: Callable[[], float] = time.time,
                 rng: random.Random | None = None) -> None:
        self.records = records
        self.classes = classes
        self.clock = clock
        self.rng = rng or random.SystemRandom()
        self._decisions: OrderedDict[tuple[frozenset[tuple[Cell, int]], int],
                                     frozenset[Slice]] = OrderedDict()
        self._steps: dict[tuple[str, str, int], tuple[Text, dict[str, Step]]] = {}

    def _shown(self, cells: Mapping[Cell, int], k: int) -> frozenset[Slice]:
        key = (frozenset(cells.items()), k)
        if key in self._decisions:
            self._decisions.move_to_end(key)
            return self._decisions[key]
        decided = self._decisions[key] = rules.shown(cells, k)
        if len(self._decisions) > MEMO:
            self._decisions.popitem(last=False)
        return decided

    async def _questions_of(self, org_id: str, class_id: str, version: int,
                            parameters: Mapping[str, str]) -> tuple[Text, dict[str, Step]]:
        key = (org_id, class_id, version)
        if key not in self._steps:
            script = await self.classes.script(org_id, class_id, version, parameters)
            self._steps[key] = (script.title, {s.id: s for s in script.steps})
        return self._steps[key]

    async def build(self, org_id: str, program_id: str, slice_: Slice) -> InsightPage:
        # Side by side; an error is the first one in this order (the program's, then the
        # organisation's), whichever came first.
        outcomes = await asyncio.gather(
            self.records.insight_answers(org_id, program_id, slice_),
            self.records.top_facts(org_id, datetime.fromtimestamp(self.clock(), timezone.utc)),
            self.records.org(org_id), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        facts, top, org = cast(tuple[InsightAnswers, TopFacts, Organisation], outcomes)
        program = facts.program
        k = program.anonymity_k
        params = {c.class_id: c.parameters for c in reversed(program.classes)}
        questions = []
        for class_id, step_id, kind in facts.questions:
            cells = facts.cells[(class_id, step_id)]
            visible = self._shown(cells, k)
            title, steps = Text(class_id, class_id), dict[str, Step]()
            if class_id in facts.versions:
                try:
                    title, steps = await self._questions_of(
                        org_id, class_id, facts.versions[class_id], params.get(class_id, {}))
                except NotFound:
                    pass
            step = steps.get(step_id)
            summary = None
            if slice_ in visible:
                people = sum(n for cell, n in cells.items() if slice_.matches(cell))
                key = (class_id, step_id)
                summary = rules.summarise(kind, facts.counts.get(key, {}),
                                          facts.texts.get(key, ()), facts.words.get(key, {}),
                                          people, self.rng)
            questions.append(Question(
                class_id, title, step_id, kind, step.title if step else Text(step_id, step_id),
                step.prompt if step else None, step.options if step else (), summary))
        every = [cell for cells in facts.cells.values() for cell in cells]
        return InsightPage(
            program.id, program.name, k, slice_,
            tuple(sorted({c[0] for c in every})), tuple(sorted({c[1] for c in every})),
            tuple(sorted({c[2] for c in every})), tuple(questions),
            TopLine(top.month, top.top, top.trained, org.top_warning_percent))
