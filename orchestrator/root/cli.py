"""The ``onlive`` command line.

    onlive dev                      a local pass; starts redis-server, postgres, livekit-server
    onlive serve                    one orchestrator worker against running services
    onlive pass create              create a pass (prints its id and facilitator link)
    onlive pass invite PASS ID…     join links for people of the roster (by employee id)
    onlive pass facilitator PASS    issue a facilitator link
    onlive ops-link                 issue an ops dashboard link
    onlive link revoke CREDENTIAL   revoke a link, credential, credential id or sso:SESSION
    onlive ops-credential [--days N]   an ops credential for a metrics scraper
    onlive admin-link | leadership-link   revocable links to an organisation's admin and
                                    leadership pages (see staffcli.py)
    onlive facilitator-link NAME    a facilitator's upcoming passes and the class page
    onlive class validate FILE…     check class files; exit 0 only if all are valid
    onlive bench NAME               run a benchmark (see README)
    onlive bots --pass P --count N  synthetic participants
    onlive contract [--check]       write web/src/contract.js (or check it is current)
    onlive org | roster | program | session | person add   the gym (see gymcli.py)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from breakout.errors import CodedError
from exercises.script import ClassScript
from exercises.state import Member
from orchestrator import logs
from orchestrator.access import Access
from orchestrator.root import gymcli, staffcli
from orchestrator.root.oneshot import one_shot
from orchestrator.settings import Settings
from signalling import views

BENCHMARKS = {
    "durability": "orchestrator.root.bench.durability",
    "pairing": "orchestrator.root.bench.pairing",
    "program": "orchestrator.root.bench.program",
    "switch": "orchestrator.root.bench.switch",
    "fanout": "orchestrator.root.bench.fanout",
    "join": "orchestrator.root.bench.join",
    "breakout": "orchestrator.root.bench.breakout",
    "fuzz": "orchestrator.root.bench.fuzz",
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="onlive", description="Live, facilitated training passes "
                                "online: never recorded, everyone taking part.")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="run a local pass with redis-server and livekit-server")
    sub.add_parser("serve", help="run one orchestrator worker")

    pass_ = sub.add_parser("pass", help="create passes and issue links")
    pass_sub = pass_.add_subparsers(dest="pass_command", required=True)
    create = pass_sub.add_parser("create", help="create a pass")
    create.add_argument("--class", dest="class_id", default="demo",
                        help="a built-in class id or a class file (default: demo)")
    create.add_argument("--program", default="default", help="the program the pass belongs to")
    create.add_argument("--param", action="append", default=[], metavar="NAME=TEXT",
                        help="a class parameter, e.g. leadership_philosophy=…")
    invite = pass_sub.add_parser("invite", help="join links for people of the roster")
    invite.add_argument("pass_id")
    invite.add_argument("employee_ids", nargs="+", metavar="EMPLOYEE_ID",
                        help="people of the roster (someone outside it: onlive person add)")
    invite.add_argument("--org", default=None, help="their organisation (default: ONLIVE_ORG)")
    fac = pass_sub.add_parser("facilitator", help="issue a facilitator link")
    fac.add_argument("pass_id")
    sub.add_parser("ops-link", help="issue an ops dashboard link")
    scraper = sub.add_parser("ops-credential",
                             help="print an ops credential for /metrics (Authorization: Bearer)")
    scraper.add_argument("--days", type=int, default=90, help="how long it is valid (1-366)")
    staffcli.add_parsers(sub)

    link = sub.add_parser("link", help="revoke links and credentials")
    link_sub = link.add_subparsers(dest="link_command", required=True)
    revoke = link_sub.add_parser("revoke", help="revoke a link (join, staff or personal), a "
                                 "credential, a credential id or a sign-on session (sso:ID); "
                                 "sockets holding it are dropped at once")
    revoke.add_argument("credential", help="the whole link, the credential, or its id")

    person = sub.add_parser("person", help="one person's data (GDPR)")
    person_sub = person.add_subparsers(dest="person_command", required=True)
    export = person_sub.add_parser("export", help="print everything held about a person (JSON)")
    export.add_argument("person_id", help="their employee id")
    export.add_argument("--org", default=None)
    erase = person_sub.add_parser("erase", help="erase everything held about a person")
    erase.add_argument("person_id", help="their employee id")
    erase.add_argument("--yes", action="store_true", help="confirm the erasure")
    erase.add_argument("--org", default=None)
    gymcli.add_person_parsers(person_sub)
    gymcli.add_parsers(sub)

    cls = sub.add_parser("class", help="class scripts")
    cls_sub = cls.add_subparsers(dest="class_command", required=True)
    validate = cls_sub.add_parser("validate", help="validate class files")
    validate.add_argument("files", nargs="+")
    cls_sub.add_parser("list", help="list the built-in classes")
    publish = cls_sub.add_parser("publish", help="save a class file as the next version of "
                                 "that class in the organisation's library")
    publish.add_argument("file")
    publish.add_argument("--by", default="onlive cli", help="who saves it (name or e-mail)")
    publish.add_argument("--org", default=None)

    bench = sub.add_parser("bench", help="run a benchmark")
    bench.add_argument("name", choices=sorted(BENCHMARKS))
    bench.add_argument("args", nargs=argparse.REMAINDER)

    bots = sub.add_parser("bots", help="run synthetic participants in a pass")
    bots.add_argument("--pass", dest="pass_id", required=True)
    bots.add_argument("--count", type=int, default=4)

    contract = sub.add_parser("contract", help="write web/src/contract.js from the Python "
                              "definitions")
    contract.add_argument("--check", action="store_true",
                          help="write nothing; exit 1 if the file differs")
    return p


async def _pass_command(settings: Settings, args: argparse.Namespace) -> int:
    base = settings.base_url
    async with one_shot(settings) as services:
        if args.pass_command == "create":
            from exercises.demo import demo_class

            script = demo_class() if args.class_id == "demo" else _load_class(args)
            state = await services.passes.create_pass(script, program=args.program)
            print(state.id)
            print(f"{base}/f#credential={services.access.facilitator_credential(state.id)}")
        elif args.pass_command == "invite":
            org_id = await gymcli.org_of(services, settings, args.org)
            for employee_id in args.employee_ids:
                ticket = await services.gym.roster.invite(org_id, args.pass_id, employee_id)
                print(f"{employee_id}: {base}/p#ticket={ticket}")
        elif args.pass_command == "facilitator":
            await services.store.load(args.pass_id)
            print(f"{base}/f#credential={services.access.facilitator_credential(args.pass_id)}")
    return 0


async def _person_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.person_command == "add":
        return await gymcli.run(settings, args)
    if args.person_command == "erase" and not args.yes:
        print("onlive: erasing cannot be undone; repeat with --yes", file=sys.stderr)
        return 2
    async with one_shot(settings) as services:
        org_id = await gymcli.org_of(services, settings, args.org)
        if args.person_command == "export":
            full = await services.gym.person_data.export(org_id, args.person_id)
            exported = views.full_export(full.live, full.records.tables, org_id)
            print(json.dumps(exported, ensure_ascii=False, indent=2, default=str))
            return 0
        done = await services.gym.person_data.erase(org_id, args.person_id)
        print(f"erased {args.person_id} of {org_id}: {done['records']} live record(s), "
              f"{done['passes']} pass roster(s) scrubbed, {done['rows']} stored row(s)")
    return 0


async def _link_command(settings: Settings, credential: str) -> int:
    from orchestrator.revocation import revoke

    async with one_shot(settings) as services:
        done = await revoke(credential, services.access, services.gym.links,
                            services.gym.staff)
    print(f"revoked {done.kind} {done.id}")
    return 0


def _bots_command(settings: Settings, pass_id: str, count: int) -> int:
    """``onlive bots --pass P --count N``: invite N synthetic people and run them."""
    from signalling.media import Bot, participant_frequency

    async def main() -> None:
        async with one_shot(settings) as services:
            tickets = []
            for i in range(count):
                member = Member(f"bot-{pass_id}-{i}", f"Bot {i + 1}",
                                ("IT", "HR", "Ekonomi")[i % 3], ("Umeå", "Malmö")[i % 2])
                tickets.append((member.id, await services.participants.invite(pass_id, member)))
        tones = {pid: participant_frequency(i) for i, (pid, _) in enumerate(tickets)}
        bots = [Bot(settings.base_url, t, pid, tones[pid], tones, index=i)
                for i, (pid, t) in enumerate(tickets)]
        try:
            # Inside the try: bots that did start are stopped when another fails.
            await asyncio.gather(*(b.start() for b in bots))
            print(f"{count} synthetic participants joined pass {pass_id}; Ctrl-C to stop",
                  flush=True)
            await asyncio.Event().wait()
        finally:
            await asyncio.gather(*(b.stop() for b in bots), return_exceptions=True)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    return 0


def _load_class(args: argparse.Namespace) -> ClassScript:
    """A class from a file path or the built-in library, parameters filled."""
    from exercises import library
    from orchestrator.classfiles import load_class

    params = dict(p.split("=", 1) for p in args.param)
    if Path(args.class_id).exists():
        return load_class(Path(args.class_id), params)
    return library.get_class(args.class_id, params)


def run_validate(paths: Sequence[str], write: Callable[[str], None] = print) -> int:
    """``onlive class validate FILE…``: write every problem, return the exit status.

    0 only when every file (directories are searched) is valid; 1 when any
    problem was found; 2 when no path was given.
    """
    from orchestrator import classfiles

    if not paths:
        write("usage: onlive class validate FILE_OR_DIRECTORY...")
        return 2
    problems = classfiles.validate_files(paths)
    for line in classfiles.report(problems):
        write(line)
    return 1 if problems else 0


def _class_command(args: argparse.Namespace) -> int:
    from exercises import library

    if args.class_command == "list":
        for info in library.list_classes():
            needs = f" (needs: {', '.join(info.required_parameters)})" \
                if info.required_parameters else ""
            print(f"{info.id:40} {info.duration / 60:4.0f} min  {info.title.sv}{needs}")
        return 0
    return run_validate(args.files)


def _contract_command(check: bool) -> int:
    """``onlive contract [--check]``: the pages' copy of the wire contract, kept current."""
    from signalling.contract import WEB_CONTRACT, contract, render_js

    text = render_js(contract())
    current = WEB_CONTRACT.read_text(encoding="utf-8") if WEB_CONTRACT.exists() else None
    if current == text:
        print(f"{WEB_CONTRACT} is current")
        return 0
    if check:
        print(f"onlive: {WEB_CONTRACT} differs from the Python definitions; "
              "run `onlive contract` and commit it", file=sys.stderr)
        return 1
    WEB_CONTRACT.write_text(text, encoding="utf-8")
    print(f"wrote {WEB_CONTRACT}")
    return 0


def _interrupted(signum: int, frame: object) -> None:
    # Once: a second signal must not cut short the stopping of what the first began.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _bench(name: str, argv: list[str]) -> int:
    """Run benchmark ``name``. Stopped by SIGTERM or SIGHUP (a ``timeout``, a
    cancelled job, a closed terminal) it unwinds as after Ctrl-C: the Redis,
    PostgreSQL, LiveKit, workers and load generator it started are stopped by its
    ``finally`` blocks instead of running on without it."""
    module = importlib.import_module(BENCHMARKS[name])
    before = {sig: signal.signal(sig, _interrupted) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return int(module.run(argv))
    except KeyboardInterrupt:
        print(f"onlive bench {name}: stopped before the end; the services it started are "
              "stopped", file=sys.stderr)
        return 130
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "roster" and args.roster_command == "validate":
            return gymcli.validate_roster(args.file, partial=args.partial)
        if args.command == "class" and args.class_command != "publish":
            return _class_command(args)
        if args.command == "bench":
            return _bench(args.name, list(args.args))
        if args.command == "contract":
            return _contract_command(args.check)
        settings = Settings.from_env()
        logs.configure(settings.log_level, json_lines=settings.log_json
                       and args.command != "dev")
        if args.command == "dev":
            from orchestrator.root.dev import run_dev

            return run_dev(settings)
        if args.command == "serve":
            from orchestrator.root.dev import run_worker, serve

            run_worker(serve(settings, demo=False), settings)
            return 0
        if args.command == "pass":
            return asyncio.run(_pass_command(settings, args))
        if args.command == "ops-link":
            async def ops() -> int:
                async with one_shot(settings) as services:
                    print(f"{settings.base_url}/ops#credential={services.access.ops_credential()}")
                return 0
            return asyncio.run(ops())
        if args.command == "ops-credential":
            if not 1 <= args.days <= 366:
                print("--days must be 1-366", file=sys.stderr)
                return 2
            # Signing needs only the installation's secret, no running service.
            print(Access(settings).ops_credential(ttl=args.days * 86400))
            return 0
        if args.command in staffcli.COMMANDS:
            return asyncio.run(staffcli.run(settings, args))
        if args.command == "person":
            return asyncio.run(_person_command(settings, args))
        if args.command == "link":
            return asyncio.run(_link_command(settings, args.credential))
        if args.command in gymcli.COMMANDS or args.command == "class":
            return asyncio.run(gymcli.run(settings, args))
        if args.command == "bots":
            return _bots_command(settings, args.pass_id, args.count)
    except CodedError as error:
        print(f"onlive: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
