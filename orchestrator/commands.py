"""Facilitator commands as values, named in one place.

Most commands are the domain's own events (``exercises.events``): the edge
parses them straight off the wire. Three need the application first, so they
are requests here: opening breakouts (the pairing engine plans the groups
from the program's history), editing a step (checked like a class file
against the current script) and joining a room (a token, not a change).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from exercises import events as ev


@dataclass(frozen=True, slots=True)
class PlanBreakouts:
    """Open the current breakout step's rooms with groups the engine plans."""


@dataclass(frozen=True, slots=True)
class EditStepText:
    """Change a step's texts or duration before the pass starts (None: keep)."""

    step_id: str
    title_sv: str | None = None
    title_en: str | None = None
    prompt_sv: str | None = None
    prompt_en: str | None = None
    duration: int | float | str | None = None


@dataclass(frozen=True, slots=True)
class JoinRoom:
    """A facilitator's token for one room of the pass (drop in, or back to main)."""

    room: str


@dataclass(frozen=True, slots=True)
class ResolveHelp:
    """Mark a help request done (it stays listed, as done)."""

    help_id: str


Command = (ev.Start | ev.Next | ev.Back | ev.Pause | ev.Resume | ev.Extend | ev.Broadcast
           | ev.Recall | ev.MovePerson | ev.SwapPeople | ev.End | PlanBreakouts | EditStepText
           | JoinRoom | ResolveHelp)

#: The name of each command, as facilitators' clients send it and audits record it.
NAMES: Mapping[type, str] = {
    ev.Start: "start", ev.Next: "next", ev.Back: "back", ev.Pause: "pause",
    ev.Resume: "resume", ev.Extend: "extend", PlanBreakouts: "open_breakouts",
    ev.Broadcast: "broadcast", ev.Recall: "recall", ev.MovePerson: "move",
    ev.SwapPeople: "swap", ev.End: "end",
    EditStepText: "edit_step", JoinRoom: "join_room", ResolveHelp: "help_done",
}

#: Fields never copied into the audit stream (free text a facilitator typed).
_UNAUDITED = frozenset({"text", "title_sv", "title_en", "prompt_sv", "prompt_en"})


def name_of(command: Command) -> str:
    return NAMES[type(command)]


def audit_of(command: Command, actor: str) -> dict[str, object]:
    """What the audit stream records of a command: its name, who, and its arguments."""
    entry: dict[str, object] = {"command": name_of(command), "actor": actor}
    for f in fields(command):
        value = getattr(command, f.name)
        if f.name not in _UNAUDITED and value is not None:
            entry[f.name] = value
    return entry
