"""Wire payloads of the admin's and leadership's pages, from their read models.

The only place that renders them. Insights carry no person, time or room:
a hidden slice is ``{"hidden": true}`` and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exercises.gym.errors import RosterProblem
from exercises.text import Text
from orchestrator.gym.breakdown import ClassBreakdown, GroupCounts
from orchestrator.gym.dashboard import ClassLine, Dashboard, TopLine
from orchestrator.gym.flowrecords import OutboxMail
from orchestrator.gym.insights import InsightPage, Question
from orchestrator.gym.records import ImportReport, Organisation, ProgramRecord, SessionRecord
from orchestrator.gym.reports import MissingPerson, SessionFacts
from orchestrator.signon import ActiveSignIn
from signalling.adminwire import FieldProblem
from signalling.views import text

Payload = dict[str, Any]


def field_problem(p: FieldProblem) -> Payload:
    return {"field": p.field, "code": p.code, "params": dict(p.params)}


def roster_problem(p: RosterProblem) -> Payload:
    return {"line": p.line, "column": p.column, "code": p.code, "params": dict(p.params)}


def import_report(r: ImportReport) -> Payload:
    return {"file": r.file, "mode": r.mode, "added": r.added, "changed": r.changed,
            "unchanged": r.unchanged, "deactivated": r.deactivated}


def organisation(o: Organisation) -> Payload:
    return {"id": o.id, "name": o.name, "anonymity_k": o.anonymity_k,
            "top_warning_percent": o.top_warning_percent}


def session(s: SessionRecord) -> Payload:
    return {"pass": s.pass_id, "program_class_id": s.program_class_id, "class": s.class_id,
            "starts_at": s.starts_at.isoformat(), "starts_ts": s.starts_at.timestamp(),
            "local": s.starts_at.strftime("%Y-%m-%dT%H:%M"), "time_zone": s.time_zone,
            "duration_s": s.duration_s, "capacity": s.capacity, "facilitator": s.facilitator,
            "state": s.state.value, "enrolled": s.enrolled, "waiting": s.waiting}


def program(p: ProgramRecord, sessions: list[SessionRecord],
            titles: Mapping[str, Text]) -> Payload:
    return {
        "id": p.id, "name": p.name, "state": p.state, "cadence": p.cadence.value,
        "mandatory": p.mandatory, "anonymity_k": p.anonymity_k,
        "departments": list(p.audience.departments), "sites": list(p.audience.sites),
        "levels": [v.value for v in p.audience.levels],
        "starts_on": p.starts_on.isoformat() if p.starts_on else None,
        "ends_on": p.ends_on.isoformat() if p.ends_on else None,
        "classes": [{"id": c.id, "position": c.position, "class": c.class_id,
                     "title": text(titles.get(c.class_id, Text(c.class_id, c.class_id))),
                     "due_on": c.due_on.isoformat() if c.due_on else None,
                     "mandatory": c.mandatory} for c in p.classes],
        "sessions": [session(s) for s in sessions],
    }


def mail(m: OutboxMail) -> Payload:
    return {"id": m.id, "person": m.employee_id, "name": m.person_name or m.employee_id,
            "kind": m.kind.value, "status": m.status.value,
            "attempts": m.attempts, "error": m.last_error, "pass": m.pass_id,
            "created_ts": m.created_at.timestamp(),
            "next_ts": m.next_attempt_at.timestamp()}


def top_line(t: TopLine) -> Payload:
    return {"month": t.month.isoformat(), "top": t.top, "trained": t.trained,
            "percent": t.percent, "threshold_percent": t.threshold_percent,
            "warning": t.warning}


def _session_facts(f: SessionFacts) -> Payload:
    s = f.session
    return {**session(s), "attended": f.attended, "missing": f.missing,
            "fill_percent": round(100 * s.enrolled / s.capacity) if s.capacity else 0}


def _class_line(c: ClassLine) -> Payload:
    return {"id": c.program_class_id, "position": c.position, "class": c.class_id,
            "title": text(c.title), "due_on": c.due_on.isoformat() if c.due_on else None,
            "mandatory": c.mandatory, "done": c.done, "not_done": c.not_done,
            "sessions": [_session_facts(s) for s in c.sessions]}


def dashboard(d: Dashboard) -> Payload:
    return {
        "program": {"id": d.program_id, "name": d.program_name, "anonymity_k": d.anonymity_k},
        "audience": d.audience, "top": top_line(d.top),
        "classes": [_class_line(c) for c in d.classes],
        "groups": {dim: [{"value": g.value, "audience": g.audience, "enrolled": g.enrolled,
                          "attended": g.attended} for g in lines]
                   for dim, lines in d.groups.items()},
        "pulse": [{"question": p.question, "title": text(p.title) if p.title else None,
                   "points": [{"position": pos, "mean": mean, "people": people}
                              for pos, mean, people in p.points]} for p in d.pulse],
        "mail_failed": d.mail_failed,
    }


def _groups(groups: Mapping[str, tuple[GroupCounts, ...]]) -> Payload:
    return {dim: [{"value": g.value, "audience": g.audience, "enrolled": g.enrolled,
                   "waiting": g.waiting, "attended": g.attended, "missing": g.missing}
                  for g in lines] for dim, lines in groups.items()}


def breakdown(b: ClassBreakdown) -> Payload:
    """A class by department, site and level; a hidden pulse figure is ``null``."""
    return {
        "class": b.program_class_id, "anonymity_k": b.anonymity_k,
        "groups": _groups(b.groups),
        "sessions": [{"pass": pass_id, "groups": _groups(groups)}
                     for pass_id, groups in b.sessions],
        "pulse": [{"question": p.question, "title": text(p.title) if p.title else None,
                   "people": p.people, "mean": p.mean,
                   "groups": {dim: [{"value": g.value, "people": g.people, "mean": g.mean}
                                    for g in lines] for dim, lines in p.groups.items()}}
                  for p in b.pulse],
    }


def missing_person(p: MissingPerson) -> Payload:
    return {"id": p.employee_id, "name": p.name, "email": p.email, "department": p.department,
            "site": p.site, "level": p.level, "enrolled": p.enrolled}


def _question(q: Question) -> Payload:
    out: Payload = {"class": q.class_id,
                    "class_title": text(q.class_title) if q.class_title else None,
                    "step": q.step_id, "kind": q.kind,
                    "title": text(q.title) if q.title else None,
                    "prompt": text(q.prompt) if q.prompt else None,
                    "options": [text(o) for o in q.options]}
    if q.summary is None:
        return {**out, "hidden": True}
    s = q.summary
    return {**out, "hidden": False, "people": s.people, "distribution": dict(s.distribution),
            "texts": list(s.texts), "themes": [{"word": w, "count": n} for w, n in s.themes]}


def insights(page: InsightPage) -> Payload:
    return {
        "program": {"id": page.program_id, "name": page.program_name,
                    "anonymity_k": page.anonymity_k},
        "slice": {"department": page.slice.department, "site": page.slice.site,
                  "level": page.slice.level},
        "filters": {"departments": list(page.departments), "sites": list(page.sites),
                    "levels": list(page.levels)},
        "questions": [_question(q) for q in page.questions],
        "top": top_line(page.top),
    }


def active_signin(s: ActiveSignIn) -> Payload:
    """A staff sign-in on the admin's list: who, which roles, since and until when."""
    return {"id": s.id, "name": s.name, "roles": [r.value for r in s.roles],
            "since": round(s.since), "expires": round(s.expires)}
