"""The class script: an ordered list of steps a facilitator runs.

A class (``ClassScript``) is immutable. Each ``Step`` has a kind that decides
which answer it asks for and whether it opens breakout rooms. Invariants are
checked when a value is built, so a script that exists is a script that runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from exercises.errors import InvalidScript
from exercises.text import Text

#: Seconds of warning before a role switch in a breakout exercise.
TURN_WARNING_SECONDS = 15.0
#: Default countdown between "recall" and the breakout rooms closing.
DEFAULT_RECALL_SECONDS = 30.0


class StepKind(StrEnum):
    CHECK_IN = "check-in"  # energy 1-5 plus one word
    INPUT = "input"  # the facilitator speaks
    BREAKOUT = "breakout"  # pair or trio exercise in private rooms
    REFLECTION = "reflection"  # free text
    CHECK_OUT = "check-out"  # one word
    SCALE = "scale"  # a value on a numeric scale
    POLL = "poll"  # single or multiple choice
    WORD_CLOUD = "word-cloud"  # a few words
    COMMITMENT = "commitment"  # what will I try before the next pass?
    FOLLOW_UP = "follow-up"  # did you try your last commitment?


class Visibility(StrEnum):
    """Who may see the answers to a step."""

    PRIVATE = "private"  # only the participant
    GROUP = "group"  # their breakout group
    PLENARY = "plenary"  # everyone, without names
    LEADERSHIP = "leadership"  # aggregated only, above the anonymity threshold


ANSWERED_KINDS = frozenset(
    {
        StepKind.CHECK_IN,
        StepKind.REFLECTION,
        StepKind.CHECK_OUT,
        StepKind.SCALE,
        StepKind.POLL,
        StepKind.WORD_CLOUD,
        StepKind.COMMITMENT,
        StepKind.FOLLOW_UP,
    }
)


@dataclass(frozen=True, slots=True)
class Role:
    """A role in a breakout exercise, with the card its holder reads."""

    id: str
    name: Text
    prompt: Text


#: The role of a member beyond an exercise's roles when its class names none.
OBSERVER = Role("observer", Text("Observatör", "Observer"), Text(
    "Lyssna utan att delta. Lägg märke till vad som hjälper samtalet framåt och dela en "
    "iakttagelse när turen är slut.",
    "Listen without taking part. Notice what moves the conversation forward and share one "
    "observation when the turn ends."))


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a class.

    ``duration`` is in seconds; 0 means the step has no timer. For breakouts,
    ``group_size`` is 2, 3 or 4 and ``roles`` with ``turn_seconds`` give the
    role rotation: one turn per role, each member's role moving one place on
    at every turn. A group larger than the roles (a pair exercise done as a
    trio, when the count is odd) gives each extra member ``extra_role`` (an
    observer, say), or the house's observer when the class names none: no
    role is ever held by two people at once (see ``role_of``).
    """

    id: str
    kind: StepKind
    title: Text
    prompt: Text
    duration: float = 0.0
    visibility: Visibility = Visibility.PRIVATE
    group_size: int = 2
    roles: tuple[Role, ...] = ()
    extra_role: Role | None = None
    turn_seconds: float = 0.0
    options: tuple[Text, ...] = ()
    multiple: bool = False
    scale_min: int = 1
    scale_max: int = 5
    max_words: int = 1

    def __post_init__(self) -> None:
        where = f"step {self.id!r}"
        if not self.id or not self.id.replace("-", "").replace("_", "").isalnum():
            raise InvalidScript(f"{where}: id must be letters, digits, '-' or '_'")
        if self.duration < 0:
            raise InvalidScript(f"{where}: duration must not be negative")
        if self.kind is StepKind.BREAKOUT:
            if self.group_size not in (2, 3, 4):
                raise InvalidScript(f"{where}: group_size must be 2, 3 or 4")
            if self.duration <= 0:
                raise InvalidScript(f"{where}: a breakout needs a duration")
            if self.roles and self.turn_seconds <= 0:
                raise InvalidScript(f"{where}: roles need turn_seconds")
            if self.turn_seconds * max(len(self.roles), 1) > self.duration:
                raise InvalidScript(
                    f"{where}: {len(self.roles)} turns of {self.turn_seconds:g}s "
                    f"are longer than the exercise ({self.duration:g}s)",
                    code="impossible_timing",
                )
        if self.kind is StepKind.POLL and len(self.options) < 2:
            raise InvalidScript(f"{where}: a poll needs at least two options")
        if self.kind is StepKind.SCALE and self.scale_min >= self.scale_max:
            raise InvalidScript(f"{where}: scale_min must be below scale_max")
        if self.max_words < 1:
            raise InvalidScript(f"{where}: max_words must be at least 1")

    @property
    def asks_answer(self) -> bool:
        return self.kind in ANSWERED_KINDS

    @property
    def turns(self) -> int:
        return len(self.roles) if self.roles else 0

    @property
    def third_role(self) -> Role | None:
        """The role of each member beyond the roles (None: a step without roles)."""
        return (self.extra_role or OBSERVER) if self.roles else None

    def role_of(self, position: int, size: int, turn: int) -> Role | None:
        """The role of the member at ``position`` of a group of ``size`` in ``turn``.

        The roles, then one extra role per member beyond them, rotate one
        place a turn: each of the roles is held by exactly one member at a
        time (never two "Berättare"), and the extra role by the others.
        """
        if not self.roles or not 0 <= position < size:
            return None
        cycle = list(self.roles) + [self.third_role] * max(0, size - len(self.roles))
        return cycle[(position + turn) % len(cycle)]

    def edited(self, *, title: Text | None = None, prompt: Text | None = None,
               duration: float | None = None) -> Step:
        """A copy with new text or duration, validated like the original."""
        changes: dict[str, object] = {}
        if title is not None:
            changes["title"] = title
        if prompt is not None:
            changes["prompt"] = prompt
        if duration is not None:
            changes["duration"] = duration
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class ClassScript:
    """A class: metadata and the ordered steps of a pass."""

    id: str
    version: int
    title: Text
    description: Text
    steps: tuple[Step, ...]
    duration: float = 0.0
    tags: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.steps:
            raise InvalidScript(f"class {self.id!r} has no steps")
        seen: set[str] = set()
        for step in self.steps:
            if step.id in seen:
                raise InvalidScript(f"class {self.id!r}: duplicate step id {step.id!r}",
                                    code="duplicate_id")
            seen.add(step.id)

    def index_of(self, step_id: str) -> int:
        for i, step in enumerate(self.steps):
            if step.id == step_id:
                return i
        raise InvalidScript(f"class {self.id!r} has no step {step_id!r}", code="unknown_step")

    def with_step(self, step: Step) -> ClassScript:
        """A copy with one step replaced (by id)."""
        i = self.index_of(step.id)
        return replace(self, steps=self.steps[:i] + (step,) + self.steps[i + 1:])
