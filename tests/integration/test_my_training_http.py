"""Min träning's HTTP routes on the real orchestrator: the link is the credential, every
refusal is coded with a fitting status and changes nothing, a deactivated person or an
ended program is told so and offered nothing else, and the page's data is one person's."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest

from exercises.gym.roster import parse_roster
from orchestrator.root.oneshot import one_shot
from tests.harness import OrchestratorProcess, one_class_program, settings_for

pytestmark = pytest.mark.services

ROSTER = """employee_id,first_name,last_name,email,department,site,manager_employee_id,level
E1,Anna,Lind,anna@acme.se,HR,Malmö,,top
E2,Bo,Ek,bo@acme.se,IT,Umeå,E1,employee
"""


async def call(session: aiohttp.ClientSession, method: str, url: str, token: str | None,
               body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    async with session.request(method, url, headers=headers, data=data) as response:
        if response.content_type == "application/json" and \
                "Content-Disposition" not in response.headers:
            return response.status, await response.json()
        return response.status, await response.read()


async def test_the_routes_take_the_link_and_refuse_bad_input_with_codes(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    settings = settings_for(env)
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2)
    async with one_shot(settings) as services:
        gym = services.gym
        session = await one_class_program(services, ROSTER, start)
        anna = await gym.links.issue("default", "lead", "E1")
        bo = await gym.links.issue("default", "lead", "E2")
    base = f"{orchestrator.base_url}/api/m"
    async with aiohttp.ClientSession() as http:
        status, refused = await call(http, "GET", base, None)
        assert (status, refused["error"]["code"]) == (401, "invalid_link")
        status, refused = await call(http, "GET", base, "x" * 43)
        assert (status, refused["error"]["code"]) == (401, "invalid_link")
        status, page = await call(http, "GET", base, anna)
        assert status == 200 and page["me"]["first_name"] == "Anna"
        assert [s["pass"] for s in page["sessions"]] == [session.pass_id]
        assert page["next_class"]["status"] == "todo"
        assert "bo@acme.se" not in json.dumps(page) and "Bo" not in json.dumps(page)
        for body, raw, code in (({"pass_id": "NOT A PASS"}, None, "bad_payload"),
                                (None, b"{not json", "bad_payload"),
                                ({"pass_id": session.pass_id, "give_up_place": "yes"}, None,
                                 "bad_payload"),
                                (None, b"x" * 5000, "too_large")):
            status, refused = await call(http, "POST", f"{base}/choose", anna, body, raw)
            assert (status, refused["error"]["code"]) == (400, code), body
        status, refused = await call(http, "POST", f"{base}/choose", anna, {"pass_id": "abcd0000"})
        assert (status, refused["error"]["code"]) == (404, "unknown_session")
        status, refused = await call(http, "POST", f"{base}/cancel", anna,
                                     {"pass_id": session.pass_id})
        assert (status, refused["error"]["code"]) == (409, "not_enrolled")
        status, refused = await call(http, "POST", f"{base}/join", anna,
                                     {"pass_id": session.pass_id})
        assert (status, refused["error"]["code"]) == (409, "not_enrolled")
        status, _ = await call(http, "GET", base, anna)
        status, chosen = await call(http, "POST", f"{base}/choose", anna,
                                    {"pass_id": session.pass_id})
        assert status == 200 and chosen["outcome"] == "enrolled"
        status, refused = await call(http, "POST", f"{base}/join", anna,
                                     {"pass_id": session.pass_id})
        assert (status, refused["error"]["code"]) == (409, "join_not_open")
        status, ics = await call(http, "GET", f"{base}/calendar?pass={session.pass_id}", anna)
        assert status == 200 and b"BEGIN:VEVENT" in ics and session.pass_id.encode() in ics
        status, refused = await call(http, "GET", f"{base}/calendar?pass={session.pass_id}", bo)
        assert status == 409, "a calendar file only for a session of one's own"
        status, exported = await call(http, "GET", f"{base}/export", anna)
        data = json.loads(exported)
        assert data["records"]["people"][0]["employee_id"] == "E1"
        assert data["records"]["enrolments"][0]["pass_id"] == session.pass_id
        assert "token_hash" not in json.dumps(data)
        status, sent = await call(http, "POST", f"{base}/link", None, {"email": "nobody@x.se"})
        assert status == 202 and sent == {"ok": True}, "the answer never tells who exists"
        status, refused = await call(http, "POST", f"{base}/link", None, {"email": "no"})
        assert status == 400
    async with one_shot(settings) as services:
        await services.gym.records.import_roster("default", parse_roster(
            "\n".join(ROSTER.splitlines()[:2]).encode(), "fewer.csv"))  # Bo leaves
    async with aiohttp.ClientSession() as http:
        status, gone = await call(http, "GET", base, bo)
        assert (status, gone["error"]["code"]) == (410, "person_inactive")
        status, gone = await call(http, "POST", f"{base}/choose", bo, {"pass_id": session.pass_id})
        assert (status, gone["error"]["code"]) == (410, "person_inactive")
