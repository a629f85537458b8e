"""The one pure transition function of a pass.

``reduce(state, event, now) -> (state, effects)`` validates first and changes
nothing on refusal: an ``IllegalCommand`` names the current state. A change
bumps ``version`` by one; an event that changes nothing (a ``Tick`` with
nothing due, a repeated ``Join``) returns the same state and no effects.
"""

from __future__ import annotations

from dataclasses import replace

from breakout.rooms import breakout_room
from exercises import events as ev
from exercises.effects import (
    CloseRooms,
    CreateRooms,
    Cue,
    Effect,
    RemoveFromRoom,
    ScheduleTimer,
    SendAssignments,
)
from exercises.errors import IllegalCommand, InvalidScript
from exercises.regroups import grown_room, place_late_joiner, regroup_leaver, room_specs
from exercises.script import DEFAULT_RECALL_SECONDS, TURN_WARNING_SECONDS, StepKind
from exercises.state import Breakout, Group, Message, PassPresent, PassRoster, PassState, Phase
from exercises.text import Text

Effects = list[Effect]

#: How long a participant may be gone from an open breakout (a reload, a
#: network drop) before their group is rearranged so nobody is left alone.
LEAVE_GRACE_SECONDS = 20.0

CUE_TIME_UP = Text("Tiden är ute", "Time is up")
CUE_TURN_WARNING = Text("15 sekunder kvar av turen", "15 seconds left in this turn")
CUE_SWITCH = Text("Byt roller", "Switch roles")
CUE_RECALL = Text("Vi samlas igen i storgruppen om {seconds} s",
                  "Back to the main room in {seconds} s")
CUE_EXTENDED = Text("Tiden förlängdes {minutes} min", "Time extended by {minutes} min")


def next_deadline(state: PassState) -> float | None:
    """The earliest moment something is due, or None (also while paused)."""
    if state.paused_at is not None or state.phase is not Phase.RUNNING:
        return None
    due = list(state.deadlines())
    b = state.breakout
    if b is not None and b.recall_deadline is None and b.turn_deadline is not None \
            and not b.turn_warned:
        due.append(b.turn_deadline - TURN_WARNING_SECONDS)
    return min(due) if due else None


def reduce(state: PassState, event: ev.Event, now: float) -> tuple[PassState, list[Effect]]:
    """Apply one event. Raises ``IllegalCommand`` (state unchanged) on refusal."""
    new, effects = _dispatch(state, event, now)
    if new is state:
        return state, []
    new = replace(new, version=state.version + 1)
    before, after = next_deadline(state), next_deadline(new)
    if before != after:
        effects.append(ScheduleTimer(after))
    return new, effects


def _refuse(state: PassState, what: str) -> IllegalCommand:
    return IllegalCommand(f"cannot {what} now: the pass is {state.describe()}")


def _require_running(state: PassState, what: str) -> None:
    if state.phase is not Phase.RUNNING:
        raise _refuse(state, what)


def _everyone(state: PassState) -> tuple[str, ...]:
    return tuple(sorted(state.present))


def _enter_step(state: PassState, index: int, now: float) -> PassState:
    step = state.script.steps[index]
    timed = step.duration > 0 and step.kind is not StepKind.BREAKOUT
    return replace(state, phase=Phase.RUNNING, step_index=index,
                   deadline=now + step.duration if timed else None, time_up=False,
                   message=None, recalled_step=None)


def _start(state: PassState, event: ev.Start, now: float) -> tuple[PassState, Effects]:
    if state.phase is not Phase.LOBBY:
        raise _refuse(state, "start the pass")
    return _enter_step(state, 0, now), [SendAssignments(_everyone(state))]


def _next(state: PassState, event: ev.Next, now: float) -> tuple[PassState, Effects]:
    _require_running(state, "go to the next step")
    if state.breakout is not None:
        raise _refuse(state, "go to the next step before the breakout rooms are recalled")
    if state.step_index + 1 >= len(state.script.steps):
        raise _refuse(state, "go past the last step (end the pass instead)")
    return _enter_step(state, state.step_index + 1, now), []


def _back(state: PassState, event: ev.Back, now: float) -> tuple[PassState, Effects]:
    _require_running(state, "go back")
    if state.breakout is not None:
        raise _refuse(state, "go back before the breakout rooms are recalled")
    if state.step_index == 0:
        raise _refuse(state, "go back from the first step")
    return _enter_step(state, state.step_index - 1, now), []


def _shift(value: float | None, delta: float) -> float | None:
    return None if value is None else value + delta


def _pause(state: PassState, event: ev.Pause, now: float) -> tuple[PassState, Effects]:
    _require_running(state, "pause")
    if state.paused_at is not None:
        raise _refuse(state, "pause (already paused)")
    return replace(state, paused_at=now), []


def _resume(state: PassState, event: ev.Resume, now: float) -> tuple[PassState, Effects]:
    _require_running(state, "resume")
    if state.paused_at is None:
        raise _refuse(state, "resume (not paused)")
    delta = now - state.paused_at
    b = state.breakout
    if b is not None:
        b = replace(b, deadline=b.deadline + delta, turn_deadline=_shift(b.turn_deadline, delta),
                    recall_deadline=_shift(b.recall_deadline, delta))
    return replace(state, paused_at=None, deadline=_shift(state.deadline, delta), breakout=b), []


def _extend(state: PassState, event: ev.Extend, now: float) -> tuple[PassState, Effects]:
    _require_running(state, "extend the timer")
    if not 1 <= event.seconds <= ev.MAX_EXTEND_SECONDS:
        raise IllegalCommand(f"extend takes 1 to {ev.MAX_EXTEND_SECONDS} seconds, "
                             f"not {event.seconds}", code="out_of_range")
    base = state.paused_at if state.paused_at is not None else now
    b = state.breakout
    # Announced where it happens: in every room whose timer moved.
    minutes = max(1, round(event.seconds / 60))
    told: Effects = [Cue("extended", CUE_EXTENDED.format(minutes=str(minutes)), (),
                params=(("minutes", minutes), ("seconds", event.seconds)))]
    if b is not None:
        if b.recall_deadline is not None:
            b = replace(b, recall_deadline=max(b.recall_deadline, base) + event.seconds)
        else:
            b = replace(b, deadline=max(b.deadline, base) + event.seconds)
        return replace(state, breakout=b), told
    if state.deadline is None:
        raise _refuse(state, "extend (this step has no timer)")
    deadline = max(state.deadline, base) + event.seconds
    return replace(state, deadline=deadline, time_up=False), told


def _open(state: PassState, event: ev.OpenBreakouts, now: float) -> tuple[PassState, Effects]:
    _require_running(state, "open breakout rooms")
    step = state.script.steps[state.step_index]
    if step.kind is not StepKind.BREAKOUT:
        raise _refuse(state, "open breakout rooms in a step that is not a breakout")
    if state.breakout is not None:
        raise _refuse(state, "open breakout rooms (they are already open)")
    if state.paused_at is not None:
        raise _refuse(state, "open breakout rooms while paused")
    seen: set[str] = set()
    for members, _ in event.groups:
        if len(members) < 2:
            raise IllegalCommand(f"a breakout group needs at least two people, got {list(members)}",
                                 code="invalid_groups")
        for person in members:
            if person not in state.present or person in seen:
                raise IllegalCommand(f"participant {person!r} is not present or is in two groups",
                                     code="invalid_groups")
            seen.add(person)
    if not event.groups:
        raise _refuse(state, "open breakout rooms with fewer than two participants present")
    round_no = state.rounds + 1
    groups = tuple(Group(breakout_room(state.id, round_no, i + 1), tuple(members), tuple(reasons))
                   for i, (members, reasons) in enumerate(event.groups))
    turn_deadline = now + step.turn_seconds if step.turns else None
    b = Breakout(round_no=round_no, step_id=step.id, groups=groups, opened_at=now,
                 deadline=now + step.duration, turn_deadline=turn_deadline)
    new = replace(state, breakout=b, rounds=round_no, message=None)
    return new, [CreateRooms(room_specs(groups)), SendAssignments(tuple(sorted(seen)))]


def _broadcast(state: PassState, event: ev.Broadcast, now: float) -> tuple[PassState, Effects]:
    _require_running(state, "broadcast a message")
    text = event.text.strip()
    if not text or len(text) > ev.MAX_BROADCAST_CHARS:
        raise IllegalCommand(f"a broadcast is 1 to {ev.MAX_BROADCAST_CHARS} characters, "
                             f"not {len(text)}", code="out_of_range")
    # Every room of the round, also those a move or a late joiner opens later:
    # the message is part of the shared view, shown once, as a card.
    return replace(state, message=Message(text, now, ())), []


def _recall(state: PassState, event: ev.Recall, now: float) -> tuple[PassState, Effects]:
    b = state.breakout
    if state.phase is not Phase.RUNNING or b is None or b.recall_deadline is not None:
        raise _refuse(state, "recall (no breakout rooms are open)")
    if not 0 <= event.countdown <= 600:
        raise IllegalCommand(f"recall countdown is 0 to 600 seconds, not {event.countdown}",
                             code="out_of_range")
    return _begin_recall(state, now, float(event.countdown))


def _begin_recall(state: PassState, now: float, countdown: float) -> tuple[PassState, Effects]:
    b = state.breakout
    assert b is not None
    b = replace(b, recall_deadline=now + countdown, turn_deadline=None)
    text = CUE_RECALL.format(seconds=f"{countdown:g}")
    new = replace(state, breakout=b)
    if countdown == 0:
        return _close_breakout(new)
    return new, [Cue("recall", text, b.rooms, params=(("seconds", round(countdown)),))]


def _close_breakout(state: PassState) -> tuple[PassState, Effects]:
    b = state.breakout
    assert b is not None
    new = replace(state, breakout=None, message=None, recalled_step=b.step_id)
    # Assignments first: clients leave for the main room on their own, and
    # closing the rooms afterwards only removes whoever is left behind.
    return new, [SendAssignments(_everyone(state)), CloseRooms(b.rooms)]


def _move(state: PassState, event: ev.MovePerson, now: float) -> tuple[PassState, Effects]:
    b = state.breakout
    if b is None or b.recall_deadline is not None:
        raise _refuse(state, "move a participant (no breakout rooms are open)")
    found = b.group_of(event.person_id)
    if event.person_id not in state.present:
        raise IllegalCommand(f"participant {event.person_id!r} is not present",
                             code="unknown_participant")
    if event.to_group is not None and not 0 <= event.to_group < len(b.groups):
        raise IllegalCommand(f"there is no group {event.to_group + 1}; groups are 1 to "
                             f"{len(b.groups)}", code="no_such_group")
    if event.to_group is None:
        raise IllegalCommand(f"{event.person_id!r} would be alone in a new group; move them "
                             "into an existing group", code="would_leave_alone")
    if found is not None and found[0] == event.to_group:
        return state, []
    if found is not None and len(found[1].members) <= 2:
        raise IllegalCommand(f"moving {_name(state, event.person_id)} would leave someone alone "
                             f"in group {found[0] + 1}; swap two people instead",
                             code="would_leave_alone")
    return _regroup(state, b, event.person_id, found, event.to_group)


def _regroup(state: PassState, b: Breakout, person: str, found: tuple[int, Group] | None,
             to_group: int) -> tuple[PassState, Effects]:
    """Move ``person`` into group ``to_group``.

    The group that grows gets a fresh room sized for it (LiveKit cannot raise
    a room's limit), so its members reconnect once; the group that shrinks
    keeps its room so nobody left in it is disturbed.
    """
    groups = list(b.groups)
    effects: Effects = []
    if found is not None:
        i, group = found
        groups[i] = replace(group, members=tuple(m for m in group.members if m != person))
        effects.append(RemoveFromRoom(group.room, person))
    old = groups[to_group]
    why = "moved" if found is not None else "late-joiner"
    grown = replace(old, members=old.members + (person,),
                    reasons=tuple(dict.fromkeys(old.reasons + (why,))),
                    room=grown_room(state, b, to_group))
    groups[to_group] = grown
    # Those left behind stay in their room but need the new member list.
    told = set(grown.members) | (set(groups[found[0]].members) if found is not None else set())
    effects += [CreateRooms(room_specs((grown,))), SendAssignments(tuple(sorted(told))),
                CloseRooms((old.room,))]
    return replace(state, breakout=replace(b, groups=tuple(groups))), effects


def _name(state: PassState, person_id: str) -> str:
    member = state.roster.get(person_id)
    return member.name if member is not None else person_id


def _swap(state: PassState, event: ev.SwapPeople, now: float) -> tuple[PassState, Effects]:
    """Swap two people of different groups; each group keeps its size, so
    both keep their rooms (a room's seat limit still holds)."""
    b = state.breakout
    if b is None or b.recall_deadline is not None:
        raise _refuse(state, "swap participants (no breakout rooms are open)")
    found = [b.group_of(p) for p in (event.first, event.second)]
    for person, where in zip((event.first, event.second), found, strict=True):
        if person not in state.present or where is None:
            raise IllegalCommand(f"{_name(state, person)} is not in a breakout group now",
                                 code="not_in_group")
    (i, gi), (j, gj) = found  # type: ignore[misc]
    if i == j:
        raise IllegalCommand(f"{_name(state, event.first)} and {_name(state, event.second)} "
                             f"are both in group {i + 1}; pick people of two groups",
                             code="same_group")

    def swapped(group: Group, out: str, into: str) -> Group:
        return replace(group, members=tuple(into if m == out else m for m in group.members),
                       reasons=tuple(dict.fromkeys(group.reasons + ("moved",))))

    groups = list(b.groups)
    groups[i] = swapped(gi, event.first, event.second)
    groups[j] = swapped(gj, event.second, event.first)
    told = tuple(sorted(set(groups[i].members) | set(groups[j].members)))
    effects: Effects = [RemoveFromRoom(gi.room, event.first), RemoveFromRoom(gj.room, event.second),
                        SendAssignments(told)]
    return replace(state, breakout=replace(b, groups=tuple(groups))), effects


def _end(state: PassState, event: ev.End, now: float) -> tuple[PassState, Effects]:
    if state.phase is Phase.ENDED:
        raise _refuse(state, "end the pass")
    rooms = (state.breakout.rooms if state.breakout else ()) + (state.main_room,)
    new = replace(state, phase=Phase.ENDED, breakout=None, deadline=None, paused_at=None,
                  message=None)
    return new, [SendAssignments(_everyone(state)), CloseRooms(rooms)]


def _edit(state: PassState, event: ev.EditStep, now: float) -> tuple[PassState, Effects]:
    if state.phase is not Phase.LOBBY:
        raise _refuse(state, "edit the class")
    try:
        script = state.script.with_step(event.step)
    except InvalidScript as error:
        raise IllegalCommand(f"step {event.step.id!r} cannot be changed: {error}",
                             code=error.code) from error
    return replace(state, script=script), []


def _join(state: PassState, event: ev.Join, now: float) -> tuple[PassState, Effects]:
    if state.phase is Phase.ENDED:
        raise _refuse(state, "join")
    member = event.member
    if state.roster.get(member.id) == member and member.id in state.present:
        return state, []
    new = replace(state, roster=PassRoster.with_member(state.roster, member),
                  present=PassPresent.moved(state.present, member.id, here=True))
    b = state.breakout
    if b is not None and member.id in b.leaving:
        b = replace(b, leaving={k: v for k, v in b.leaving.items() if k != member.id})
        new = replace(new, breakout=b)
    if b is None or b.recall_deadline is not None or b.group_of(member.id) is not None:
        return new, []
    if event.placement is not None:
        placed = place_late_joiner(new, b, member.id, event.placement)
        if placed is not None:
            return placed
    elif event.late_group is not None and 0 <= event.late_group < len(b.groups):
        return _regroup(new, b, member.id, None, event.late_group)
    return new, []


def _leave(state: PassState, event: ev.Leave, now: float) -> tuple[PassState, Effects]:
    if event.person_id not in state.present:
        return state, []
    new = replace(state, present=PassPresent.moved(state.present, event.person_id, here=False))
    b = state.breakout
    if b is not None and b.recall_deadline is None and b.group_of(event.person_id) is not None:
        leaving = {**b.leaving, event.person_id: now + LEAVE_GRACE_SECONDS}
        new = replace(new, breakout=replace(b, leaving=leaving))
    return new, []


def _tick(state: PassState, event: ev.Tick, now: float) -> tuple[PassState, Effects]:
    if state.phase is not Phase.RUNNING or state.paused_at is not None:
        return state, []
    new, effects = state, Effects()
    if new.deadline is not None and not new.time_up and now >= new.deadline:
        new = replace(new, time_up=True)
        effects.append(Cue("time-up", CUE_TIME_UP, (new.main_room,)))
    b = new.breakout
    if b is not None and b.recall_deadline is not None and now >= b.recall_deadline:
        closed, more = _close_breakout(new)
        return closed, effects + more
    if b is not None and b.recall_deadline is None:
        step = new.script.steps[new.script.index_of(b.step_id)]
        if b.turn_deadline is not None and not b.turn_warned \
                and now >= b.turn_deadline - TURN_WARNING_SECONDS and now < b.turn_deadline:
            b = replace(b, turn_warned=True)
            effects.append(Cue("turn-warning", CUE_TURN_WARNING, b.rooms, turn=b.turn))
        if b.turn_deadline is not None and now >= b.turn_deadline:
            turn = b.turn + 1
            if turn < step.turns:
                b = replace(b, turn=turn, turn_deadline=b.turn_deadline + step.turn_seconds,
                            turn_warned=False)
                effects.append(Cue("switch-roles", CUE_SWITCH, b.rooms, turn=turn))
            else:
                b = replace(b, turn_deadline=None, turn_warned=False)
        if b is not new.breakout:
            new = replace(new, breakout=b)
        for person, due in sorted(b.leaving.items()):
            if now >= due:
                new, more = regroup_leaver(new, person, event.meetings, now)
                effects += more
        b = new.breakout
        assert b is not None
        if now >= b.deadline:
            recalled, more = _begin_recall(new, now, DEFAULT_RECALL_SECONDS)
            return recalled, effects + more
    return new, effects


def _dispatch(state: PassState, event: ev.Event, now: float) -> tuple[PassState, Effects]:
    match event:
        case ev.Start():
            return _start(state, event, now)
        case ev.Next():
            return _next(state, event, now)
        case ev.Back():
            return _back(state, event, now)
        case ev.Pause():
            return _pause(state, event, now)
        case ev.Resume():
            return _resume(state, event, now)
        case ev.Extend():
            return _extend(state, event, now)
        case ev.OpenBreakouts():
            return _open(state, event, now)
        case ev.Broadcast():
            return _broadcast(state, event, now)
        case ev.Recall():
            return _recall(state, event, now)
        case ev.MovePerson():
            return _move(state, event, now)
        case ev.SwapPeople():
            return _swap(state, event, now)
        case ev.End():
            return _end(state, event, now)
        case ev.EditStep():
            return _edit(state, event, now)
        case ev.Join():
            return _join(state, event, now)
        case ev.Leave():
            return _leave(state, event, now)
        case ev.Tick():
            return _tick(state, event, now)
    raise IllegalCommand(f"unknown event {type(event).__name__}")
