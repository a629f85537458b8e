"""Staff single sign-on over HTTP against a real OpenID provider (oidc-provider on loopback).

The whole authorisation code flow runs as a browser would (redirects, the
provider's sign-in and consent forms, cookies), then: roles come from the
group mapping or the role claim, someone with neither is refused, a state-
changing request without the session's CSRF token (or from another origin)
is refused, and signing out drops the sockets the session's credentials hold.
An admin lists the active sign-ins (who, roles, since, until: nothing more)
and ends one: its sockets drop at once and its next request is refused.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from orchestrator.root.oneshot import one_shot
from tests.conftest import OidcService
from tests.harness import Client, OrchestratorProcess, settings_for
from tests.integration.test_bad_input import refused
from tests.integration.test_revocation import dropped, onlive
from tests.waiting import eventually

pytestmark = pytest.mark.services

_FORM = re.compile(r'<form[^>]*action="([^"]+)"', re.S)
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@pytest.fixture
def orchestrator(env: dict[str, str], oidc_provider: OidcService,
                 tmp_path: Path) -> Iterator[OrchestratorProcess]:
    """The orchestrator with single sign-on against the test provider."""
    process = OrchestratorProcess({**env, **oidc_provider.env()}, tmp_path / "orchestrator.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()


@asynccontextmanager
async def browser_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def sign_in(http: aiohttp.ClientSession, base: str, login: str,
                  next_path: str = "/ops") -> aiohttp.ClientResponse:
    """The provider's sign-in and consent forms, filled in; the last response."""
    response = await http.get(f"{base}/auth/login", params={"next": next_path})
    for _ in range(3):
        page = await response.text()
        form = _FORM.search(page)
        if form is None or urlsplit(str(response.url)).path.startswith(("/ops", "/signin", "/f")):
            return response
        action = form.group(1)
        url = action if action.startswith("http") else \
            f"{response.url.scheme}://{response.url.host}:{response.url.port}{action}"
        data = dict(_HIDDEN.findall(page))
        if 'name="login"' in page:
            data.update(login=login, password="any")
        response = await http.post(url, data=data)
    return response


async def me(http: aiohttp.ClientSession, base: str) -> dict[str, object]:
    async with http.get(f"{base}/auth/me") as r:
        body: dict[str, object] = await r.json()
        return body


async def test_roles_come_from_groups_or_the_role_claim_and_no_role_is_refused(
        orchestrator: OrchestratorProcess) -> None:
    base = orchestrator.base_url
    expected = {"olle": ["ops"], "fia": ["facilitator"], "ada": ["admin"]}
    for login, roles in expected.items():
        async with browser_session() as http:
            landed = await sign_in(http, base, login)
            assert urlsplit(str(landed.url)).path == "/ops", login
            found = await me(http, base)
            assert found["signed_in"] is True and found["roles"] == roles, (login, found)
            cookie = next(c for c in http.cookie_jar if c.key == "onlive_session")
            assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    async with browser_session() as http:
        landed = await sign_in(http, base, "nils")
        assert urlsplit(str(landed.url)).path == "/signin"
        assert parse_qs(urlsplit(str(landed.url)).query)["error"] == ["sso_no_role"]
        assert (await me(http, base))["signed_in"] is False


async def test_state_changing_routes_need_the_csrf_token_and_sign_out_drops_sockets(
        orchestrator: OrchestratorProcess) -> None:
    base = orchestrator.base_url
    async with browser_session() as http:
        await sign_in(http, base, "olle")
        found = await me(http, base)
        csrf = str(found["csrf"])
        post = f"{base}/auth/credential"
        async with http.post(post, json={"role": "ops"}) as r:
            assert r.status == 403 and (await r.json())["error"]["code"] == "csrf_refused"
        async with http.post(post, json={"role": "ops"},
                             headers={"X-CSRF-Token": "x" * 43}) as r:
            assert r.status == 403
        async with http.post(post, json={"role": "ops"}, headers={
                "X-CSRF-Token": csrf, "Origin": "http://127.0.0.1:1"}) as r:
            assert r.status == 403, "another site's page cannot use the cookie"
        async with http.post(post, json={"role": "facilitator", "pass": "x"},
                             headers={"X-CSRF-Token": csrf}) as r:
            assert r.status == 403 and (await r.json())["error"]["code"] == "wrong_role"
        async with http.post(post, json={"role": "ops"}, headers={"X-CSRF-Token": csrf}) as r:
            assert r.status == 200
            credential = (await r.json())["credential"]
        ops = Client(base, "/ops", {"credential": credential})
        await ops.connect()
        await ops.wait_for("snapshot")
        try:
            async with http.post(f"{base}/auth/logout") as r:
                assert r.status == 403, "signing out needs the CSRF token too"
            async with http.post(f"{base}/auth/logout", headers={"X-CSRF-Token": csrf}) as r:
                assert r.status == 200
            await eventually(lambda: dropped(ops), what="the session's socket is dropped",
                             timeout=10)
            assert "revoked_credential" in await refused(base, "/ops", ops.auth)
            assert (await me(http, base))["signed_in"] is False
        finally:
            await ops.close()
        async with http.post(post, json={"role": "ops"}, headers={"X-CSRF-Token": csrf}) as r:
            assert r.status == 401


async def credential(http: aiohttp.ClientSession, base: str,
                     role: str) -> tuple[int, dict[str, Any]]:
    csrf = str((await me(http, base))["csrf"])
    async with http.post(f"{base}/auth/credential", json={"role": role},
                         headers={"X-CSRF-Token": csrf}) as r:
        body: dict[str, Any] = await r.json()
        return r.status, body


async def test_a_facilitator_holds_their_own_pages_credential_named_as_the_provider_names_them(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    base = orchestrator.base_url
    async with browser_session() as http:
        await sign_in(http, base, "fia")
        status, body = await credential(http, base, "facilitator-home")
        assert status == 404 and body["error"]["code"] == "unknown_org", "coded, not a crash"
    async with one_shot(settings_for(env)) as services:
        await services.gym.records.ensure_org("default")
    async with browser_session() as http:
        await sign_in(http, base, "fia")
        status, body = await credential(http, base, "facilitator-home")
        assert status == 200
        async with http.get(f"{base}/api/facilitator/sessions", headers={
                "Authorization": f"Bearer {body['credential']}"}) as r:
            assert r.status == 200 and (await r.json())["name"] == "Fia Facilitator"
    async with browser_session() as http:
        await sign_in(http, base, "olle")
        status, body = await credential(http, base, "facilitator-home")
        assert status == 403 and body["error"]["code"] == "wrong_role"
    async with browser_session() as http:
        await sign_in(http, base, "tove")
        status, body = await credential(http, base, "facilitator-home")
        assert status == 403 and body["error"]["code"] == "sso_no_name"


async def test_an_admin_lists_active_sign_ins_and_ends_one_at_once(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    base = orchestrator.base_url
    async with one_shot(settings_for(env)) as services:
        await services.gym.records.ensure_org("default")
    async with browser_session() as olle, browser_session() as ada:
        await sign_in(olle, base, "olle")
        _, held = await credential(olle, base, "ops")
        ops = Client(base, "/ops", {"credential": held["credential"]})
        await ops.connect()
        await ops.wait_for("snapshot")
        await sign_in(ada, base, "ada")
        status, held = await credential(ada, base, "admin")
        assert status == 200
        admin = {"Authorization": f"Bearer {held['credential']}"}
        try:
            async with aiohttp.ClientSession() as plain:
                async with plain.get(f"{base}/api/admin/signins") as r:
                    assert r.status == 401
                    assert (await r.json())["error"]["code"] == "missing_credential"
                async with plain.get(f"{base}/api/admin/signins", headers={
                        "Authorization": f"Bearer {ops.auth['credential']}"}) as r:
                    assert r.status == 401, "an ops credential is not an admin's"
                async with plain.get(f"{base}/api/admin/signins", headers=admin) as r:
                    assert r.status == 200 and r.headers["Cache-Control"] == "no-store"
                    listed = await r.json()
                assert listed["sso"] is True
                signins = {s["name"]: s for s in listed["signins"]}
                assert set(signins) == {"Olle Drift", "Ada Admin"}
                assert signins["Olle Drift"]["roles"] == ["ops"]
                assert signins["Ada Admin"]["roles"] == ["admin"]
                for s in signins.values():
                    assert set(s) == {"id", "name", "roles", "since", "expires"}, "no more"
                    assert s["since"] < s["expires"]
                cookies = [c.value for jar in (olle, ada) for c in jar.cookie_jar
                           if c.key == "onlive_session"]
                assert not any(c in str(listed) for c in cookies), "no session id is shown"
                assert "@" not in str(listed), "no e-mail address"

                # Ending Olle's sign-in: his socket drops, his next request is refused.
                async with plain.post(f"{base}/api/admin/signins/withdraw", headers=admin,
                                      json={"id": signins["Olle Drift"]["id"]}) as r:
                    assert r.status == 200
                    assert (await r.json())["withdrawn"]["name"] == "Olle Drift"
                await eventually(lambda: dropped(ops), what="Olle's socket is dropped",
                                 timeout=10)
                assert "revoked_credential" in await refused(base, "/ops", ops.auth)
                assert (await me(olle, base))["signed_in"] is False
                async with olle.post(f"{base}/auth/credential", json={"role": "ops"}) as r:
                    assert r.status == 401
                async with plain.get(f"{base}/api/admin/signins", headers=admin) as r:
                    assert [s["name"] for s in (await r.json())["signins"]] == ["Ada Admin"]
                for bad in (signins["Olle Drift"]["id"], "f" * 64, "../x", 5, None):
                    async with plain.post(f"{base}/api/admin/signins/withdraw", headers=admin,
                                          json={"id": bad}) as r:
                        assert r.status == 404, bad
                        assert (await r.json())["error"]["code"] == "unknown_signin"
                assert (await me(ada, base))["signed_in"] is True
        finally:
            await ops.close()


def claims_of(credential: str) -> dict[str, Any]:
    """A credential's claims, as anyone holding it can read them (they are signed, not
    sealed)."""
    payload = credential.split(".")[0]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (
        -len(payload) % 4)))
    return decoded


async def test_no_credential_a_session_holds_reveals_the_session_and_its_name_revokes_it(
        orchestrator: OrchestratorProcess) -> None:
    # A facilitator's credential subject becomes their LiveKit identity, which everyone in
    # the room sees, and an audit entry: it must not be the cookie's secret.
    base = orchestrator.base_url
    async with browser_session() as fia:
        await sign_in(fia, base, "fia")
        cookie = next(c.value for c in fia.cookie_jar if c.key == "onlive_session")
        csrf = str((await me(fia, base))["csrf"])
        async with fia.post(f"{base}/auth/credential", json={"role": "facilitator",
                                                             "pass": "p-1"},
                            headers={"X-CSRF-Token": csrf}) as r:
            facilitator = (await r.json())["credential"]
        claims = claims_of(facilitator)
        assert cookie not in json.dumps(claims) and cookie not in facilitator
        assert re.fullmatch(r"sso:[0-9a-f]{24}", claims["sub"]), claims
    async with browser_session() as olle:
        await sign_in(olle, base, "olle")
        _, held = await credential(olle, base, "ops")
        ops = Client(base, "/ops", {"credential": held["credential"]})
        await ops.connect()
        await ops.wait_for("snapshot")
        try:
            # What the audit stream or a LiveKit identity shows is enough to revoke it.
            handle = claims_of(held["credential"])["sub"]
            done = await onlive(orchestrator.env, "link", "revoke", handle)
            assert done.returncode == 0, done.stderr
            await eventually(lambda: dropped(ops), what="the session's socket is dropped",
                             timeout=10)
            assert (await me(olle, base))["signed_in"] is False
        finally:
            await ops.close()
