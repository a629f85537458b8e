"""The roster file: parsing and checking an organisation's people (CSV).

Format: a header row, UTF-8 (a byte-order mark is allowed), comma- or
semicolon-separated (whichever the header uses), one person per row::

    employee_id,first_name,last_name,email,department,site,manager_employee_id,level[,language]

``level`` is ``employee``, ``manager`` or ``top``; ``language`` (optional
column) is ``sv`` or ``en``, and an empty cell keeps what the person has.
``department``, ``site`` and ``manager_employee_id`` may be empty.

Checks, each reported as ``file:line: column: problem`` (every problem of
the file, not only the first):

- encoding: a line that is not UTF-8;
- header: a missing, unknown or repeated column, an empty file;
- row: a row with more or fewer cells than the header;
- employee_id: missing, malformed or repeated;
- first_name / last_name: missing or too long;
- email: missing, not an address, or repeated (case-insensitively);
- manager_employee_id: not in the roster, the person themself, or part of a
  manager cycle (every member of the cycle is named);
- level, language: a value that is not one of the allowed ones.

A *partial* file (only additions and changes) may name managers who are
already in the stored roster; ``check_against`` checks it (and any file)
against what is stored: managers, cycles through stored people, e-mail
addresses used by someone else.

Pure: bytes in, values or problems out; no I/O.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from exercises.gym.errors import RosterError, RosterProblem
from exercises.gym.ids import check_employee_id

__all__ = ["COLUMNS", "OPTIONAL_COLUMNS", "Language", "Level", "Roster", "RosterPerson",
           "StoredPerson", "check_against", "parse_roster"]

COLUMNS = ("employee_id", "first_name", "last_name", "email", "department", "site",
           "manager_employee_id", "level")
OPTIONAL_COLUMNS = ("language",)
MAX_TEXT = 100  # names, departments and sites
MAX_EMAIL = 254
MAX_ROWS = 200_000
# Deliberately plain: one '@', no spaces, a dot in the domain. Deliverability
# is the mail server's business; this catches slips such as "anna.lind@" or
# a name typed into the e-mail column.
_EMAIL = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+")


class Level(StrEnum):
    """A person's role level; ``rank`` is the number the pairing engine uses."""

    EMPLOYEE = "employee"
    MANAGER = "manager"
    TOP = "top"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Level.EMPLOYEE: 0, Level.MANAGER: 1, Level.TOP: 2}


class Language(StrEnum):
    SV = "sv"
    EN = "en"


@dataclass(frozen=True, slots=True)
class RosterPerson:
    """One row of a roster file, checked. ``language`` None: the file does not say."""

    employee_id: str
    first_name: str
    last_name: str
    email: str
    department: str
    site: str
    manager_id: str | None
    level: Level
    language: Language | None
    line: int

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class Roster:
    """A valid roster file: its people in file order and the optional columns it has."""

    file: str
    people: tuple[RosterPerson, ...]
    optional_columns: frozenset[str]
    partial: bool = False


@dataclass(frozen=True, slots=True)
class StoredPerson:
    """What ``check_against`` needs of a person already in the stored roster."""

    manager_id: str | None
    email: str
    active: bool
    # People added one by one (not from a roster file) stay when a full file
    # leaves them out, so their e-mail address stays taken.
    from_roster: bool = True


def parse_roster(data: bytes, file: str, *, partial: bool = False) -> Roster:
    """The checked roster in ``data``; ``RosterError`` with every problem otherwise.

    ``file`` names the file in problems. With ``partial``, a manager need not
    be in the file (``check_against`` looks for them among stored people).
    """
    problems: list[RosterProblem] = []
    text = _decode(data, file, problems)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        problems.append(RosterProblem(file, 1, "header", "the file is empty; the first line "
                                      f"must be the header: {','.join(COLUMNS)}", "empty",
                                      (("columns", ",".join(COLUMNS)),)))
        raise RosterError(problems)
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    rows = _records(lines, delimiter)
    _, header = next(rows)
    index = _header(header, file, problems)
    people: list[RosterPerson] = []
    links: list[tuple[int, str, str | None]] = []  # (line, employee id, manager id)
    ids: dict[str, int] = {}
    emails: dict[str, int] = {}
    for line, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if len(people) >= MAX_ROWS:
            problems.append(RosterProblem(file, line, "row", f"more than {MAX_ROWS} rows; "
                                          "split the file by organisation", "too_many_rows",
                                          (("max", str(MAX_ROWS)),)))
            break
        if len(cells) != len(header):
            problems.append(RosterProblem(file, line, "row", f"{len(cells)} cells, but the "
                                          f"header has {len(header)} columns (a missing or "
                                          f"extra '{delimiter}'?)", "row_length",
                                          (("cells", str(len(cells))),
                                           ("columns", str(len(header))),
                                           ("delimiter", delimiter))))
            # Still known as someone's manager, so one bad row is one problem.
            if "employee_id" in index and index["employee_id"] < len(cells):
                ids.setdefault(cells[index["employee_id"]].strip(), line)
            continue
        cell = {c: cells[i].strip() for c, i in index.items()}
        person = _person(file, line, cell, ids, emails, problems)
        if person is not None:
            people.append(person)
        if cell.get("employee_id"):
            links.append((line, cell["employee_id"], cell.get("manager_employee_id") or None))
    if not people and not problems:
        problems.append(RosterProblem(file, 2, "row", "the file has a header but no people",
                                      "no_people"))
    problems += _manager_problems(file, links, set(ids), partial=partial)
    if problems:
        raise RosterError(problems)
    return Roster(file, tuple(people), frozenset(c for c in OPTIONAL_COLUMNS if c in index),
                  partial)


def check_against(roster: Roster, stored: Mapping[str, StoredPerson]) -> list[RosterProblem]:
    """Problems of importing ``roster`` over the ``stored`` one (by employee id).

    After a full import the file's people are the active roster (people added
    one by one stay too); after a partial one, stored people stay as they are
    unless the file changes them. In that result a manager must be active, no
    manager chain may loop, and no two active people may share an e-mail.
    """
    file = roster.file
    in_file = {p.employee_id: p for p in roster.people}
    staying = {i: s for i, s in stored.items() if i not in in_file and s.active
               and (roster.partial or not s.from_roster)}
    problems: list[RosterProblem] = []
    if roster.partial:
        for p in roster.people:
            if p.manager_id is not None and p.manager_id not in in_file \
                    and p.manager_id not in staying:
                inactive = p.manager_id in stored
                problems.append(RosterProblem(
                    file, p.line, "manager_employee_id",
                    f"manager {p.manager_id!r} is " + ("no longer active in the roster"
                                                       if inactive else
                                                       "neither in this file nor in the roster"),
                    "manager_inactive" if inactive else "manager_unknown",
                    (("manager", p.manager_id),)))
        managers = {i: s.manager_id for i, s in staying.items()}
        managers.update({i: p.manager_id for i, p in in_file.items()})
        cycles = _cycles(managers)
        for p in roster.people:
            found = cycles.get(p.employee_id)
            if found is not None and any(i not in in_file for i in found[0]):
                problems.append(RosterProblem(file, p.line, "manager_employee_id",
                                              "manager cycle with the stored roster: "
                                              + _show_cycle(*found), "manager_cycle",
                                              (("cycle", _show_cycle(*found)),)))
    taken = {s.email.casefold(): i for i, s in staying.items()}
    for p in roster.people:
        other = taken.get(p.email.casefold())
        if other is not None:
            problems.append(RosterProblem(file, p.line, "email",
                                          f"{p.email} is already the address of {other!r}, "
                                          "who stays in the roster", "email_taken",
                                          (("email", p.email), ("other", other))))
    return sorted(problems)


# -- reading --------------------------------------------------------------------


def _decode(data: bytes, file: str, problems: list[RosterProblem]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Name every line that is not UTF-8, then go on with the rest so that the
    # other problems show up in the same run.
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as error:
            hint = ("; it looks like Windows-1252 or Latin-1 (Excel's plain 'CSV'): "
                    "save it as 'CSV UTF-8'" if _latin1_like(raw) else "")
            problems.append(RosterProblem(file, number, "encoding",
                                          f"not UTF-8 text (byte 0x{raw[error.start]:02x} at "
                                          f"position {error.start + 1}){hint}",
                                          "not_utf8_latin1" if hint else "not_utf8",
                                          (("position", str(error.start + 1)),)))
    return data.decode("utf-8", errors="replace")


def _latin1_like(raw: bytes) -> bool:
    # å ä ö Å Ä Ö é in Windows-1252 / Latin-1.
    return any(b in raw for b in (0xE5, 0xE4, 0xF6, 0xC5, 0xC4, 0xD6, 0xE9))


def _records(lines: Sequence[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, cells); a quoted cell may span lines."""
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', strict=False)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _header(header: list[str], file: str, problems: list[RosterProblem]) -> dict[str, int]:
    index: dict[str, int] = {}
    known = COLUMNS + OPTIONAL_COLUMNS
    for i, raw in enumerate(header):
        name = raw.strip().lower()
        if name in index:
            problems.append(RosterProblem(file, 1, "header", f"column {name!r} appears twice",
                                          "column_twice", (("name", name),)))
        elif name in known:
            index[name] = i
        else:
            problems.append(RosterProblem(file, 1, "header",
                                          f"unknown column {raw.strip()!r}; the columns are "
                                          f"{','.join(COLUMNS)} and optionally language",
                                          "unknown_column", (("name", raw.strip()),
                                                             ("columns", ",".join(COLUMNS)))))
    for name in COLUMNS:
        if name not in index:
            problems.append(RosterProblem(file, 1, "header", f"missing column {name!r}",
                                          "missing_column", (("name", name),)))
    return index


def _person(file: str, line: int, cell: Mapping[str, str], ids: dict[str, int],
            emails: dict[str, int], problems: list[RosterProblem]) -> RosterPerson | None:
    before = len(problems)

    def bad(column: str, problem: str, code: str, **params: object) -> None:
        problems.append(RosterProblem(file, line, column, problem, code,
                                      tuple((k, str(v)) for k, v in params.items())))

    employee_id = cell.get("employee_id", "")
    if "employee_id" in cell:
        if not employee_id:
            bad("employee_id", "missing; every person needs their employee id", "missing_id")
        elif (wrong := check_employee_id(employee_id)) is not None:
            bad("employee_id", wrong, "bad_id", value=employee_id)
        elif employee_id in ids:
            bad("employee_id", f"duplicate employee id {employee_id!r} (also on line "
                               f"{ids[employee_id]})", "duplicate_id", value=employee_id,
                other=ids[employee_id])
        else:
            ids[employee_id] = line
    for column in ("first_name", "last_name"):
        if column in cell:
            if not cell[column]:
                bad(column, "missing", "missing")
            elif len(cell[column]) > MAX_TEXT:
                bad(column, f"longer than {MAX_TEXT} characters", "too_long", max=MAX_TEXT)
    for column in ("department", "site"):
        if len(cell.get(column, "")) > MAX_TEXT:
            bad(column, f"longer than {MAX_TEXT} characters", "too_long", max=MAX_TEXT)
    email = cell.get("email", "")
    if "email" in cell:
        if not email:
            bad("email", "missing; invitations and reminders go to this address",
                "missing_email")
        elif len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email):
            bad("email", f"{email!r} is not an e-mail address", "bad_email", value=email)
        elif email.casefold() in emails:
            bad("email", f"duplicate e-mail {email} (also on line {emails[email.casefold()]})",
                "duplicate_email", value=email, other=emails[email.casefold()])
        else:
            emails[email.casefold()] = line
    manager = cell.get("manager_employee_id") or None
    if manager is not None and manager == employee_id:
        bad("manager_employee_id", f"{employee_id!r} is their own manager; leave the cell "
                                   "empty for someone without a manager", "own_manager",
            value=employee_id)
    level: Level | None = None
    if "level" in cell:
        try:
            level = Level(cell["level"].lower())
        except ValueError:
            bad("level", f"unknown level {cell['level']!r}; use employee, manager or top"
                if cell["level"] else "missing; use employee, manager or top",
                "unknown_level" if cell["level"] else "missing_level", value=cell["level"])
    language: Language | None = None
    if cell.get("language"):
        try:
            language = Language(cell["language"].lower())
        except ValueError:
            bad("language", f"unknown language {cell['language']!r}; use sv or en",
                "unknown_language", value=cell["language"])
    if len(problems) > before or level is None:
        return None
    return RosterPerson(employee_id, cell["first_name"], cell["last_name"], email,
                        cell.get("department", ""), cell.get("site", ""), manager, level,
                        language, line)


# -- managers -------------------------------------------------------------------


def _manager_problems(file: str, links: Sequence[tuple[int, str, str | None]], ids: set[str],
                      *, partial: bool) -> list[RosterProblem]:
    """Managers missing from the file and manager cycles, over every row with an id
    (also rows with other problems, so that one run shows everything)."""
    problems: list[RosterProblem] = []
    managers: dict[str, str | None] = {}
    lines: dict[str, int] = {}
    for line, employee_id, manager_id in links:
        if employee_id in managers:
            continue
        managers[employee_id] = manager_id if manager_id != employee_id else None
        lines[employee_id] = line
        if not partial and manager_id is not None and manager_id not in ids:
            problems.append(RosterProblem(file, line, "manager_employee_id",
                                          f"manager {manager_id!r} is not in the roster",
                                          "manager_missing", (("manager", manager_id),)))
    for employee_id, (cycle, start) in _cycles(managers).items():
        problems.append(RosterProblem(file, lines[employee_id], "manager_employee_id",
                                      "manager cycle: " + _show_cycle(cycle, start),
                                      "manager_cycle", (("cycle", _show_cycle(cycle, start)),)))
    return problems


def _cycles(managers: Mapping[str, str | None]) -> dict[str, tuple[list[str], int]]:
    """Everyone on a manager cycle -> (that cycle, their place in it).

    Someone merely below a cycle is not on it (their row is fine). Linear:
    every chain is walked once.
    """
    done: set[str] = set()
    on_cycle: dict[str, tuple[list[str], int]] = {}
    for start in managers:
        path: list[str] = []
        where: dict[str, int] = {}
        current: str | None = start
        while current is not None and current in managers and current not in done:
            if current in where:
                cycle = path[where[current]:]
                for i, member in enumerate(cycle):
                    on_cycle[member] = (cycle, i)
                break
            where[current] = len(path)
            path.append(current)
            current = managers[current]
        done.update(path)
    return on_cycle


def _show_cycle(cycle: list[str], start: int, shown: int = 6) -> str:
    """``A → B → C → A`` from ``start``; a long cycle shows its first links and its length."""
    n = len(cycle)
    names = [cycle[(start + i) % n] for i in range(min(n, shown))]
    if n <= shown:
        return " → ".join([*names, names[0]])
    return " → ".join(names) + f" → … ({n} people) → {names[0]}"
