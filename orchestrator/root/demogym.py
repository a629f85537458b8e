"""The demo gym ``onlive dev`` sets up: a small roster, a program and three sessions.

So a new user sees the whole flow: the invitations arrive on ``/dev/mail``,
each person's "Min träning" link opens their page, the first session starts
in a quarter of an hour (its join button appears ten minutes before) and is
already open for its facilitator. Idempotent: a second start finds it all
in place and only prints the links.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from exercises.gym.program import Audience, Cadence, ProgramClassSpec, ProgramSpec, SessionSpec
from exercises.gym.roster import parse_roster
from orchestrator.errors import NotFound
from orchestrator.services import Services
from orchestrator.settings import Settings

PROGRAM = "demo-gym"
ROSTER = """employee_id,first_name,last_name,email,department,site,manager_employee_id,level,language
demo-greta,Greta,Nyström,greta@demo.onlive,Ledning,Stockholm,,top,sv
demo-anna,Anna,Lind,anna@demo.onlive,Ekonomi,Stockholm,demo-greta,manager,sv
demo-bjorn,Björn,Berg,bjorn@demo.onlive,IT,Göteborg,demo-anna,employee,sv
demo-cecilia,Cecilia,Holm,cecilia@demo.onlive,HR,Malmö,demo-greta,manager,en
demo-david,David,Ek,david@demo.onlive,Produktion,Luleå,demo-cecilia,employee,sv
"""


async def demo_gym(services: Services, settings: Settings) -> list[str]:
    """Set the demo gym up (once) and return the lines to print."""
    gym, org = services.gym, settings.org
    await gym.records.ensure_org(org)
    await gym.records.import_roster(org, parse_roster(ROSTER.encode(), "demo roster",
                                                      partial=True))
    try:
        await gym.records.program(org, PROGRAM)
    except NotFound:
        await gym.programs.create(org, ProgramSpec(PROGRAM, "Ledarskapsgym (demo)", Audience(),
                                                   Cadence.WEEKLY, True))
        await gym.programs.add_class(org, PROGRAM, ProgramClassSpec("listening-for-real",
                                                                    mandatory=True))
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        for start, capacity in ((now + timedelta(minutes=15), 3), (now + timedelta(days=1), 2),
                                (now + timedelta(days=2), 20)):
            session = await gym.programs.add_session(org, PROGRAM, "1", SessionSpec(
                start, "Europe/Stockholm", capacity, "Demo facilitator"))
            if capacity == 3:
                await gym.programs.open_session(org, session.pass_id)
        await gym.outbox.invite_audience(org, PROGRAM)
    _, sessions = await gym.programs.show(org, PROGRAM)
    base = settings.base_url
    lines = ["  Leadership gym (demo): invitations go out by mail; each person's own page:"]
    for person in await gym.records.audience_of(org, PROGRAM):
        token = await gym.links.current(org, PROGRAM, person.employee_id)
        lines.append(f"    {person.name}: {gym.links.url(token)}")
    for s in sessions:
        if s.state.value == "open":
            lines.append(f"  Its first session ({s.starts_at:%H:%M}), facilitator: "
                         f"{base}/f#credential={services.access.facilitator_credential(s.pass_id)}")
    return lines
