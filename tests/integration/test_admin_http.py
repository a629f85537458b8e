"""The admin's and leadership's HTTP routes on the real orchestrator: every route needs a
live link of its role and organisation; a malformed roster, program or session changes
nothing and says what and where (codes the page translates); the admin builds a program
with sessions and invites its audience; the dashboard and insights answer."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from orchestrator.root.oneshot import one_shot
from orchestrator.tickets import Kind
from tests.harness import OrchestratorProcess, settings_for

pytestmark = pytest.mark.services

ROSTER = """employee_id,first_name,last_name,email,department,site,manager_employee_id,level
E1,Anna,Lind,anna@acme.se,HR,Malmö,,top
E2,Bo,Ek,bo@acme.se,IT,Umeå,E1,employee
E3,Cia,Berg,cia@acme.se,IT,Umeå,E1,employee
"""
BROKEN = """employee_id,first_name,last_name,email,department,site,manager_employee_id,level
E1,Anna,Lind,anna@acme.se,HR,Malmö,,top
E2,Bo,Ek,not-an-address,IT,Umeå,E9,boss
"""


async def call(http: aiohttp.ClientSession, method: str, url: str, token: str | None,
               body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    async with http.request(method, url, headers=headers, data=data) as response:
        return response.status, await response.json()


async def test_admin_routes_need_the_link_and_bad_input_changes_nothing(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    settings = settings_for(env)
    async with one_shot(settings) as services:
        await services.gym.records.ensure_org("default")
        row, admin_url = await services.gym.staff.issue("default", Kind.ADMIN, "Lisa")
        _, lead_url = await services.gym.staff.issue("default", Kind.LEADERSHIP)
    admin = admin_url.split("#credential=")[1]
    lead = lead_url.split("#credential=")[1]
    base = f"{orchestrator.base_url}/api/admin"
    async with aiohttp.ClientSession() as http:
        assert (await call(http, "GET", base, None))[0] == 401
        status, wrong = await call(http, "GET", base, lead)
        assert (status, wrong["error"]["code"]) == (401, "wrong_role")
        status, refused = await call(http, "GET", f"{orchestrator.base_url}/api/insights", admin)
        assert (status, refused["error"]["code"]) == (401, "wrong_role")

        status, bad = await call(http, "POST", f"{base}/roster?file=people.csv", admin,
                                 raw=BROKEN.encode())
        assert status == 400 and bad["error"]["code"] == "invalid_roster"
        assert {(p["line"], p["column"], p["code"]) for p in bad["error"]["problems"]} == {
            (3, "email", "bad_email"), (3, "level", "unknown_level"),
            (3, "manager_employee_id", "manager_missing")}
        status, page = await call(http, "GET", base, admin)
        assert status == 200 and page["people"] == 0  # nothing was imported
        status, done = await call(http, "POST", f"{base}/roster?file=people.csv", admin,
                                  raw=ROSTER.encode())
        assert status == 200 and done["report"]["added"] == 3

        status, bad = await call(http, "POST", f"{base}/programs", admin, {
            "id": "Bad Id!", "name": "", "levels": ["boss"], "cadence": "daily",
            "starts_on": "2027-02-01", "ends_on": "2027-01-01",
            "classes": [{"class_id": "no-such-class", "due_on": "31/12"}]})
        assert status == 400
        assert {(p["field"], p["code"]) for p in bad["error"]["fields"]} == {
            ("id", "bad_id"), ("name", "required"), ("levels", "unknown_level"),
            ("cadence", "unknown_cadence"), ("ends_on", "ends_before_starts"),
            ("classes.1.class_id", "unknown_class"), ("classes.1.due_on", "bad_date")}
        assert (await call(http, "GET", base, admin))[1]["programs"] == []

        status, made = await call(http, "POST", f"{base}/programs", admin, {
            "id": "lead", "name": "Ledarskap", "cadence": "weekly", "mandatory": True,
            "classes": [{"class_id": "listening-for-real", "due_on": "2030-01-31"}]})
        assert status == 201, made
        program_class = made["program"]["classes"][0]["id"]
        assert made["program"]["classes"][0]["title"]["sv"]
        status, bad = await call(http, "POST", f"{base}/programs/lead/sessions", admin, {
            "program_class_id": program_class, "start": "2030-03-31T02:30",
            "time_zone": "Europe/Stockholm", "capacity": 1, "facilitator": ""})
        assert status == 400
        assert {(p["field"], p["code"]) for p in bad["error"]["fields"]} == {
            ("start", "nonexistent_time"), ("capacity", "range"), ("facilitator", "required")}
        for hour in (9, 11, 13):
            status, made = await call(http, "POST", f"{base}/programs/lead/sessions", admin, {
                "program_class_id": program_class, "start": f"2030-01-14T{hour:02d}:00",
                "time_zone": "Europe/Stockholm", "capacity": 2, "facilitator": "Fia"})
            assert status == 201, made
        sessions = made["program"]["sessions"]
        assert [s["local"] for s in sessions] == ["2030-01-14T09:00", "2030-01-14T11:00",
                                                  "2030-01-14T13:00"]
        status, moved = await call(http, "PUT", f"{base}/sessions/{sessions[0]['pass']}",
                                   admin, {"start": "2030-01-15T09:00",
                                           "time_zone": "Europe/Stockholm", "capacity": 3,
                                           "facilitator": "Fia"})
        assert status == 200 and moved["program"]["sessions"][2]["capacity"] == 3
        status, invited = await call(http, "POST", f"{base}/programs/lead/invite", admin, {})
        assert (status, invited["invited"]) == (200, 3)
        status, board = await call(http, "GET", f"{base}/programs/lead/dashboard", admin)
        assert status == 200 and board["dashboard"]["audience"] == 3
        assert board["dashboard"]["top"] == {**board["dashboard"]["top"], "top": 1,
                                             "trained": 0, "warning": True}
        status, missing = await call(http, "GET",
                                     f"{base}/programs/lead/missing?class={program_class}",
                                     admin)
        assert status == 200 and len(missing["people"]) == 3
        status, bad = await call(http, "POST", f"{base}/settings", admin,
                                 {"top_warning_percent": 101})
        assert status == 400 and bad["error"]["fields"][0]["field"] == "top_warning_percent"

        status, insights = await call(http, "GET", f"{orchestrator.base_url}/api/insights/lead",
                                      lead)
        assert status == 200 and insights["questions"] == [] and insights["top"]["top"] == 1

        async with one_shot(settings) as services:
            await services.gym.staff.revoke("default", Kind.ADMIN, row.id)
        status, refused = await call(http, "GET", base, admin)
        assert (status, refused["error"]["code"]) == (401, "revoked_credential")


async def test_the_admin_reorders_adds_and_removes_classes_and_a_taken_one_stays(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    settings = settings_for(env)
    async with one_shot(settings) as services:
        await services.gym.records.ensure_org("default")
        _, admin_url = await services.gym.staff.issue("default", Kind.ADMIN, "Lisa")
    admin = admin_url.split("#credential=")[1]
    base = f"{orchestrator.base_url}/api/admin"
    async with aiohttp.ClientSession() as http:
        assert (await call(http, "POST", f"{base}/roster?file=people.csv", admin,
                           raw=ROSTER.encode()))[0] == 200
        status, made = await call(http, "POST", f"{base}/programs", admin, {
            "id": "lead", "name": "Ledarskap", "cadence": "weekly", "mandatory": True,
            "classes": [{"class_id": "listening-for-real"}, {"class_id": "feedback-that-helps"}]})
        assert status == 201, made
        first, second = (c["id"] for c in made["program"]["classes"])
        status, made = await call(http, "POST", f"{base}/programs/lead/sessions", admin, {
            "program_class_id": first, "start": "2030-01-14T09:00",
            "time_zone": "Europe/Stockholm", "capacity": 5, "facilitator": "Fia"})
        assert status == 201, made
        async with one_shot(settings) as services:
            await services.gym.enrolments.choose("default", "lead", "E2",
                                                 made["program"]["sessions"][0]["pass"])
        form = {"name": "Ledarskap 2030", "cadence": "weekly", "mandatory": True}

        async def classes() -> list[tuple[int, str]]:
            page = (await call(http, "GET", base, admin))[1]
            return [(c["position"], c["class"]) for c in page["programs"][0]["classes"]]

        before = await classes()
        status, bad = await call(http, "PUT", f"{base}/programs/lead", admin, {
            **form, "classes": [{"id": second}, {"id": first, "remove": True}]})
        assert status == 400
        assert bad["error"]["fields"] == [{"field": "classes.2", "code": "class_has_people",
                                           "params": {"count": 1}}]
        status, bad = await call(http, "PUT", f"{base}/programs/lead", admin, {
            **form, "classes": [{"id": second}]})  # the page did not know class 1
        assert (status, bad["error"]["fields"][0]["code"]) == (400, "classes_changed")
        status, bad = await call(http, "PUT", f"{base}/programs/lead", admin, {
            **form, "classes": [{"class_id": "feedback-that-helps", "remove": True}]})
        assert (status, bad["error"]["fields"][0]["field"]) == (400, "classes.1")
        assert await classes() == before
        assert (await call(http, "GET", base, admin))[1]["programs"][0]["name"] == "Ledarskap"

        status, done = await call(http, "PUT", f"{base}/programs/lead", admin, {
            **form, "classes": [{"id": second, "remove": True},
                                {"class_id": "feedback-that-helps", "due_on": "2030-02-01"},
                                {"id": first}]})
        assert status == 200, done
        assert [(c["position"], c["class"], c["due_on"]) for c in done["program"]["classes"]] \
            == [(1, "feedback-that-helps", "2030-02-01"), (2, "listening-for-real", None)]
        assert done["program"]["name"] == "Ledarskap 2030"
        assert done["program"]["classes"][1]["id"] == first
