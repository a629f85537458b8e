"""Wire payloads from the application's read models: the only place that builds them.

Each function takes a typed read model (``orchestrator.readmodels``) and
returns the plain map a client receives (msgpack on Socket.IO, JSON over
HTTP). The shared view is the same for every participant of a pass, so it is
rendered once per broadcast; personal payloads go to one person only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from breakout import Meeting
from exercises.classfile import Problem
from exercises.gym.enrolment import Plan
from exercises.script import Step
from exercises.state import Member, PassState
from exercises.text import Text
from orchestrator.codec import to_plain
from orchestrator.gym.classes import Catalogue, LibraryExercise, OpenedClass
from orchestrator.gym.classrecords import VersionEntry
from orchestrator.gym.facilitating import OPEN_BEFORE
from orchestrator.gym.flowrecords import SessionSlot
from orchestrator.gym.mytraining import ClassLine, MyTrainingPage, SessionChoice
from orchestrator.gym.records import ClassVersion, FacilitatedSession
from orchestrator.readmodels import (
    Alert,
    Assignment,
    Check,
    CueNotice,
    FacilitatorView,
    FollowUpNotice,
    HelpRequest,
    JournalEntry,
    OpsOverview,
    ParticipantSnapshot,
    PassView,
    PersonExport,
    Placement,
    RoomAccess,
    ServiceNotice,
    group_number,
)

Payload = dict[str, Any]


def text(value: Text) -> dict[str, str]:
    return {"sv": value.sv, "en": value.en}


def step_view(step: Step, index: int) -> Payload:
    view: Payload = {
        "index": index,
        "id": step.id,
        "kind": step.kind.value,
        "title": text(step.title),
        "prompt": text(step.prompt),
        "duration": step.duration,
        "visibility": step.visibility.value,
        "asks_answer": step.asks_answer,
    }
    if step.roles:
        view["roles"] = [{"id": r.id, "name": text(r.name), "prompt": text(r.prompt)}
                         for r in step.roles]
        extra = step.third_role
        assert extra is not None
        # Pages give it to each member beyond the roles (``Step.role_of``).
        view["extra_role"] = {"id": extra.id, "name": text(extra.name), "prompt": text(extra.prompt)}
        view["turn_seconds"] = step.turn_seconds
    if step.options:
        view["options"] = [text(o) for o in step.options]
        view["multiple"] = step.multiple
    if step.kind.value == "scale":
        view["scale"] = [step.scale_min, step.scale_max]
    if step.kind.value == "word-cloud":
        view["max_words"] = step.max_words
    return view


def shared_view(state: PassState, now: float) -> Payload:
    """Everything every participant of the pass may see; no personal data.

    Not the head count: it changes with every join, and a view that changes
    for every join would be sent to everyone for every join. Facilitators
    see it (``facilitator_view``)."""
    b = state.breakout
    step = state.step
    return {
        "pass": state.id,
        "version": state.version,
        "server_now": now,
        "phase": state.phase.value,
        "title": text(state.script.title),
        "outline": [{"id": s.id, "kind": s.kind.value, "title": text(s.title)}
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
            # Who dropped out of an open room and when their group is
            # rearranged unless they are back: their partners are told at once.
            "leaving": dict(b.leaving) if b and b.recall_deadline is None else {},
            # The step whose rooms were open and are closed again.
            "recalled_step": state.recalled_step,
        },
        "message": ({"text": state.message.text, "at": state.message.at,
                     "rooms": list(state.message.rooms)} if state.message else None),
    }


def pass_view(view: PassView) -> Payload:
    return shared_view(view.state, view.server_now)


#: What changes in a pass view whatever else does (``same_view``).
_STAMPS = ("version", "server_now", "after")


def same_view(a: Payload, b: Payload) -> bool:
    """Whether two pass views show participants the same, versions and clocks aside."""
    return all(a[k] == b[k] for k in a if k not in _STAMPS) and a.keys() == b.keys()


def placement(place: Placement) -> Payload:
    return {"kind": place.kind.value, "room": place.room,
            "members": [{"id": m.id, "name": m.name} for m in place.members],
            "group": place.group, "position": place.position, "reasons": list(place.reasons)}


def assignment(a: Assignment) -> Payload:
    out = placement(a.placement)
    out.update(version=a.version, url=a.url, role="participant", token=a.token)
    if a.token is not None:
        out["expires_at"] = a.expires_at
    return out


def room_access(access: RoomAccess) -> Payload:
    return {"room": access.room, "token": access.token, "url": access.url,
            "role": "facilitator", "expires_at": access.expires_at}


def facilitator_view(view: FacilitatorView) -> Payload:
    """The shared view plus the roster and the breakout board, for facilitators only."""
    state = view.state
    out = shared_view(state, view.server_now)
    b = state.breakout
    out["present"] = len(state.present)
    out["roster"] = roster_rows(view)
    out["missing"] = sum(1 for row in out["roster"] if row["status"] == "missing")
    out["groups"] = ([{"index": i, "number": group_number(g.room) or i + 1, "room": g.room,
                       "members": list(g.members), "reasons": list(g.reasons)}
                      for i, g in enumerate(b.groups)] if b else [])
    out["main_room"] = state.main_room
    out["script"] = [step_view(step, i) for i, step in enumerate(state.script.steps)]
    out["results"] = results(view.results)
    out["helps"] = [help_request(h) for h in view.helps]
    out["summary"] = [dict(r) for r in view.summary]
    if view.alerts is not None:
        out["alerts"] = [alert(a) for a in view.alerts]
    return out


def results(value: Mapping[str, Any] | None) -> Payload | None:
    return dict(value) if value is not None else None


def roster_rows(view: FacilitatorView) -> list[Payload]:
    """Everyone who joined, and everyone expected (invited or enrolled) who has not.

    ``status``: ``online``; ``offline`` (joined, then left); ``expected`` (not
    here yet, before the start); ``missing`` (not here once the pass runs).
    """
    state = view.state
    waiting = state.phase.value == "lobby"
    rows = []
    for m in state.roster.values():
        rows.append({"id": m.id, "name": m.name, "department": m.department, "site": m.site,
                     "connected": m.id in state.present, "room": view.presence.get(m.id),
                     "quality": view.qualities.get(m.id), "expected": m.id in view.expected,
                     "status": "online" if m.id in state.present else "offline"})
    for m in view.expected.values():
        if m.id not in state.roster:
            rows.append({"id": m.id, "name": m.name, "department": m.department,
                         "site": m.site, "connected": False, "room": None, "quality": None,
                         "expected": True, "status": "expected" if waiting else "missing"})
    return sorted(rows, key=lambda r: (str(r["name"]).lower(), str(r["id"])))


def journal_entry(entry: JournalEntry) -> Payload:
    return {"kind": entry.kind, "pass": entry.pass_id, "program": entry.program,
            "class": text(entry.class_title), "step": entry.step_id,
            "value": dict(entry.value), "at": entry.at}


def _maybe_entry(entry: JournalEntry | None) -> Payload | None:
    return journal_entry(entry) if entry is not None else None


def participant_snapshot(snap: ParticipantSnapshot) -> Payload:
    out: Payload = {
        "state": pass_view(snap.view),
        "assignment": assignment(snap.assignment),
        "answer": ({"client_id": snap.answer.client_id, "value": dict(snap.answer.value)}
                   if snap.answer is not None else None),
        "me": {"id": snap.me.id, "name": snap.me.name},
    }
    if snap.in_follow_up:
        out["follow_up"] = _maybe_entry(snap.follow_up)
    out["results"] = results(snap.results)
    return out


def follow_up(notice: FollowUpNotice) -> Payload:
    return {"commitment": _maybe_entry(notice.commitment), "step_id": notice.step_id}


def cue(notice: CueNotice) -> Payload:
    return {"kind": notice.kind, "text": text(notice.text), "rooms": list(notice.rooms),
            "turn": notice.turn, "version": notice.version, "server_now": notice.server_now,
            "params": dict(notice.params)}


def alert(entry: Alert) -> Payload:
    out: Payload = {"id": entry.id, "code": entry.code, "message": entry.message,
                    "at": entry.at, **entry.detail}
    # Pages name the group as the board does, never by its room's id.
    out["group"] = group_number(entry.detail.get("room"))
    return out


def service_notice(notice: ServiceNotice) -> Payload:
    out: Payload = {"code": notice.code.value, "at": notice.at}
    if notice.retry_after is not None:
        out["retry_after"] = notice.retry_after
    return out


def help_request(request: HelpRequest) -> Payload:
    return {"id": request.id, "person_id": request.person_id, "name": request.name,
            "room": request.room, "group": request.group, "text": request.text,
            "at": request.at, "done": request.done}


def check(result: Check) -> Payload:
    if result.ok:
        return {"ok": True, "latency_ms": result.latency_ms}
    return {"ok": False, "error": result.error}


def health(checks: Mapping[str, Check]) -> Payload:
    return {name: check(result) for name, result in checks.items()}


@dataclass(frozen=True, slots=True)
class Runtime:
    """What only the running worker knows: its loop lag, sockets and echo tests."""

    loop_lag_last_ms: float
    loop_lag_max_ms: float
    connections: int
    echo_active: int
    echo_capacity: int
    loop_lag_p99_ms: float = 0.0


def ops_overview(view: OpsOverview, runtime: Runtime) -> Payload:
    return {
        "passes": [{"pass": p.pass_id, "phase": p.phase.value, "step": p.step_index,
                    "title": text(p.title), "present": p.present,
                    "rooms": [{"name": r.name, "group": group_number(r.name),
                               "participants": r.participants} for r in p.rooms]}
                   for p in view.passes],
        "health": health(view.health),
        "loop_lag_ms": {"last_ms": runtime.loop_lag_last_ms, "max_ms": runtime.loop_lag_max_ms,
                        "p99_ms": runtime.loop_lag_p99_ms},
        "connections": runtime.connections,
        "echo_sessions": {"active": runtime.echo_active, "capacity": runtime.echo_capacity},
        "alerts": [alert(a) for a in view.alerts],
        "server_now": view.server_now,
    }


def _member(member: Member) -> Payload:
    out: Payload = to_plain(member)
    return out


def _meeting(m: Meeting) -> Payload:
    return {"a": m.a, "b": m.b, "pass": m.pass_id, "at": m.at}


def person_export(export: PersonExport) -> Payload:
    """Everything held about one person, as ``onlive person export`` prints it."""
    return {
        "person": _member(export.person) if export.person is not None else None,
        "passes": [{"pass": p.pass_id, "program": p.program, "class": text(p.class_title),
                    "roster_entry": _member(p.roster_entry)} for p in export.passes],
        "answers": dict(export.answers),
        "journal": [journal_entry(e) for e in export.journal],
        "pairing_history": {program: [_meeting(m) for m in meetings]
                            for program, meetings in export.pairing_history.items()},
        "connection_quality": dict(export.quality),
    }



# -- Min träning (the participant's own page) -------------------------------------------


def _slot(slot: SessionSlot) -> Payload:
    return {"pass": slot.pass_id, "starts_at": slot.starts_at.isoformat(),
            "starts_ts": slot.starts_at.timestamp(), "time_zone": slot.time_zone,
            "duration_s": slot.duration_s, "capacity": slot.capacity,
            "facilitator": slot.facilitator, "state": slot.state.value,
            "enrolled": slot.enrolled, "waiting": slot.waiting}


def _choice(choice: SessionChoice) -> Payload:
    return {**_slot(choice.slot), "mine": choice.mine.value if choice.mine else None,
            "position": choice.position, "full": choice.full,
            "join_opens_ts": choice.join_opens_at.timestamp(), "can_join": choice.can_join,
            "can_choose": choice.can_choose}


def _class_line(line: ClassLine) -> Payload:
    return {"id": line.program_class_id, "position": line.position, "class": line.class_id,
            "title": text(line.title), "due_on": line.due_on.isoformat() if line.due_on else None,
            "mandatory": line.mandatory, "status": line.status.value,
            "session": _slot(line.session) if line.session else None,
            "minutes_present": line.minutes_present}


def my_training(page: MyTrainingPage) -> Payload:
    """Everything Min träning shows one person; nobody else's data but colleagues' names."""
    return {
        "me": {"id": page.employee_id, "first_name": page.first_name, "name": page.name,
               "language": page.language.value},
        "program": {"id": page.program_id, "name": page.program_name},
        "classes": [_class_line(c) for c in page.classes],
        "next_class": _class_line(page.next_class) if page.next_class else None,
        "sessions": [_choice(c) for c in page.sessions],
        "journal": [{"pass": j.pass_id, "class": text(j.class_title), "step": j.step_id,
                     "kind": j.kind, "value": dict(j.value), "at": j.written_at.timestamp()}
                    for j in page.journal],
        "trends": [{"question": q,
                    "title": text(page.trend_titles[q]) if q in page.trend_titles else None,
                    "points": [{"at": p.at, "value": p.value, "pass": p.pass_id}
                               for p in points]}
                   for q, points in page.trends.items()],
        "colleagues": [{"id": c.employee_id, "name": c.name, "department": c.department,
                        "site": c.site, "times": c.times, "last_met": c.last_met.timestamp()}
                       for c in page.colleagues],
        "server_now": page.server_now,
    }


def enrolment_plan(plan: Plan) -> Payload:
    """What choosing or giving up a place did, for the person who did it."""
    return {"outcome": plan.outcome.value, "position": plan.position, "released": plan.released}


def full_export(live: PersonExport, tables: Mapping[str, Any], org_id: str) -> Payload:
    """One person's export from both stores (``onlive person export`` and Min träning)."""
    out = person_export(live)
    out["organisation"] = org_id
    out["records"] = {table: list(rows) for table, rows in tables.items()}
    return out


# -- the class page and the facilitator's passes ---------------------------------------------

def _minutes(seconds: float) -> float:
    return round(seconds / 60, 2)


def problems(found: Sequence[Problem]) -> list[Payload]:
    """Problems as the class page shows them: beside the field, translated from the code
    (the English message stays in the logs and on the command line)."""
    return [{"field": p.field, "line": p.line, "code": p.code, "params": dict(p.params)}
            for p in found]


def class_catalogue(found: Catalogue) -> Payload:
    return {"classes": [{"class_id": c.class_id, "version": c.version, "title": text(c.title),
                         "minutes": _minutes(c.duration_s), "saved_by": c.saved_by,
                         "saved_at": c.saved_at.isoformat(), "copied_from": c.copied_from,
                         "upcoming_sessions": c.upcoming_sessions} for c in found.classes],
            "built_in": [{"class_id": b.class_id, "title": text(b.title),
                          "minutes": _minutes(b.duration_s)} for b in found.built_in]}


def library_exercises(found: Sequence[LibraryExercise]) -> Payload:
    return {"exercises": [{"step": dict(e.step), "trains": text(e.trains)} for e in found]}


def _version(v: VersionEntry) -> Payload:
    return {"version": v.version, "saved_by": v.saved_by, "saved_at": v.saved_at.isoformat(),
            "source": v.source, "based_on": v.based_on, "upcoming_sessions": v.upcoming_sessions}


def opened_class(opened: OpenedClass) -> Payload:
    return {"draft": dict(opened.draft), "based_on": opened.based_on,
            "history": [_version(v) for v in opened.history]}


def saved_class(version: ClassVersion, changed: bool) -> Payload:
    return {"class_id": version.class_id, "version": version.version, "changed": changed}


def facilitated(found: Sequence[FacilitatedSession]) -> Payload:
    return {"sessions": [{
        "pass_id": f.session.pass_id, "program": f.program_name, "class_id": f.session.class_id,
        "class_version": f.session.class_version, "class_title": text(f.class_title),
        "starts_at": f.session.starts_at.isoformat(), "time_zone": f.session.time_zone,
        "opens_at": (f.session.starts_at - OPEN_BEFORE).isoformat(),
        "minutes": _minutes(f.session.duration_s), "capacity": f.session.capacity,
        "enrolled": f.session.enrolled, "waiting": f.session.waiting,
        "state": f.session.state.value} for f in found]}
