"""Deciding breakout groups for a pass (pure), beside the service that uses it.

Translates the pass's roster and the program's pairing history into the
pairing engine's terms and back. A whole round is a :class:`GroupingJob`
of plain, picklable values, so the service can form it in a worker
process (a round of a thousand trios is CPU work that would otherwise
hold the event loop); :func:`run_job` is what that worker runs. A late
joiner's place is small and found inline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import breakout
from exercises import events as ev
from exercises.errors import IllegalCommand
from exercises.regroups import earlier_meetings
from exercises.script import StepKind
from exercises.state import Group, Member, PassState

Groups = tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]
Round = tuple[tuple[breakout.Person, ...], int]  # who, and the group size
POLICY = breakout.Policy()


@dataclass(frozen=True, slots=True)
class GroupingJob:
    """One round to form, as plain values: who, what they met, how big."""

    people: tuple[breakout.Person, ...]
    meetings: tuple[tuple[str, str, str, float], ...]  # a, b, pass id, at
    size: int
    seed: int
    now: float

    @property
    def round(self) -> Round:
        return self.people, self.size


@dataclass(frozen=True, slots=True)
class Refused:
    """A round the hard constraints rule out; the message names the people."""

    message: str


def _present(state: PassState) -> list[breakout.Person]:
    return [state.roster[p].as_person() for p in sorted(state.present) if p in state.roster]


def round_of(state: PassState) -> Round | None:
    """Who the current breakout step would group, and in what size, or None
    when nothing is to be formed (not a breakout step, rooms already open,
    fewer than two present)."""
    step = state.step
    if step is None or step.kind is not StepKind.BREAKOUT or state.breakout is not None:
        return None
    try:
        people = tuple(_present(state))
    except breakout.PairingError as error:
        raise IllegalCommand(str(error), code="infeasible_grouping") from error
    return (people, step.group_size) if len(people) >= 2 else None


def grouping_job(state: PassState, history: Sequence[breakout.Meeting], *, seed: int,
                 now: float) -> GroupingJob | None:
    """The round the current breakout step would open (see :func:`round_of`)."""
    found = round_of(state)
    if found is None:
        return None
    meetings = tuple((m.a, m.b, m.pass_id, m.at) for m in history)
    return GroupingJob(found[0], meetings, found[1], seed, now)


def run_job(job: GroupingJob) -> Groups | Refused:
    """Form the round (in a worker process, or inline)."""
    history = [breakout.Meeting(a, b, pass_id, at) for a, b, pass_id, at in job.meetings]
    try:
        grouping = breakout.form_groups(job.people, history, POLICY, size=job.size,
                                        seed=job.seed, now=job.now)
    except breakout.PairingError as error:
        return Refused(str(error))
    return tuple((g.members, g.reasons) for g in grouping.groups)


def warm_up() -> None:
    """Form a round of two: run where rounds are formed, it leaves that worker
    ready (its process started, the pairing engine's code loaded)."""
    pair = (breakout.Person("warm-a"), breakout.Person("warm-b"))
    run_job(GroupingJob(pair, (), 2, 0, 0.0))


def plan_groups(state: PassState, history: Sequence[breakout.Meeting], *, seed: int,
                now: float) -> Groups:
    """Groups for the current breakout step among the people present, inline.

    Raises ``IllegalCommand`` (code ``infeasible_grouping``) naming the
    people and the constraint when no grouping keeps the hard constraints.
    """
    job = grouping_job(state, history, seed=seed, now=now)
    return groups_of(run_job(job)) if job is not None else ()


def groups_of(result: Groups | Refused) -> Groups:
    """The groups of a job's result; ``IllegalCommand`` for a refusal."""
    if isinstance(result, Refused):
        raise IllegalCommand(result.message, code="infeasible_grouping")
    return result


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
        # Someone gone from a group within their grace period is still in it
        # (they may come back); the engine must see them, or no late joiner
        # is ever placed while a partner reloads.
        people = [state.roster[p].as_person() for p in sorted(state.present | grouped)
                  if p in state.roster]
        placed, moves = breakout.add_late_joiner(
            groups, member.as_person(), people, earlier_meetings(state, history), POLICY,
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
