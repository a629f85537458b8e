"""Leadership insights: per program, class and question, what participants answered to
steps with ``visibility: leadership``, over every archived pass, k-anonymously.

``Insights.build`` reads who answered each question (by department, site and
level) and the chosen slice's answers, lets ``exercises.gym.insights`` decide
which slices may be shown (k is the program's), and summarises the shown
ones: scales, choices, energy and follow-ups as distributions; free texts
shuffled, without name, time or room; themes as the most frequent words. A
hidden slice carries no figure and no text. Decisions are memoised by their
inputs (who answered, k): the same counts always give the same decision.
A question is named as the newest version of its class that was asked and
still has it words it (``orchestrator.gym.questions``); when no version has
it any more, it has no title (the page says so in words, never with the
step's id).
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
from orchestrator.gym.classes import ClassLibrary
from orchestrator.gym.dashboard import TopLine
from orchestrator.gym.ports import Records
from orchestrator.gym.questions import QuestionNames
from orchestrator.gym.records import Organisation
from orchestrator.gym.reports import InsightAnswers, TopFacts

__all__ = ["InsightPage", "Insights", "Question"]

MEMO = 256


@dataclass(frozen=True, slots=True)
class Question:
    class_id: str
    class_title: Text | None  # None: the class is not in the library any more
    step_id: str
    kind: str
    # From the newest version of the class that was asked and has the step; None when
    # none has it any more (the page says so in words, never with the step's id).
    title: Text | None
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
                 names: QuestionNames | None = None,
                 clock: Callable[[], float] = time.time,
                 rng: random.Random | None = None) -> None:
        self.records = records
        self.classes = classes
        self.clock = clock
        self.rng = rng or random.SystemRandom()
        self._decisions: OrderedDict[tuple[frozenset[tuple[Cell, int]], int],
                                     frozenset[Slice]] = OrderedDict()
        self.names = names or QuestionNames(classes)

    def _shown(self, cells: Mapping[Cell, int], k: int) -> frozenset[Slice]:
        key = (frozenset(cells.items()), k)
        if key in self._decisions:
            self._decisions.move_to_end(key)
            return self._decisions[key]
        decided = self._decisions[key] = rules.shown(cells, k)
        if len(self._decisions) > MEMO:
            self._decisions.popitem(last=False)
        return decided

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
            title: Text | None = None
            step: Step | None = None
            if class_id in facts.versions:
                title, step = await self.names.step(org_id, class_id, step_id,
                                                   facts.versions[class_id],
                                                   params.get(class_id, {}))
            summary = None
            if slice_ in visible:
                people = sum(n for cell, n in cells.items() if slice_.matches(cell))
                key = (class_id, step_id)
                summary = rules.summarise(kind, facts.counts.get(key, {}),
                                          facts.texts.get(key, ()), facts.words.get(key, {}),
                                          people, self.rng)
            questions.append(Question(
                class_id, title, step_id, kind, step.title if step else None,
                step.prompt if step else None, step.options if step else (), summary))
        every = [cell for cells in facts.cells.values() for cell in cells]
        return InsightPage(
            program.id, program.name, k, slice_,
            tuple(sorted({c[0] for c in every})), tuple(sorted({c[1] for c in every})),
            tuple(sorted({c[2] for c in every})), tuple(questions),
            TopLine(top.month, top.top, top.trained, org.top_warning_percent))
