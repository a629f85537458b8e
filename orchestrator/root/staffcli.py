"""``onlive admin-link``, ``onlive leadership-link`` and ``onlive facilitator-link``:
revocable links to the admin and leadership pages of one organisation, and to a
facilitator's own page (their upcoming passes, the class page).

    onlive admin-link [--org ORG] [--label TEXT]      a new link (prints its URL)
    onlive admin-link --list                          the organisation's links, both roles
    onlive admin-link --revoke ID | --revoke-all      stop one link, or every admin link
    (the same for leadership-link)
    onlive facilitator-link NAME [--org ORG]          NAME as sessions name the facilitator
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from orchestrator.root import gymcli
from orchestrator.root.oneshot import one_shot
from orchestrator.settings import Settings
from orchestrator.tickets import Kind

COMMANDS = {"admin-link": Kind.ADMIN, "leadership-link": Kind.LEADERSHIP,
            "facilitator-link": Kind.FACILITATOR_HOME}


def add_parsers(sub: Any) -> None:
    for name, role in COMMANDS.items():
        page = {Kind.ADMIN: "admin page (roster, programs, dashboard)",
                Kind.LEADERSHIP: "leadership insights page",
                Kind.FACILITATOR_HOME: "facilitator's page (upcoming passes, classes)"}[role]
        p = sub.add_parser(name, help=f"issue, list or revoke links to the {page}")
        if role is Kind.FACILITATOR_HOME:
            p.add_argument("name", nargs="?", default="",
                           help="the facilitator, as sessions name them (--facilitator)")
        p.add_argument("--org", default=None,
                       help="the organisation (default: ONLIVE_ORG, else 'default')")
        p.add_argument("--label", default="", help="whose link it is, e.g. a name")
        which = p.add_mutually_exclusive_group()
        which.add_argument("--list", action="store_true", help="list the links")
        which.add_argument("--revoke", type=int, metavar="ID", help="revoke one link")
        which.add_argument("--revoke-all", action="store_true",
                           help=f"revoke every {role.value} link of the organisation")


async def run(settings: Settings, args: argparse.Namespace,
              write: Callable[[str], None] = print) -> int:
    role = COMMANDS[args.command]
    async with one_shot(settings) as services:
        org_id = await gymcli.org_of(services, settings, args.org)
        staff = services.gym.staff
        if args.list:
            for c in await staff.all(org_id):
                state = f"revoked {c.revoked_at:%Y-%m-%d}" if c.revoked_at else "live"
                write(f"{c.id:6}  {c.role:10}  {c.issued_at:%Y-%m-%d %H:%M}  {state:18}  "
                      f"{c.label}")
        elif args.revoke is not None or args.revoke_all:
            count = await staff.revoke(org_id, role, args.revoke)
            if args.revoke is not None and count == 0:
                write(f"onlive: no live {role.value} link {args.revoke} in {org_id}")
                return 1
            write(f"revoked {count} {role.value} link{'s' if count != 1 else ''} of {org_id}")
        else:
            label = getattr(args, "name", "") or args.label
            if role is Kind.FACILITATOR_HOME and not label.strip():
                write("onlive: name the facilitator, as their sessions do: "
                      "onlive facilitator-link NAME")
                return 2
            row, url = await staff.issue(org_id, role, label)
            write(f"{role.value} link {row.id} for {org_id} (revoke: onlive {args.command} "
                  f"--revoke {row.id}):")
            write(url)
    return 0
