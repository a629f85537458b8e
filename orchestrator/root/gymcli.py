"""The gym's commands: organisations, the roster, programs and their sessions, people.

    onlive org create ID --name N [--anonymity-k K] [--top-warning PCT]
    onlive org list
    onlive roster validate FILE.csv [--partial]      offline; exit 0 only when valid
    onlive roster import FILE.csv [--partial]        all or nothing; prints what changed
    onlive person add ID --first-name F --last-name L --email E [...]
    onlive class publish FILE [--by NAME]            a class file as the class's next version
    onlive program create ID --name N [--department D ...] [--cadence C] [--mandatory] ...
    onlive program list | show ID
    onlive program add-class PROGRAM CLASS [--due DATE] [--mandatory|--optional] [--param N=T]
    onlive program move-class PROGRAM CLASS --to N   CLASS: its position (1, 2, …) or class id
    onlive program remove-class PROGRAM CLASS        not once a session of it was held or taken
    onlive session add PROGRAM CLASS --start T [--time-zone Z] --capacity N --facilitator F
    onlive session open PASS                         creates the live pass; prints its link
    onlive session archive PASS                      keep an ended pass in PostgreSQL (again)
    onlive program invite PROGRAM                    mail the audience: choose your session
    onlive program link PROGRAM ID [--new|--revoke]  a person's link to Min träning
    onlive mail list [--all] | retry ID              the outbox: what is not sent, and why

Every command but ``roster validate`` works on one organisation: ``--org``,
or ``ONLIVE_ORG`` (default ``default``, created on first use; any other must
be created with ``onlive org create``, so that a mistyped ``--org`` never
starts a new organisation). Bad input changes nothing and says what was wrong
and where.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from exercises.gym.errors import InvalidProgram, RosterError
from exercises.gym.ids import check_employee_id
from exercises.gym.mail import MailStatus
from exercises.gym.program import (
    Audience,
    Cadence,
    ProgramClassSpec,
    ProgramSpec,
    SessionSpec,
    parse_date,
    parse_start,
)
from exercises.gym.roster import Language, Level, RosterPerson, parse_roster
from orchestrator.errors import NotFound
from orchestrator.gym.records import Organisation, ProgramRecord, SessionRecord
from orchestrator.root.oneshot import one_shot
from orchestrator.services import Services
from orchestrator.settings import Settings

COMMANDS = frozenset({"org", "roster", "program", "session", "mail"})
MAX_ROSTER_BYTES = 64 * 1024 * 1024
DEFAULT_TIME_ZONE = "Europe/Stockholm"

Write = Callable[[str], None]


def add_parsers(sub: Any) -> None:
    """The gym's subcommands, added to ``onlive``'s parser."""
    def with_org(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--org", default=None,
                       help="the organisation (default: ONLIVE_ORG, else 'default')")
        return p

    org = sub.add_parser("org", help="client organisations")
    org_sub = org.add_subparsers(dest="org_command", required=True)
    create = org_sub.add_parser("create", help="add an organisation")
    create.add_argument("org_id")
    create.add_argument("--name", required=True)
    create.add_argument("--anonymity-k", type=int, default=5,
                        help="smallest group whose anonymous aggregate is shown (default 5)")
    create.add_argument("--top-warning", type=int, default=50, metavar="PERCENT",
                        help="warn when fewer of top management trained this month (default 50)")
    org_sub.add_parser("list", help="list the organisations")

    roster = sub.add_parser("roster", help="the organisation's people (CSV)")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True)
    for name, text in (("validate", "check a roster file offline; exit 0 only when valid"),
                       ("import", "import a roster file, all or nothing")):
        p = roster_sub.add_parser(name, help=text)
        p.add_argument("file")
        p.add_argument("--partial", action="store_true",
                       help="the file adds and changes people only; nobody is deactivated")
        if name == "import":
            with_org(p)

    program = sub.add_parser("program", help="programs: audience, classes, due dates")
    program_sub = program.add_subparsers(dest="program_command", required=True)
    create = with_org(program_sub.add_parser("create", help="create a program"))
    create.add_argument("program_id", help="lower-case letters, digits and '-'")
    create.add_argument("--name", required=True)
    create.add_argument("--department", action="append", default=[],
                        help="audience: people of this department (repeat; default everyone)")
    create.add_argument("--site", action="append", default=[], help="audience: this site")
    create.add_argument("--level", action="append", default=[],
                        help="audience: employee, manager or top")
    create.add_argument("--cadence", default="monthly", choices=[c.value for c in Cadence])
    create.add_argument("--mandatory", action="store_true",
                        help="its classes are mandatory unless added with --optional")
    create.add_argument("--anonymity-k", type=int, default=None,
                        help="raise the organisation's anonymity threshold for this program")
    create.add_argument("--starts", default=None, metavar="DATE")
    create.add_argument("--ends", default=None, metavar="DATE")
    with_org(program_sub.add_parser("list", help="list programs"))
    show = with_org(program_sub.add_parser("show", help="a program, its classes and sessions"))
    show.add_argument("program_id")
    add = with_org(program_sub.add_parser("add-class", help="add a class to the sequence"))
    add.add_argument("program_id")
    add.add_argument("class_id", help="a class of the organisation's or the built-in library")
    add.add_argument("--due", default=None, metavar="DATE", help="e.g. 2027-03-31")
    mandatory = add.add_mutually_exclusive_group()
    mandatory.add_argument("--mandatory", dest="mandatory", action="store_true", default=None)
    mandatory.add_argument("--optional", dest="mandatory", action="store_false")
    add.add_argument("--param", action="append", default=[], metavar="NAME=TEXT",
                     help="a class parameter, e.g. leadership_philosophy=…")
    move = with_org(program_sub.add_parser("move-class", help="move a class in the sequence"))
    move.add_argument("program_id")
    move.add_argument("class_ref", metavar="CLASS", help="the class id or its position (1, 2, …)")
    move.add_argument("--to", type=int, required=True, metavar="N", help="its new position")
    remove = with_org(program_sub.add_parser(
        "remove-class", help="remove a class no session of which was held or taken"))
    remove.add_argument("program_id")
    remove.add_argument("class_ref", metavar="CLASS", help="the class id or its position (1, 2, …)")

    session = sub.add_parser("session", help="dated sessions of a program's classes")
    session_sub = session.add_subparsers(dest="session_command", required=True)
    add = with_org(session_sub.add_parser("add", help="schedule a session (reserves its pass)"))
    add.add_argument("program_id")
    add.add_argument("class_ref", metavar="CLASS", help="the class id or its position (1, 2, …)")
    add.add_argument("--start", required=True, help="local start, e.g. 2027-01-14T09:00")
    add.add_argument("--time-zone", default=DEFAULT_TIME_ZONE,
                     help=f"an IANA time zone (default {DEFAULT_TIME_ZONE})")
    add.add_argument("--capacity", type=int, required=True)
    add.add_argument("--facilitator", required=True, help="name or e-mail")
    open_ = with_org(session_sub.add_parser("open", help="create the session's live pass"))
    open_.add_argument("pass_id")
    archive = with_org(session_sub.add_parser(
        "archive", help="keep an ended pass's answers, attendance and pairings (idempotent)"))
    archive.add_argument("pass_id")
    invite = with_org(program_sub.add_parser(
        "invite", help="mail everyone in the audience a link to choose their session"))
    invite.add_argument("program_id")
    link = with_org(program_sub.add_parser("link", help="a person's link to Min träning"))
    link.add_argument("program_id")
    link.add_argument("employee_id")
    which = link.add_mutually_exclusive_group()
    which.add_argument("--new", action="store_true", help="issue a new link (the old one stops)")
    which.add_argument("--revoke", action="store_true", help="revoke the person's link")
    mail = sub.add_parser("mail", help="the mail outbox")
    mail_sub = mail.add_subparsers(dest="mail_command", required=True)
    listing = with_org(mail_sub.add_parser("list", help="mail not sent yet (failed first)"))
    listing.add_argument("--all", action="store_true", help="sent and obsolete mail too")
    retry = with_org(mail_sub.add_parser("retry", help="send a failed mail again now"))
    retry.add_argument("mail_id", type=int)


def add_person_parsers(person_sub: Any) -> None:
    """``onlive person add``: someone who is not in the roster file, added explicitly."""
    add = person_sub.add_parser("add", help="add a person who is not in the roster file")
    add.add_argument("employee_id")
    add.add_argument("--first-name", required=True)
    add.add_argument("--last-name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--department", default="")
    add.add_argument("--site", default="")
    add.add_argument("--manager", default=None, help="their manager's employee id")
    add.add_argument("--level", default="employee", choices=[v.value for v in Level])
    add.add_argument("--language", default="sv", choices=[v.value for v in Language])
    add.add_argument("--org", default=None)


def validate_roster(path: str, *, partial: bool, write: Write = print) -> int:
    """``onlive roster validate``: every problem, then a summary; 0 only when valid."""
    try:
        data = _read(path)
        roster = parse_roster(data, path, partial=partial)
    except RosterError as error:
        for problem in error.problems:
            write(str(problem))
        count = len(error.problems)
        write(f"{count} problem{'s' if count != 1 else ''}; nothing would be imported")
        return 1
    write(f"{path}: {len(roster.people)} people, valid")
    return 0


def _read(path: str) -> bytes:
    from exercises.gym.errors import RosterProblem

    try:
        file = Path(path)
        if file.stat().st_size > MAX_ROSTER_BYTES:
            raise RosterError([RosterProblem(path, 0, "file", "larger than 64 MB")])
        return file.read_bytes()
    except OSError as error:
        raise RosterError([RosterProblem(path, 0, "file",
                                         f"cannot read it: {error.strerror}")]) from None


async def org_of(services: Services, settings: Settings, given: str | None) -> str:
    """The organisation a command acts on; only the configured default is made on demand."""
    org_id = given or settings.org
    if org_id == settings.org:
        await services.gym.records.ensure_org(org_id)
        return org_id
    try:
        await services.gym.records.org(org_id)
    except NotFound:
        raise NotFound(f"no organisation {org_id!r}; create it with `onlive org create "
                       f"{org_id} --name ...`", code="unknown_org") from None
    return org_id


async def run(settings: Settings, args: argparse.Namespace, write: Write = print) -> int:
    if args.command == "roster" and args.roster_command == "validate":
        return validate_roster(args.file, partial=args.partial, write=write)
    specs = _specs(args)  # bad input is refused before anything is opened
    async with one_shot(settings) as services:
        gym = services.gym
        if args.command == "org":
            if args.org_command == "create":
                made = await gym.records.create_org(specs["org"])
                write(f"organisation {made.id} ({made.name}): anonymity k {made.anonymity_k}, "
                      f"top-management warning below {made.top_warning_percent} %")
            else:
                for o in await gym.records.orgs():
                    write(f"{o.id:20} {o.name}  (k {o.anonymity_k}, "
                          f"warning below {o.top_warning_percent} %)")
            return 0
        org_id = await org_of(services, settings, getattr(args, "org", None))
        if args.command == "roster":
            report = await gym.roster.import_file(org_id, _read(args.file), args.file,
                                                  partial=args.partial)
            write(f"{org_id}: {report}")
        elif args.command == "class":
            path = Path(args.file)
            version = await gym.classes.publish(org_id, _read_class(path), str(path),
                                                created_by=args.by)
            write(f"class {version.class_id} version {version.version} in {org_id} "
                  f"({version.title.sv})")
        elif args.command == "person":
            person = await gym.roster.add(org_id, specs["person"])
            write(f"added {person.employee_id} ({person.name}) to {org_id} outside the roster "
                  "file; roster imports leave them as they are")
        elif args.command == "program":
            await _program(services, org_id, args, specs, write)
        elif args.command == "mail":
            await _mail(services, org_id, args, write)
        elif args.command == "session" and args.session_command == "archive":
            archive = await gym.archiver.collect(await services.store.load(args.pass_id))
            if archive is None:
                write(f"{args.pass_id} is no session of an organisation; nothing to keep")
                return 1
            counts = await gym.records.archive_pass(archive)
            counts["live keys expiring"] = await gym.archiver.expire(args.pass_id)
            write(f"{args.pass_id}: " + ", ".join(f"{n} {what}" for what, n in counts.items()))
        elif args.command == "session":
            if args.session_command == "add":
                session = await gym.programs.add_session(org_id, args.program_id,
                                                         args.class_ref, specs["session"])
                write(_session_line(session))
            else:
                state = await gym.programs.open_session(org_id, args.pass_id)
                write(state.id)
                write(f"{settings.base_url}/f#credential="
                      f"{services.access.facilitator_credential(state.id)}")
    return 0


async def _program(services: Services, org_id: str, args: argparse.Namespace,
                   specs: dict[str, Any], write: Write) -> None:
    programs = services.gym.programs
    if args.program_command == "create":
        program = await programs.create(org_id, specs["program"])
        write(f"program {program.id} ({program.name}) in {org_id}: audience "
              f"{program.audience.describe()}, {program.cadence.value}, "
              f"anonymity k {program.anonymity_k}")
    elif args.program_command == "list":
        for p in await programs.all(org_id):
            write(f"{p.id:24} {p.name}  ({len(p.classes)} classes, {p.state})")
    elif args.program_command == "invite":
        count = await services.gym.outbox.invite_audience(org_id, args.program_id)
        write(f"{count} people of {args.program_id}'s audience are mailed a link to choose "
              "their session (once each)")
    elif args.program_command == "link":
        links = services.gym.links
        if args.revoke:
            done = await links.revoke(org_id, args.program_id, args.employee_id)
            write("revoked" if done else f"{args.employee_id} has no live link to revoke")
        else:
            token = await (links.issue if args.new else links.current)(
                org_id, args.program_id, args.employee_id)
            write(links.url(token))
    elif args.program_command == "show":
        program, sessions = await programs.show(org_id, args.program_id)
        for line in _program_lines(program, sessions):
            write(line)
    elif args.program_command in ("move-class", "remove-class"):
        if args.program_command == "move-class":
            await programs.move_class(org_id, args.program_id, args.class_ref, args.to)
        else:
            gone = await programs.remove_class(org_id, args.program_id, args.class_ref)
            write(f"removed class {gone.position}: {gone.class_id}")
        program = await services.gym.records.program(org_id, args.program_id)
        for c in program.classes:
            write(f"{c.position}. {c.class_id}  due {c.due_on or '-'}  "
                  f"{'mandatory' if c.mandatory else 'optional'}")
    else:
        if args.mandatory is None:
            program = await services.gym.records.program(org_id, args.program_id)
            specs["class"] = ProgramClassSpec(specs["class"].class_id, specs["class"].due_on,
                                              program.mandatory)
        added = await programs.add_class(org_id, args.program_id, specs["class"],
                                         specs["params"])
        write(f"class {added.position}: {added.class_id}, due {added.due_on or '-'}, "
              f"{'mandatory' if added.mandatory else 'optional'}")


async def _mail(services: Services, org_id: str, args: argparse.Namespace,
                write: Write) -> None:
    outbox = services.gym.outbox
    if args.mail_command == "retry":
        if not await outbox.retry(org_id, args.mail_id):
            raise NotFound(f"no failed mail #{args.mail_id} in {org_id!r}", code="unknown_mail")
        write(f"mail #{args.mail_id} goes out again now")
        return
    mails = await outbox.listing(org_id, None if args.all else (
        MailStatus.PENDING, MailStatus.SENDING, MailStatus.FAILED))
    if not mails:
        write("the outbox is empty" if args.all else "every mail is sent")
    for m in mails:
        write(f"#{m.id} {m.status.value:8} {m.kind.value:15} {m.employee_id:12} "
              f"attempts {m.attempts}  due {m.send_after:%Y-%m-%d %H:%M}"
              + (f"  next {m.next_attempt_at:%Y-%m-%d %H:%M}" if m.status is MailStatus.FAILED
                 and m.next_attempt_at.year < 9999 else "")
              + (f"  last error: {m.last_error}" if m.last_error else ""))


def _specs(args: argparse.Namespace) -> dict[str, Any]:
    """The checked values of a command's arguments (raises before anything changes)."""
    specs: dict[str, Any] = {}
    if args.command == "org" and args.org_command == "create":
        specs["org"] = Organisation(args.org_id, args.name, args.anonymity_k, args.top_warning)
    elif args.command == "person" and args.person_command == "add":
        specs["person"] = _person(args)
    elif args.command == "program" and args.program_command == "create":
        specs["program"] = ProgramSpec(
            args.program_id, args.name, Audience.of(args.department, args.site, args.level),
            Cadence(args.cadence), args.mandatory, args.anonymity_k,
            _date(args.starts, "starts"), _date(args.ends, "ends"))
    elif args.command == "program" and args.program_command == "add-class":
        specs["class"] = ProgramClassSpec(args.class_id, _date(args.due, "due"),
                                          bool(args.mandatory))
        specs["params"] = _params(args.param)
    elif args.command == "session" and args.session_command == "add":
        specs["session"] = SessionSpec(parse_start(args.start, args.time_zone), args.time_zone,
                                       args.capacity, args.facilitator)
    return specs


def _person(args: argparse.Namespace) -> RosterPerson:
    """The person of ``onlive person add``, checked like a roster row."""
    header = "employee_id,first_name,last_name,email,department,site,manager_employee_id,level," \
             "language"
    row = [args.employee_id, args.first_name, args.last_name, args.email, args.department,
           args.site, args.manager or "", args.level, args.language]
    if (wrong := check_employee_id(args.employee_id)) is not None:
        raise InvalidProgram(f"employee id: {wrong}", code="invalid_person")
    text = header + "\n" + ",".join('"' + v.replace('"', '""') + '"' for v in row) + "\n"
    roster = parse_roster(text.encode(), "onlive person add", partial=True)
    return roster.people[0]


def _read_class(path: Path) -> str:
    from exercises.classfile import ClassFileError, Problem

    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ClassFileError([Problem(str(path), 0, "", f"cannot read it as UTF-8: {error}")]
                             ) from None


def _date(text: str | None, what: str) -> date | None:
    return None if text is None else parse_date(text, what)


def _params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidProgram(f"--param {pair!r}: write NAME=TEXT", code="invalid_parameter")
        params[name.strip()] = value
    return params


def _session_line(s: SessionRecord) -> str:
    return (f"{s.pass_id}  {s.starts_at:%Y-%m-%d %H:%M} {s.time_zone}  {s.class_id} "
            f"v{s.class_version}  {s.enrolled}/{s.capacity} enrolled"
            f"{f' (+{s.waiting} waiting)' if s.waiting else ''}  {s.facilitator}  {s.state.value}")


def _program_lines(p: ProgramRecord, sessions: list[SessionRecord]) -> list[str]:
    lines = [f"{p.id}: {p.name} ({p.state})",
             f"  audience: {p.audience.describe()}; cadence: {p.cadence.value}; "
             f"anonymity k: {p.anonymity_k}"
             + (f"; {p.starts_on or '…'} to {p.ends_on or '…'}" if p.starts_on or p.ends_on
                else ""),
             "  classes:"]
    if not p.classes:
        lines.append("    (none yet: onlive program add-class)")
    for c in p.classes:
        lines.append(f"    {c.position}. {c.class_id}  due {c.due_on or '-'}  "
                     f"{'mandatory' if c.mandatory else 'optional'}")
        for s in sessions:
            if s.program_class_id == c.id:
                lines.append(f"       {_session_line(s)}")
    return lines
