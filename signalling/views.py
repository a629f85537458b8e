"""What each role sees of a pass, built from the state by pure functions.

The shared view is the same for every participant of a pass, so it is built
and broadcast once per change. Personal data (assignment, own answers) is
sent to one person only, and only when it changes.
"""

from __future__ import annotations

from typing import Any

from exercises.script import Step
from exercises.state import PassState, Phase


def step_view(step: Step, index: int) -> dict[str, Any]:
    view: dict[str, Any] = {
        "index": index,
        "id": step.id,
        "kind": step.kind.value,
        "title": step.title.to_wire(),
        "prompt": step.prompt.to_wire(),
        "duration": step.duration,
        "visibility": step.visibility.value,
        "asks_answer": step.asks_answer,
    }
    if step.roles:
        view["roles"] = [{"id": r.id, "name": r.name.to_wire(), "prompt": r.prompt.to_wire()}
                         for r in step.roles]
        view["turn_seconds"] = step.turn_seconds
    if step.options:
        view["options"] = [o.to_wire() for o in step.options]
        view["multiple"] = step.multiple
    if step.kind.value == "scale":
        view["scale"] = [step.scale_min, step.scale_max]
    if step.kind.value == "word-cloud":
        view["max_words"] = step.max_words
    return view


def shared_view(state: PassState, now: float) -> dict[str, Any]:
    """Everything every participant of the pass may see; no personal data."""
    b = state.breakout
    step = state.step
    return {
        "pass": state.id,
        "version": state.version,
        "server_now": now,
        "phase": state.phase.value,
        "title": state.script.title.to_wire(),
        "outline": [{"id": s.id, "kind": s.kind.value, "title": s.title.to_wire()}
                    for s in state.script.steps],
        "step": step_view(step, state.step_index) if step is not None else None,
        "timer": {
            "deadline": state.deadline,
            "time_up": state.time_up,
            "paused_at": state.paused_at,
        },
        "rooms": {
            "state": state.rooms_state.value,
            "round": b.round_no if b else None,
            "deadline": b.deadline if b else None,
            "recall_deadline": b.recall_deadline if b else None,
            "turn": b.turn if b else None,
            "turn_deadline": b.turn_deadline if b else None,
        },
        "message": ({"text": state.message.text, "at": state.message.at,
                     "rooms": list(state.message.rooms)} if state.message else None),
        "present": len(state.present),
    }


def placement(state: PassState, person_id: str) -> dict[str, Any]:
    """Where a participant belongs now: room, group and exercise position."""
    if state.phase is Phase.ENDED:
        return {"kind": "none", "room": None, "members": [], "group": None, "position": None,
                "reasons": []}
    b = state.breakout
    found = b.group_of(person_id) if b is not None else None
    if found is None:
        return {"kind": "main", "room": state.main_room, "members": [], "group": None,
                "position": None, "reasons": []}
    index, group = found
    members = [{"id": m, "name": state.roster[m].name if m in state.roster else m}
               for m in group.members]
    return {"kind": "breakout", "room": group.room, "members": members, "group": index,
            "position": group.members.index(person_id), "reasons": list(group.reasons)}


def facilitator_extra(state: PassState, presence: dict[str, str],
                      quality: dict[str, str] | None = None) -> dict[str, Any]:
    """The roster and the breakout board, for facilitators of this pass only."""
    b = state.breakout
    roster = [{"id": m.id, "name": m.name, "department": m.department, "site": m.site,
               "connected": m.id in state.present, "room": presence.get(m.id),
               "quality": (quality or {}).get(m.id)}
              for m in sorted(state.roster.values(), key=lambda m: m.name.lower())]
    groups = ([{"index": i, "room": g.room, "members": list(g.members), "reasons": list(g.reasons)}
               for i, g in enumerate(b.groups)] if b else [])
    script = [step_view(step, i) for i, step in enumerate(state.script.steps)]
    return {"roster": roster, "groups": groups, "main_room": state.main_room, "script": script}
