"""The whole gym in real browsers, with mail on a real SMTP server and a real pass.

The admin uploads a broken roster (every problem shown by line and column,
nothing imported), then the real one; creates a program, is told beside the
field what is wrong with a session, schedules a class with three sessions and
invites the audience. Participants receive the mail, open Min träning from
it, choose a session (Anna joins the waiting list of a full one, then takes a
place in another), and join when the facilitator has opened the pass from
their own page. One enrolled person never comes and shows as missing to the
facilitator. In the pass the participants check in and answer the class's
two questions for leadership (told first who sees what); the facilitator
ends the pass and it is archived. The dashboard shows who came and who did
not, per session and by department, and the top-management line; the
leadership page shows the k-safe aggregates of the answers and nothing for a
slice below k.

The organisation's k is 3 here, so that three people in browsers are enough
for a slice to be shown, and one or two in a site are not.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, Route

from orchestrator.gym.records import Organisation
from orchestrator.root.mailsink import MailSink
from orchestrator.root.oneshot import one_shot
from orchestrator.tickets import Kind
from tests.browser.conftest import ARTIFACTS, People
from tests.browser.test_my_training import LINK, env, mail_to, sink  # noqa: F401 (fixtures)
from tests.browser.test_pass_in_browsers import answer_by_click, enter, until
from tests.harness import OrchestratorProcess, settings_for
from tests.waiting import eventually

pytestmark = [pytest.mark.browser, pytest.mark.services]

ORG = "acme"
K = 3
HEADER = "employee_id,first_name,last_name,email,department,site,manager_employee_id,level\n"
BROKEN = HEADER + "E1,Anna,Lind,anna@acme.se,HR,Umeå,,top\nE2,Bo,Ek,inte-en-adress,HR,Umeå,E9,chef\n"
ZONE = ZoneInfo("Europe/Stockholm")
POLL, NEEDS = "feedback-situations-poll", "what-do-you-need"
# Who answers in the pass, and which of the poll's options each picks.
ANSWERING = {"anna": ("anna@acme.se", "Till min chef"), "hedda": ("h0@acme.se", "Till min chef"),
             "kim": ("k0@acme.se", "Till någon i ett annat team")}


def roster() -> str:
    rows = ["E1,Anna,Lind,anna@acme.se,Ledning,Umeå,,top",
            "E2,Bo,Ek,bo@acme.se,Ledning,Umeå,E1,top",
            "E3,Cia,Berg,cia@acme.se,Ledning,Umeå,E1,top",
            "E4,Dan,Holm,dan@acme.se,HR,Umeå,E1,employee"]
    rows += [f"H{i},Hedda,Hr{i},h{i}@acme.se,HR,Umeå,E1,employee" for i in range(7)]
    rows += [f"K{i},Kim,Kiruna{i},k{i}@acme.se,IT,Kiruna,E1,employee" for i in range(2)]
    return HEADER + "\n".join(rows) + "\n"


def local(moment: datetime) -> str:
    return moment.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


async def cells(page: Page, selector: str) -> list[list[str]]:
    return list(await page.evaluate("""sel => [...document.querySelectorAll(sel)].map(
        r => [...r.children].map(c => c.textContent.trim()))""", selector))


async def table_rows(page: Page, within: str, caption: str) -> list[list[str]]:
    """The body rows of the table captioned so inside ``within``."""
    return list(await page.evaluate("""([within, caption]) => {
        const table = [...document.querySelectorAll(`${within} table`)]
            .find(t => t.caption && t.caption.textContent === caption);
        return table ? [...table.tBodies[0].rows].map(
            r => [...r.cells].map(c => c.textContent.trim())) : null; }""", [within, caption]))


async def to_step(fac: Page, step_id: str) -> None:
    """Next step, one at a time, until the pass is at ``step_id``."""
    for _ in range(12):
        current = await fac.evaluate("() => window.onlive.app.view.step.id")
        if current == step_id:
            return
        await fac.locator("#cmd-next").click()
        await until(fac, "was => window.onlive.app.view.step.id !== was", current)
    pytest.fail(f"the pass never reached {step_id}")


async def test_the_admin_schedules_a_pass_runs_and_leadership_sees_only_k_safe_insights(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People,  # noqa: F811
        sink: MailSink, tmp_path: Path) -> None:  # noqa: F811
    settings = settings_for(env)
    async with one_shot(settings) as services:
        await services.gym.records.create_org(Organisation(ORG, "Acme AB", anonymity_k=K))
        _, admin_url = await services.gym.staff.issue(ORG, Kind.ADMIN, "Lisa")
        _, lead_url = await services.gym.staff.issue(ORG, Kind.LEADERSHIP, "Ledningen")
        _, fac_url = await services.gym.staff.issue(ORG, Kind.FACILITATOR_HOME, "Fia")
    admin = await people.open(admin_url, "admin")
    await admin.locator("#content").wait_for(state="visible")
    assert "#credential" not in admin.url

    # -- the roster: a broken file changes nothing; the real one is read ------------------
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

    # -- a program, its class and three sessions ------------------------------------------
    await admin.get_by_label("Kort namn i länkar (a–z, 0–9, -)").fill("lead")
    await admin.get_by_label("Namn", exact=True).fill("Ledarskap 2027")
    await admin.locator("#class-pick-1").select_option("feedback-that-helps")
    await admin.locator("#program-form").get_by_role("button", name="Spara").click()
    await until(admin, "() => !document.querySelector('#sessions-panel').hidden")
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    # The first starts within ten minutes: its join button shows at once.
    starts = [now + timedelta(minutes=8), now + timedelta(days=1), now + timedelta(days=2)]
    form = admin.locator("#session-form")
    await form.get_by_label("Antal platser").fill("1")
    await form.get_by_role("button", name="Spara").click()
    await until(admin, "() => document.querySelector('#err-capacity').textContent !== ''")
    assert "Ett heltal från 2 till 1000" in await admin.locator("#err-capacity").inner_text()
    assert "Fyll i" in await admin.locator("#err-facilitator").inner_text()
    for n, (when, capacity) in enumerate(zip(starts, ("4", "2", "5"), strict=True), start=1):
        await form.get_by_label("Start (lokal tid)").fill(local(when))
        await form.get_by_label("Antal platser").fill(capacity)
        await form.get_by_label("Facilitator").fill("Fia")
        await form.get_by_role("button", name="Spara").click()
        await until(admin, "n => document.querySelectorAll('#sessions tbody tr').length === n",
                    arg=n)
    passes = await admin.evaluate(
        "() => [...document.querySelectorAll('#sessions tbody tr')].map(r => r.dataset.pass)")
    first = passes[0]
    await admin.get_by_role("button", name="Bjud in målgruppen via e-post").click()
    await until(admin, "() => document.querySelector('#status').textContent.includes('13')")
    async with one_shot(settings) as services:
        for person in ("E2", "E3"):
            await services.gym.enrolments.choose(ORG, "lead", person, passes[1])  # full now
        await services.gym.enrolments.choose(ORG, "lead", "E4", first)  # Dan never comes

    # -- participants choose on Min träning, from the link in their mail ---------------------
    pages: dict[str, Page] = {}
    for name, (address, _) in ANSWERING.items():
        link = LINK.search(await mail_to(sink, address, "Välj ditt pass"))
        assert link is not None
        pages[name] = page = await people.open(link.group(0), name)
        await page.locator("#content").wait_for(state="visible")
    anna = pages["anna"]
    full_row = anna.locator(f"#sessions li[data-pass='{passes[1]}']")
    await full_row.get_by_role("button", name=re.compile("Ställ mig på väntelistan")).click()
    await until(anna, f"() => document.querySelector(\"#sessions li[data-pass='{passes[1]}']\")"
                      ".dataset.mine === 'waiting'")
    for name, page in pages.items():
        row = page.locator(f"#sessions li[data-pass='{first}']")
        await row.get_by_role("button", name=re.compile("^(Byt hit|Välj)")).click()
        await until(page, f"() => document.querySelector(\"#sessions li[data-pass='{first}']\")"
                          ".dataset.mine === 'enrolled'")

    # -- the facilitator opens the pass from their page; everyone but Dan comes -------------
    fac = await people.open(fac_url, "facilitator")
    fac.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await fac.locator(f"#sessions tr[data-pass='{first}']").get_by_role(
        "button", name=re.compile("^Öppna passet")).click()
    await fac.wait_for_url(re.compile(r"/f"))
    await until(fac, "() => document.querySelectorAll('#roster tbody tr').length === 4", timeout=60)
    for page in pages.values():
        join = page.locator(f"#sessions li[data-pass='{first}'] [data-action=join]")
        await join.wait_for(state="visible", timeout=60_000)
        await join.click()
        await page.wait_for_url(re.compile(r"/p"))
        await enter(page)
    await until(fac, "() => window.onlive.app.view && window.onlive.app.view.present === 3",
                timeout=60)
    await fac.get_by_role("button", name="Starta passet").click()
    await until(fac, """() => [...document.querySelectorAll('#roster tbody tr')]
        .map(r => r.dataset.status).sort().join() === 'missing,online,online,online'""")
    assert "Dan Holm" in await fac.locator("#roster tbody tr[data-status=missing]").inner_text()

    # -- in the pass: a check-in, then the two questions for leadership ---------------------
    for energy, page in zip((4, 3, 5), pages.values(), strict=True):
        await page.locator("form.answer[data-step='tune-the-frequency']").wait_for()
        await answer_by_click(page, energy, "nyfiken")
    await until(fac, "() => document.querySelector('#results').dataset.count === '3'")
    await to_step(fac, POLL)
    for name, page in pages.items():
        poll = page.locator(f"form.answer[data-step='{POLL}']")
        await poll.wait_for()
        assert "Ledningen ser bara en sammanställning utan namn" in \
            await poll.locator(".vis").inner_text()
        await poll.get_by_label(ANSWERING[name][1], exact=True).check()
        await page.locator("#answer-submit").click()
        await until(page, "() => document.querySelector('form.answer').dataset.saved === 'true'")
    # (An answer saved is stored; the facilitator sees no count for leadership under k.)
    await to_step(fac, NEEDS)
    for n, page in enumerate(pages.values()):
        needs = page.locator(f"form.answer[data-step='{NEEDS}']")
        await needs.wait_for()
        assert "bara när tillräckligt många har svarat" in await needs.locator(".vis").inner_text()
        await needs.get_by_role("textbox").fill(f"Mer tid för samtal i teamet {n}")
        await page.locator("#answer-submit").click()
        await until(page, "() => document.querySelector('form.answer').dataset.saved === 'true'")
    await fac.locator("#cmd-end").click()

    async with one_shot(settings) as services:
        records = services.gym.records

        async def archived() -> bool:
            session = await records.session(ORG, first)
            return session.state.value == "ended"
        await eventually(archived, what="the ended pass archived", timeout=60)

    # -- the dashboard: who came, who did not, by department; top management ----------------
    await admin.reload()
    await admin.locator("#content").wait_for(state="visible")
    await until(admin, "() => !document.querySelector('#dashboard').hidden")
    sessions = await cells(admin, "#dash-classes tbody tr")
    assert sessions[0][3:5] == ["3", "1"], sessions  # came, never came (Dan)
    assert "Ledningen: 1 av 3 har tränat den här månaden" in \
        await admin.locator("#top-line").inner_text()
    assert await admin.locator("#top-warning").is_visible()
    await admin.get_by_role("button", name=re.compile("Visa vilka")).click()
    await until(admin, "() => document.querySelector('.missing-list') !== null")
    missing = await admin.locator(".missing-list").inner_text()
    assert "Dan Holm" in missing and "Anna Lind" not in missing
    await admin.get_by_role("button", name=re.compile("per avdelning, ort och nivå$")).click()
    await until(admin, "() => document.querySelector('.breakdown') !== null")
    by_department = await table_rows(admin, ".bd-places", "Avdelning")
    assert ["HR", "8", "2", "0", "1"] in by_department, by_department  # audience: Dan, H0-H6
    # The class's energy: three people, so the class's average shows and no department's.
    pulse = admin.locator(".bd-pulse[data-question='energy']")
    assert "4.0 (3 pers.)" in await pulse.locator("p").inner_text()
    groups = [row[1] for row in await cells(admin, ".bd-pulse[data-question='energy'] tbody tr")]
    assert groups and all(g.startswith("Visas inte") for g in groups), groups
    await admin.get_by_label("Visa för").select_option(first)
    await until(admin, f"() => document.querySelector('.breakdown').dataset.scope === '{first}'")
    by_department = await table_rows(admin, ".bd-places", "Avdelning")
    assert ["HR", "2", "0", "1", "1"] in by_department, by_department  # H0 came, Dan did not
    await admin.screenshot(path=str(ARTIFACTS / "admin.png"), full_page=True)

    # -- leadership: k-safe aggregates of the live answers, nothing below k ----------------
    lead = await people.open(lead_url, "leadership")
    await lead.locator("#content").wait_for(state="visible")
    assert "Ledningen: 1 av 3 har tränat den här månaden" in \
        await lead.locator("#top-line").inner_text()
    needs = lead.locator(f"section.question[data-step='{NEEDS}']")
    await needs.wait_for()
    assert await needs.get_attribute("data-hidden") == "false"
    assert await needs.locator("h3").inner_text() == "Vad behöver du?"
    assert "3 personer har svarat" in await needs.inner_text()
    assert sorted(await needs.locator(".texts li").all_inner_texts()) == [
        f"Mer tid för samtal i teamet {n}" for n in range(3)]
    assert "samtal (3)" in await needs.locator(".words").inner_text()
    poll = lead.locator(f"section.question[data-step='{POLL}']")
    bars = await poll.inner_text()
    assert "Till min chef" in bars and "Till någon i ett annat team" in bars
    for site in ("Kiruna", "Umeå"):  # one and two people: under k
        await lead.get_by_label("Ort").select_option(site)
        await until(lead, f"""() => document.querySelector('#f-site').value === '{site}'
            && [...document.querySelectorAll('section.question')]
               .every(q => q.dataset.hidden === 'true')""")
        hidden = await lead.locator("#questions").inner_text()
        assert "Dolt för att skydda anonymiteten" in hidden and "Mer tid" not in hidden
    await lead.screenshot(path=str(ARTIFACTS / "insights.png"), full_page=True)
    assert people.errors == []
    assert people.traffic.foreign() == []


async def test_the_admin_page_is_shown_only_once_it_is_filled(
        env: dict[str, str], orchestrator: OrchestratorProcess, people: People) -> None:  # noqa: F811
    """Its parts load together; while one is still on its way (the mail here) the page
    says it is loading instead of showing an empty count that takes a roster file."""
    async with one_shot(settings_for(env)) as services:
        await services.gym.records.create_org(Organisation(ORG, "Acme AB", anonymity_k=K))
        _, admin_url = await services.gym.staff.issue(ORG, Kind.ADMIN, "Lisa")
    admin = await people.open(admin_url, "admin")
    await admin.locator("#content").wait_for(state="visible")
    held: asyncio.Queue[Route] = asyncio.Queue()
    await admin.route("**/api/admin/mail", held.put_nowait)
    await admin.reload()
    mail = await asyncio.wait_for(held.get(), timeout=30)
    # The organisation's data came before the mail was asked for.
    assert await admin.locator("#content").is_hidden()
    assert "Hämtar" in await admin.locator("#status").inner_text()
    await mail.continue_()
    await admin.locator("#content").wait_for(state="visible")
    assert "0 aktiva personer" in await admin.locator("#people-count").inner_text()
    await admin.unroute("**/api/admin/mail")
