"""Classes: the demo written as a file, and steps that ``use:`` a library exercise."""

from __future__ import annotations

import pytest

from exercises.classfile import ClassFileError, format_problem
from exercises.demo import demo_class
from exercises.script import StepKind
from tests.exercises.classfile.helpers import GOLDEN, load_class, load_class_text, minimal, parse_class


def test_golden_demo_equivalent_loads_equal_to_the_hand_built_demo() -> None:
    text = """
id: demo
version: 1
title: {sv: "Demopass: att lyssna på riktigt", en: "Demo pass: listening for real"}
description:
  sv: Ett kort pass med incheckning, input, parövning, reflektion och utcheckning.
  en: A short pass with check-in, input, pair exercise, reflection and check-out.
duration: 30m
tags: [listening, demo]
steps:
  - id: check-in
    kind: check-in
    title: {sv: Incheckning, en: Check-in}
    prompt:
      sv: "Hur mycket energi har du just nu (1–5)? Ett ord om hur du mår."
      en: "How much energy do you have right now (1–5)? One word for how you are."
    duration: 2m
    visibility: plenary
  - id: input
    kind: input
    title: {sv: "Input: aktivt lyssnande", en: "Input: active listening"}
    prompt: {sv: Facilitatorn berättar om tre nivåer av lyssnande.,
             en: The facilitator talks about three levels of listening.}
    duration: 5m
  - id: pairs
    kind: breakout
    title: {sv: "Parövning: lyssna utan att lösa", en: "Pair exercise: listen without fixing"}
    prompt:
      sv: En berättar om en utmaning, den andra lyssnar och ställer bara öppna frågor.
      en: One tells about a challenge; the other listens and only asks open questions.
    duration: 8m
    group_size: 2
    turn_duration: 3m
    roles:
      - id: speaker
        name: {sv: Berättare, en: Speaker}
        prompt: {sv: Berätta om en utmaning du har just nu.,
                 en: Tell about a challenge you have right now.}
      - id: listener
        name: {sv: Lyssnare, en: Listener}
        prompt: {sv: Lyssna. Ställ bara öppna frågor. Ge inga råd.,
                 en: Listen. Only ask open questions. Give no advice.}
    extra_role:
      id: observer
      name: {sv: Observatör, en: Observer}
      prompt:
        sv: >-
          Lyssna utan att delta. Lägg märke till vilka frågor som hjälper.
          Dela en iakttagelse när turen är slut.
        en: >-
          Listen without taking part. Notice which questions help.
          Share one observation when the turn ends.
  - id: reflection
    kind: reflection
    title: {sv: Reflektion, en: Reflection}
    prompt: {sv: "Vad märkte du när du bara fick lyssna?",
             en: "What did you notice when you could only listen?"}
    duration: 3m
    visibility: private
  - id: check-out
    kind: check-out
    title: {sv: Utcheckning, en: Check-out}
    prompt: {sv: Ett ord som du tar med dig., en: One word you take with you.}
    duration: 1m
    visibility: plenary
"""
    assert load_class_text(text, "demo.yaml") == demo_class()


# --------------------------------------------------------------------------- library use


def test_use_starts_from_the_exercise_and_applies_overrides() -> None:
    script = load_class(GOLDEN / "library-use.yaml")
    pairs = script.steps[1]
    assert (pairs.id, pairs.kind, pairs.duration, pairs.turn_seconds) == \
        ("active-listening-pairs", StepKind.BREAKOUT, 480, 180)
    assert [r.id for r in pairs.roles] == ["speaker", "listener"]
    assert script.steps[0].duration == 240


def test_an_override_that_breaks_the_exercise_timing_is_reported_at_the_override() -> None:
    text = minimal("  - use: active-listening-pairs\n    duration: 6m\n")
    with pytest.raises(ClassFileError) as caught:
        parse_class(text, "x.yaml")
    assert [format_problem(p) for p in caught.value.problems] == [
        "x.yaml:8: steps[0].duration: impossible timing: 2 turns of 4m take 8m, longer "
        "than the exercise (6m)"]


def test_use_refuses_a_kind_and_keys_that_do_not_fit_the_exercise() -> None:
    text = minimal("  - use: commitment\n    kind: poll\n    options: []\n")
    with pytest.raises(ClassFileError) as caught:
        parse_class(text, "x.yaml")
    assert [(p.line, p.field, p.message) for p in caught.value.problems] == [
        (8, "steps[0].kind", "the kind comes from the exercise; remove kind or remove use"),
        (9, "steps[0].options", "does not apply to a commitment step (only to: poll)")]
