"""Changing the groups of an open breakout: a leaver's regroup, a late joiner's place.

Pure helpers of :mod:`exercises.reducer`. Both take the pairing engine's
plan (groups and moves as data) and turn it into the new groups and the
effects. A group that grows gets a fresh room (LiveKit cannot raise a
room's limit), so its members reconnect once; a group that shrinks or
keeps its size keeps its room, so nobody left in it is disturbed; a group
that empties is closed; a new group gets a room whose name this round has
never used (a token for a closed room must never open a new one).

A regroup the engine cannot find (a hard constraint, or bad data) never
stops the clock: the leaver is taken out, the one left behind stays in
their room and the group is marked ``alone`` for the facilitator, who
moves someone by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import breakout
from breakout.rooms import breakout_parts, breakout_room
from exercises import events as ev
from exercises.effects import CloseRooms, CreateRooms, Effect, RemoveFromRoom, RoomSpec, SendAssignments
from exercises.state import Breakout, Group, PassState

__all__ = ["ALONE", "earlier_meetings", "grown_room", "place_late_joiner", "regroup_leaver",
           "room_specs"]

#: Reason code of a group left with one person because no regroup keeps
#: the hard constraints; the facilitator moves someone by hand.
ALONE = "alone"

Planned = tuple[tuple[str, ...], tuple[str, ...]]  # members, reason codes


def room_specs(groups: Sequence[Group]) -> tuple[RoomSpec, ...]:
    # One seat more than the group, for a facilitator who drops in.
    return tuple(RoomSpec(g.room, len(g.members) + 1) for g in groups)


def grown_room(state: PassState, b: Breakout, index: int) -> str:
    """The next room of group ``index``: its own number, one generation on."""
    room = b.groups[index].room
    parts = breakout_parts(room)
    group_no, generation = (parts[1], parts[2]) if parts else (index + 1, 0)
    return breakout_room(state.id, b.round_no, group_no, generation + 1)


def earlier_meetings(state: PassState,
                     meetings: Sequence[breakout.Meeting]) -> list[breakout.Meeting]:
    """The meetings before the open round. Its own pairs are recorded as it
    opens; to a change of the round they are not history (else every group
    would read as a repeat, and breaking one up as a gain)."""
    b = state.breakout
    if b is None:
        return list(meetings)
    return [m for m in meetings if m.pass_id != state.id or m.at < b.opened_at]


def regroup_leaver(state: PassState, person: str, meetings: Sequence[breakout.Meeting],
                   now: float) -> tuple[PassState, list[Effect]]:
    """Take a participant who did not come back out of their group, leaving
    nobody alone, away from earlier partners in ``meetings``."""
    b = state.breakout
    step = state.step
    assert b is not None and step is not None
    b = replace(b, leaving={k: v for k, v in b.leaving.items() if k != person})
    try:
        people = [m.as_person() for m in state.roster.values()
                  if b.group_of(m.id) is not None and m.id != person]
        placed, moves = breakout.remove_leaver(
            [breakout.Group(g.members, g.reasons) for g in b.groups], person, people,
            earlier_meetings(state, meetings), breakout.Policy(), size=step.group_size, now=now)
    except breakout.PairingError:
        return _leave_alone(state, b, person)
    # The engine drops a group only when everyone in it moved out.
    out_of = {(m.person_id, m.from_group) for m in moves}
    kept = [i for i, g in enumerate(b.groups) if not all((p, i) in out_of for p in g.members)]
    if len(kept) != len(placed):
        return _leave_alone(state, b, person)
    after: list[Planned | None] = [None] * len(b.groups)
    for i, group in zip(kept, placed):
        after[i] = (group.members, group.reasons)
    return _apply(state, b, after, [], gone=person)


def place_late_joiner(state: PassState, b: Breakout, joiner: str,
                      placement: ev.Placement) -> tuple[PassState, list[Effect]] | None:
    """Carry out the engine's plan for ``joiner``; None when it does not
    fit the open groups (anyone moved or absent, a changed group of one),
    so they wait."""
    count = len(b.groups)
    if len(placement.groups) < count:
        return None
    grid = [list(g.members) for g in b.groups] + [[] for _ in placement.groups[count:]]
    grouped = {p for g in b.groups for p in g.members}
    for person, src, dst in placement.moves:
        if person not in state.present or not 0 <= dst < len(grid):
            return None
        if src is None:
            if person in grouped:
                return None
        elif not 0 <= src < count or person not in grid[src]:
            return None
        else:
            grid[src].remove(person)
        grouped.add(person)
        grid[dst].append(person)
    planned = [members for members, _ in placement.groups]
    before = [g.members for g in b.groups] + [() for _ in placement.groups[count:]]
    if joiner not in grouped or any(sorted(g) != sorted(p) or (len(p) < 2 and p != old)
                                    for g, p, old in zip(grid, planned, before)):
        return None
    # The joiner comes last in their group: nobody already there changes
    # position (their exercise role), and the joiner's card can say they came late.
    def last(planned: Planned) -> Planned:
        members, reasons = planned
        if joiner not in members:
            return planned
        return tuple(m for m in members if m != joiner) + (joiner,), reasons

    after: list[Planned | None] = [last(p) for p in placement.groups[:count]]
    return _apply(state, b, after, [last(p) for p in placement.groups[count:]], gone=None)


def _apply(state: PassState, b: Breakout, after: list[Planned | None], extra: list[Planned],
           gone: str | None) -> tuple[PassState, list[Effect]]:
    """New groups in place of ``b``'s (None: closed) plus ``extra`` new ones."""
    effects: list[Effect] = []
    home = b.group_of(gone) if gone is not None else None
    if home is not None and gone is not None:
        effects.append(RemoveFromRoom(home[1].room, gone))
    groups: list[Group] = []
    fresh: list[Group] = []
    told: set[str] = set()
    stale: list[str] = []
    for i, (old, new) in enumerate(zip(b.groups, after)):
        if new is None:
            stale.append(old.room)
            continue
        members, reasons = new
        if len(members) > len(old.members):
            grown = Group(grown_room(state, b, i), members, reasons)
            groups.append(grown)
            fresh.append(grown)
            told |= set(members)
            stale.append(old.room)
        else:
            # The room still has a seat for everyone: whoever stays, stays put.
            groups.append(Group(old.room, members, reasons))
            if set(members) != set(old.members) - {gone}:
                told |= set(members)
    # A number above every open group's, one generation above any its rooms
    # can have had: every generation so far came with its own version.
    top = max((p[1] for g in b.groups if (p := breakout_parts(g.room))), default=len(b.groups))
    for j, (members, reasons) in enumerate(extra):
        made = Group(breakout_room(state.id, b.round_no, top + 1 + j, state.version + 1),
                     members, reasons)
        groups.append(made)
        fresh.append(made)
        told |= set(members)
    if fresh:
        effects.append(CreateRooms(room_specs(fresh)))
    if told:
        effects.append(SendAssignments(tuple(sorted(told))))
    if stale:
        effects.append(CloseRooms(tuple(stale)))
    return replace(state, breakout=replace(b, groups=tuple(groups))), effects


def _leave_alone(state: PassState, b: Breakout, person: str) -> tuple[PassState, list[Effect]]:
    """No regroup: take the leaver out and mark a group left with one person."""
    found = b.group_of(person)
    if found is None:
        return replace(state, breakout=b), []
    i, home = found
    rest = tuple(m for m in home.members if m != person)
    groups = list(b.groups)
    effects: list[Effect] = [RemoveFromRoom(home.room, person)]
    if rest:
        reasons = home.reasons + (ALONE,) if len(rest) == 1 else home.reasons
        groups[i] = replace(home, members=rest, reasons=tuple(dict.fromkeys(reasons)))
        effects.append(SendAssignments(rest))
    else:
        del groups[i]
        effects.append(CloseRooms((home.room,)))
    return replace(state, breakout=replace(b, groups=tuple(groups))), effects
