"""Class files: the YAML format facilitators write, read with line numbers.

A class file is one YAML mapping::

    id: listening-for-real          # letters, digits, '-' or '_'
    version: 1                      # a whole number; bump it when you change the class
    title: {sv: Att lyssna på riktigt, en: Listening for real}
    description: {sv: ..., en: ...}
    duration: 45m                   # the intended length of the pass
    tags:                           # a list of themes, or a mapping of these four lists
      themes: [listening]
      goals: [customer-focus]       # the organisation's business goals
      values: [openness]            # its values
      philosophy: [trust]           # its leadership philosophy
    parameters:                     # texts the organisation supplies per pass
      leadership_philosophy:
        title: {sv: ..., en: ...}
        example: {sv: ..., en: ...} # optional: shown as a hint
        default: {sv: ..., en: ...} # optional: a parameter without one is required
    steps:
      - use: tune-the-frequency     # a library exercise ...
        duration: 4m                # ... with any of its fields overridden
      - id: input                   # or a step written out in full
        kind: input
        title: {sv: ..., en: ...}
        prompt: {sv: "Vår filosofi: {leadership_philosophy}", en: "..."}
        duration: 5m

An exercise file (``exercises/library/exercises/*.yaml``) is one step written
out in full plus ``trains`` (what it trains, sv/en), optional ``tags`` and
optional ``parameters``. A class step with ``use: <exercise id>`` starts from
that exercise (its id defaults to the exercise's id) and replaces any field it
names; the exercise's parameters become the class's.

Step keys: ``id``, ``kind`` (check-in, input, breakout, reflection,
check-out, scale, poll, word-cloud, commitment, follow-up), ``title``,
``prompt``, ``duration``; for steps that ask an answer ``visibility``
(private, group, plenary, leadership); for breakouts ``group_size`` (2-4),
``roles`` (a list of ``{id, name, prompt}``), ``extra_role`` (one ``{id,
name, prompt}``: the role of each member beyond the roles, such as the third
person of a pair exercise done as a trio; without it they observe) and
``turn_duration``; for polls
``options`` (a list of texts) and ``multiple``; for scales ``scale_min`` and
``scale_max``; for word clouds ``max_words``.

Durations are whole numbers with a unit, largest first: ``90s``, ``3m``,
``1h``, ``1m30s``, ``1h15m``. A bare number is refused because nobody can
tell whether ``90`` means seconds or minutes.

Every text is a mapping with a non-empty ``sv`` and ``en``. Texts may name a
parameter as ``{leadership_philosophy}``; write ``{{`` and ``}}`` for literal
braces.

Validation collects every problem in a file rather than stopping at the
first: each ``Problem`` names the file, the line, the field path
(``steps[2].duration``, 0-based) and what was expected. This is the only
package of the domain that imports ``yaml``.

Everything here works on text and never touches the disk: the built-in
library (:mod:`exercises.library`) reads its own packaged files, and the
application (``orchestrator.classfiles``) reads the files a user names.
``use:`` resolves against an exercise index passed in by the caller, so
this package never imports the library that is built from it.
"""

from __future__ import annotations

from exercises.classfile.check import Checked, check_text
from exercises.classfile.durations import format_duration, parse_duration
from exercises.classfile.edit import edit_step
from exercises.classfile.exercise import Exercise, parse_exercise
from exercises.classfile.limits import MAX_FILE_BYTES
from exercises.classfile.parameters import Parameter
from exercises.classfile.problems import ClassFileError, Problem, format_problem
from exercises.classfile.template import ClassTemplate, load_class_text, parse_class

__all__ = [
    "MAX_FILE_BYTES",
    "Checked",
    "ClassFileError",
    "ClassTemplate",
    "Exercise",
    "Parameter",
    "Problem",
    "check_text",
    "edit_step",
    "format_duration",
    "format_problem",
    "load_class_text",
    "parse_class",
    "parse_duration",
    "parse_exercise",
]
