"""The admin and leadership pages in a real browser, with mail on a real SMTP server.

The admin uploads a broken roster (every problem shown by line and column,
nothing imported), then the real one; creates a program, is told beside the
field what is wrong with a session, schedules a class with three sessions and
invites the audience. A participant receives the mail, opens Min träning from
it and goes on the waiting list of a full session, then takes a place in
another. One enrolled person never comes: after the pass the dashboard shows
them as missing. The leadership page shows the top-management line and k-safe
aggregates, and nothing for a slice below k.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from exercises import events as ev
from orchestrator.gym.flowrecords import ArchivedAnswer, AttendanceRow, PassArchive
from orchestrator.root.mailsink import MailSink
from orchestrator.root.oneshot import one_shot
from orchestrator.tickets import Kind
from tests.browser.conftest import ARTIFACTS, People
from tests.browser.test_my_training import LINK, env, mail_to, sink  # noqa: F401 (fixtures)
from tests.browser.test_pass_in_browsers import until
from tests.harness import OrchestratorProcess, settings_for

pytestmark = [pytest.mark.browser, pytest.mark.services]

ORG = "default"
HEADER = "employee_id,first_name,last_name,email,department,site,manager_employee_id,level\n"
BROKEN = HEADER + "E1,Anna,Lind,anna@acme.se,HR,Umeå,,top\nE2,Bo,Ek,inte-en-adress,HR,Umeå,E9,chef\n"


def roster() -> str:
    rows = ["E1,Anna,Lind,anna@acme.se,Ledning,Umeå,,top",
            "E2,Bo,Ek,bo@acme.se,Ledning,Umeå,E1,top",
            "E3,Cia,Berg,cia@acme.se,Ledning,Umeå,E1,top",
            "E4,Dan,Holm,dan@acme.se,HR,Umeå,E1,employee"]
    rows += [f"H{i},Hedda,Hr{i},h{i}@acme.se,HR,Umeå,E1,employee" for i in range(7)]
    rows += [f"K{i},Kim,Kiruna{i},k{i}@acme.se,IT,Kiruna,E1,employee" for i in range(2)]
    return HEADER + "\n".join(rows) + "\n"


async def test_the_admin_schedules_and_leadership_sees_only_k_safe_insights(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People,  # noqa: F811
        sink: MailSink, tmp_path: Path) -> None:  # noqa: F811
    settings = settings_for(env)
    async with one_shot(settings) as services:
        await services.gym.records.ensure_org(ORG)
        _, admin_url = await services.gym.staff.issue(ORG, Kind.ADMIN, "Lisa")
        _, lead_url = await services.gym.staff.issue(ORG, Kind.LEADERSHIP, "Ledningen")
    admin = await people.open(admin_url, "admin")
    await admin.locator("#content").wait_for(state="visible")
    assert "#credential" not in admin.url

    broken = tmp_path / "personal.csv"
    broken.write_text(BROKEN, encoding="utf-8")
    await admin.get_by_label("Fil", exact=True).set_input_files(str(broken))
    await admin.get_by_role("button", name="Läs in").click()
    await until(admin, "() => !document.querySelector('#roster-problems-wrap').hidden")
    rows = await admin.locator("#roster-problems tbody tr").all_inner_texts()
    assert any(r.startswith("3\temail\tinte-en-adress är ingen e-postadress") for r in rows), rows
    assert any("Okänd nivå chef" in r for r in rows) and any("Chefen E9" in r for r in rows)
    assert "0 aktiva personer" in await admin.locator("#people-count").inner_text()

    good = tmp_path / "personal-rätt.csv"
    good.write_text(roster(), encoding="utf-8")
    await admin.get_by_label("Fil", exact=True).set_input_files(str(good))
    await admin.get_by_role("button", name="Läs in").click()
    await until(admin, "() => document.querySelector('#people-count').textContent.startsWith('13')")
    assert "13 tillagda" in await admin.locator("#roster-result").inner_text()

    await admin.get_by_label("Kort namn i länkar (a–z, 0–9, -)").fill("lead")
    await admin.get_by_label("Namn", exact=True).fill("Ledarskap 2027")
    await admin.locator("#class-pick-1").select_option("listening-for-real")
    await admin.locator("#program-form").get_by_role("button", name="Spara").click()
    await until(admin, "() => !document.querySelector('#sessions-panel').hidden")

    zone = ZoneInfo("Europe/Stockholm")
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    starts = [now + timedelta(hours=2), now + timedelta(days=1), now + timedelta(days=2)]
    form = admin.locator("#session-form")
    await form.get_by_label("Antal platser").fill("1")
    await form.get_by_role("button", name="Spara").click()
    await until(admin, "() => document.querySelector('#err-capacity').textContent !== ''")
    assert "Ett heltal från 2 till 1000" in await admin.locator("#err-capacity").inner_text()
    assert "Fyll i" in await admin.locator("#err-facilitator").inner_text()
    for when, capacity in zip(starts, ("3", "2", "5"), strict=True):
        await form.get_by_label("Start (lokal tid)").fill(when.astimezone(zone).strftime("%Y-%m-%dT%H:%M"))
        await form.get_by_label("Antal platser").fill(capacity)
        await form.get_by_label("Facilitator").fill("Fia")
        await form.get_by_role("button", name="Spara").click()
        await until(admin, "n => document.querySelectorAll('#sessions tbody tr').length === n",
                    arg=starts.index(when) + 1)
    passes = await admin.evaluate(
        "() => [...document.querySelectorAll('#sessions tbody tr')].map(r => r.dataset.pass)")
    await admin.get_by_role("button", name="Bjud in målgruppen via e-post").click()
    await until(admin, "() => document.querySelector('#status').textContent.includes('13')")

    async with one_shot(settings) as services:
        gym = services.gym
        for person in ("E2", "E3"):
            await gym.enrolments.choose(ORG, "lead", person, passes[1])  # full
        await gym.enrolments.choose(ORG, "lead", "E4", passes[0])  # never comes
    invitation = await mail_to(sink, "anna@acme.se", "Välj ditt pass")
    link = LINK.search(invitation)
    assert link is not None, invitation
    anna = await people.open(link.group(0), "anna")
    await anna.locator("#content").wait_for(state="visible")
    full_row = anna.locator(f"#sessions li[data-pass='{passes[1]}']")
    await full_row.get_by_role("button", name=re.compile("Ställ mig på väntelistan")).click()
    await until(anna, f"() => document.querySelector(\"#sessions li[data-pass='{passes[1]}']\")"
                      ".dataset.mine === 'waiting'")
    first_row = anna.locator(f"#sessions li[data-pass='{passes[0]}']")
    await first_row.get_by_role("button", name=re.compile("Byt hit")).click()
    await until(anna, f"() => document.querySelector(\"#sessions li[data-pass='{passes[0]}']\")"
                      ".dataset.mine === 'enrolled'")

    # The first pass runs: Anna comes (her presence as the pass keeps it), Dan never
    # does. Ten people answered a question for leadership in the third.
    async with one_shot(settings) as services:
        gym = services.gym
        await gym.programs.open_session(ORG, passes[0])
        await services.passes.command(passes[0], ev.End(), "fac")
        at = datetime.now(timezone.utc).timestamp() - 60
        await gym.records.archive_pass(PassArchive(ORG, passes[0], at + 30, (), (), (
            AttendanceRow("E1", at, 40, False),), ()))
        came = ["E1", *[f"H{i}" for i in range(7)], "K0", "K1"]
        await gym.records.archive_pass(PassArchive(
            ORG, passes[2], at + 30,
            tuple(ArchivedAnswer(p, "what-do-you-need", "reflection", "leadership",
                                 {"text": f"Mer tid för samtal i teamet {i}"}, at)
                  for i, p in enumerate(came)),
            (), tuple(AttendanceRow(p, at, 40, False) for p in came), ()))

    await admin.reload()
    await admin.locator("#content").wait_for(state="visible")
    await until(admin, "() => !document.querySelector('#dashboard').hidden")
    first_line = await admin.locator("#dash-classes tbody tr").first.inner_text()
    assert first_line.split("\t")[4] == "1", first_line  # Dan: did not come
    assert "Ledningen: 1 av 3 har tränat den här månaden" in \
        await admin.locator("#top-line").inner_text()
    assert await admin.locator("#top-warning").is_visible()
    await admin.get_by_role("button", name=re.compile("Visa vilka")).click()
    await until(admin, "() => document.querySelector('.missing-list') !== null")
    assert "Dan Holm" in await admin.locator(".missing-list").inner_text()
    await admin.screenshot(path=str(ARTIFACTS / "admin.png"), full_page=True)

    lead = await people.open(lead_url, "leadership")
    await lead.locator("#content").wait_for(state="visible")
    assert "Ledningen: 1 av 3 har tränat den här månaden" in \
        await lead.locator("#top-line").inner_text()
    question = lead.locator("section.question[data-step='what-do-you-need']")
    await question.wait_for()
    assert await question.get_attribute("data-hidden") == "false"
    assert "10 personer har svarat" in await question.inner_text()
    assert await question.locator(".texts li").count() == 10
    assert "samtal (10)" in await question.locator(".words").inner_text()
    await lead.get_by_label("Ort").select_option("Kiruna")
    await until(lead, "() => document.querySelector(\"section.question\").dataset.hidden === 'true'")
    hidden = await lead.locator("section.question").inner_text()
    assert "Dolt för att skydda anonymiteten" in hidden and "Mer tid" not in hidden
    await lead.screenshot(path=str(ARTIFACTS / "insights.png"), full_page=True)
    assert people.errors == []
    assert people.traffic.foreign() == []
