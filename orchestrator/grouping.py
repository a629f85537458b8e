"""Deciding breakout groups for a pass (pure), beside the service that uses it.

Translates the pass's roster and the program's pairing history into the
pairing engine's terms and back.
"""

from __future__ import annotations

from collections.abc import Sequence

import breakout
from exercises import events as ev
from exercises.errors import IllegalCommand
from exercises.regroups import earlier_meetings
from exercises.state import Group, Member, PassState

Groups = tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
POLICY = breakout.Policy()


def _present(state: PassState) -> list[breakout.Person]:
    return [state.roster[p].as_person() for p in sorted(state.present) if p in state.roster]


def plan_groups(state: PassState, history: Sequence[breakout.Meeting], *, seed: int,
                now: float) -> Groups:
    """Groups for the current breakout step among the people present.

    Raises ``IllegalCommand`` (code ``infeasible_grouping``) naming the
    people and the constraint when no grouping keeps the hard constraints.
    """
    step = state.step
    size = step.group_size if step is not None else 2
    people = _present(state)
    if len(people) < 2:
        return ()
    try:
        grouping = breakout.form_groups(people, list(history), POLICY, size=size,
                                        seed=seed, now=now)
    except breakout.PairingError as error:
        raise IllegalCommand(str(error), code="infeasible_grouping") from error
    return tuple((g.members, g.reasons) for g in grouping.groups)


def late_placement(state: PassState, member: Member, history: Sequence[breakout.Meeting],
                   now: float) -> ev.Placement | None:
    """The engine's plan for a late joiner (others may move, a group may be
    formed), or None to wait in the main room."""
    b = state.breakout
    step = state.step
    if b is None or b.recall_deadline is not None or step is None or not b.groups:
        return None
    groups = [breakout.Group(g.members, g.reasons) for g in b.groups]
    grouped = {p for g in b.groups for p in g.members}
    try:
        waiting = [state.roster[p].as_person() for p in sorted(state.present)
                   if p in state.roster and p not in grouped and p != member.id]
        placed, moves = breakout.add_late_joiner(
            groups, member.as_person(), _present(state), earlier_meetings(state, history), POLICY,
            size=step.group_size, now=now, waiting=waiting)
    except breakout.PairingError:
        return None
    if not any(m.person_id == member.id and m.to_group is not None for m in moves):
        return None
    return ev.Placement(tuple((g.members, g.reasons) for g in placed),
                        tuple((m.person_id, m.from_group, m.to_group) for m in moves
                              if m.to_group is not None))


def pairs(groups: Sequence[Group]) -> set[tuple[str, str]]:
    """Every pair (sorted ids) that shares a group: what the pairing history records."""
    out = set()
    for g in groups:
        members = sorted(g.members)
        out |= {(a, b) for i, a in enumerate(members) for b in members[i + 1:]}
    return out
