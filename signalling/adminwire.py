"""The admin page's forms as checked values: programs, their classes and sessions.

Every field is checked and every problem is collected (nothing is changed
when there is one), each as ``FieldProblem(field, code, params)`` that the
page translates and shows beside the field. ``FieldErrors`` carries them to
the one place in ``signalling.admin`` that turns refusals into responses.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date, datetime
from typing import Any

from exercises.gym.errors import GymError, InvalidSession
from exercises.gym.ids import check_class_id, check_slug
from exercises.gym.program import (
    MAX_CAPACITY,
    MAX_NAME,
    MIN_CAPACITY,
    Audience,
    Cadence,
    ProgramSpec,
    SessionSpec,
    parse_start,
)
from exercises.gym.roster import Level

__all__ = ["ClassRow", "FieldErrors", "FieldProblem", "ProgramForm", "program_form",
           "session_form"]

MAX_LIST = 50


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str  # e.g. "name", "capacity", "classes.2.due_on"
    code: str  # translated on the page: admin.field.CODE
    params: Mapping[str, Any] = default(default_factory=dict)


class FieldErrors(GymError):
    """A form with problems; nothing was changed."""

    code = "invalid_fields"

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.field}: {p.code}" for p in problems))


@dataclass(frozen=True, slots=True)
class ClassRow:
    """One class of a program's sequence in the form: a new one (``id`` None) or a change."""

    id: int | None
    class_id: str
    due_on: date | None
    mandatory: bool
    remove: bool = False  # a class the program has, to be removed


@dataclass(frozen=True, slots=True)
class ProgramForm:
    spec: ProgramSpec
    classes: tuple[ClassRow, ...]  # in their new order, removed ones where they were
    arranged: bool  # the form gave the classes (else they stay as they are)


class _Form:
    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        self.problems: list[FieldProblem] = []

    def bad(self, name: str, code: str, **params: Any) -> None:
        self.problems.append(FieldProblem(name, code, params))

    def text(self, name: str, *, required: bool = True, limit: int = MAX_NAME,
             value: object = None) -> str:
        raw = self.body.get(name) if value is None else value
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            self.bad(name, "not_text")
            return ""
        if required and not raw.strip():
            self.bad(name, "required")
        elif len(raw) > limit:
            self.bad(name, "too_long", max=limit)
        return raw.strip()

    def texts(self, name: str) -> list[str]:
        raw = self.body.get(name, [])
        if isinstance(raw, str):
            raw = [v for v in raw.split(",")]
        if not isinstance(raw, list) or len(raw) > MAX_LIST \
                or not all(isinstance(v, str) and len(v) <= 100 for v in raw):
            self.bad(name, "bad_list", max=MAX_LIST)
            return []
        return [v.strip() for v in raw if v.strip()]

    def day(self, name: str, value: object = None, *, given: bool = False) -> date | None:
        raw = value if given else self.body.get(name)
        if raw in (None, ""):
            return None
        try:
            return date.fromisoformat(str(raw).strip())
        except ValueError:
            self.bad(name, "bad_date")
            return None

    def flag(self, name: str, value: object = None, *, given: bool = False) -> bool:
        raw = value if given else self.body.get(name, False)
        if not isinstance(raw, bool):
            self.bad(name, "not_flag")
            return False
        return raw

    def number(self, name: str, low: int, high: int, *, required: bool = True) -> int | None:
        raw = self.body.get(name)
        if raw in (None, "") and not required:
            return None
        try:
            value = int(str(raw).strip())
        except ValueError:
            self.bad(name, "range", min=low, max=high)
            return None
        if not low <= value <= high:
            self.bad(name, "range", min=low, max=high)
            return None
        return value

    def done(self) -> None:
        if self.problems:
            raise FieldErrors(self.problems)


def program_form(body: Mapping[str, Any], *, program_id: str | None = None,
                 library: frozenset[str] = frozenset()) -> ProgramForm:
    """A program from the admin's form (``program_id`` when it exists already).

    ``library`` names the classes that can be added (an unknown one is a problem
    of that row).
    """
    f = _Form(body)
    pid = program_id or f.text("id", limit=63)
    if program_id is None and pid and (wrong := check_slug(pid, "program")) is not None:
        f.bad("id", "bad_id", detail=wrong)
    name = f.text("name")
    departments, sites = f.texts("departments"), f.texts("sites")
    levels = []
    for raw in f.texts("levels"):
        try:
            levels.append(Level(raw.lower()).value)
        except ValueError:
            f.bad("levels", "unknown_level", value=raw)
    cadence = Cadence.MONTHLY
    try:
        cadence = Cadence(str(body.get("cadence", "monthly")))
    except ValueError:
        f.bad("cadence", "unknown_cadence")
    mandatory = f.flag("mandatory")
    starts, ends = f.day("starts_on"), f.day("ends_on")
    if starts and ends and ends < starts:
        f.bad("ends_on", "ends_before_starts")
    k = f.number("anonymity_k", 2, 100, required=False) if program_id is None else None
    rows: list[ClassRow] = []
    raw_classes = body.get("classes", [])
    if not isinstance(raw_classes, list) or len(raw_classes) > 200:
        f.bad("classes", "bad_list", max=200)
        raw_classes = []
    for i, raw in enumerate(raw_classes, start=1):
        where = f"classes.{i}"
        if not isinstance(raw, Mapping):
            f.bad(where, "bad_row")
            continue
        row_id = raw.get("id")
        if row_id is not None and (not isinstance(row_id, int) or isinstance(row_id, bool)):
            f.bad(where, "bad_row")
            continue
        remove = raw.get("remove", False)
        if not isinstance(remove, bool) or (remove and row_id is None):
            f.bad(where, "bad_row")
            continue
        if remove:
            rows.append(ClassRow(row_id, "", None, False, remove=True))
            continue
        class_id = str(raw.get("class_id", "")).strip()
        if row_id is None:
            if not class_id:
                f.bad(f"{where}.class_id", "required")
            elif check_class_id(class_id) is not None or class_id not in library:
                f.bad(f"{where}.class_id", "unknown_class", value=class_id)
        due = f.day(f"{where}.due_on", raw.get("due_on"), given=True)
        if due and ends and due > ends:
            f.bad(f"{where}.due_on", "due_after_end", ends=ends.isoformat())
        rows.append(ClassRow(row_id, class_id, due,
                             f.flag(f"{where}.mandatory", raw.get("mandatory", mandatory),
                                    given=True)))
    if program_id is None and not rows:
        f.bad("classes", "required")
    ids = [r.id for r in rows if r.id is not None]
    if len(set(ids)) != len(ids):
        f.bad("classes", "classes_changed")
    f.done()
    spec = ProgramSpec(pid, name, Audience.of(departments, sites, levels), cadence, mandatory,
                       k, starts, ends)
    return ProgramForm(spec, tuple(rows), "classes" in body)


def session_form(body: Mapping[str, Any], class_ids: Mapping[int, str] | None = None
                 ) -> tuple[int | None, SessionSpec]:
    """A session from the form: (the program class it offers, or None when editing; spec)."""
    f = _Form(body)
    program_class: int | None = None
    if class_ids is not None:
        raw = body.get("program_class_id")
        if not isinstance(raw, int) or raw not in class_ids:
            f.bad("program_class_id", "unknown_class", value=str(raw))
        else:
            program_class = raw
    zone = f.text("time_zone", limit=64)
    if zone:
        try:
            zoneinfo.ZoneInfo(zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            f.bad("time_zone", "unknown_time_zone", value=zone)
            zone = ""
    start_text = f.text("start", limit=40)
    starts: datetime | None = None
    if start_text and zone:
        try:
            starts = parse_start(start_text, zone)
        except InvalidSession as error:
            message = str(error)
            code = ("nonexistent_time" if "does not exist" in message else
                    "ambiguous_time" if "happens twice" in message else
                    "offset_mismatch" if "offset" in message else "bad_datetime")
            f.bad("start", code, zone=zone)
    capacity = f.number("capacity", MIN_CAPACITY, MAX_CAPACITY)
    facilitator = f.text("facilitator")
    f.done()
    assert starts is not None and capacity is not None
    return program_class, SessionSpec(starts, zone, capacity, facilitator)
