"""Any credential can be revoked, and the sockets holding it are dropped at once.

``onlive link revoke`` runs as its own process, so a drop here crosses from
the command to the worker through the Socket.IO Redis channel, exactly as it
crosses between workers.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from exercises.demo import demo_class
from exercises.state import Member
from orchestrator.errors import AuthError
from orchestrator.tickets import Kind, credential_id
from tests.harness import ROOT, Client, OrchestratorProcess, open_pass, service_for
from tests.integration.test_bad_input import refused
from tests.waiting import eventually

pytestmark = pytest.mark.services


async def onlive(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The command, run without blocking the test's loop (its clients keep answering pings)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "orchestrator", *args, cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return subprocess.CompletedProcess(args, process.returncode, out.decode(), err.decode())


def dropped(client: Client) -> bool:
    return client.namespace not in client.sio.namespaces


async def test_revoking_a_link_drops_its_sockets_and_refuses_it_from_then_on(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    people = [Member("p-anna", "Anna Lind"), Member("p-bo", "Bo Ek")]
    opened = await open_pass(env, orchestrator.base_url, demo_class(), people)
    anna, bo = opened.participants
    async with service_for(env) as service:
        ops_credential = service.ops_credential()
    ops = Client(orchestrator.base_url, "/ops", {"credential": ops_credential})
    await ops.connect()
    await ops.wait_for("snapshot")
    base = orchestrator.base_url
    try:
        # A whole join link, as it was mailed.
        link = f"{base}/p#ticket={anna.auth['ticket']}"
        start = time.monotonic()
        done = await onlive(env, "link", "revoke", link)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("revoked participant ")
        await eventually(lambda: dropped(anna), what="the revoked participant is dropped",
                         timeout=10)
        took = time.monotonic() - start
        assert "revoked_credential" in await refused(base, "/participant", anna.auth)
        assert (await bo.call("sync"))["ok"], "another participant's link still works"

        # A facilitator credential by its id alone.
        fac_id = credential_id(opened.facilitator.auth["credential"])
        assert (await onlive(env, "link", "revoke", fac_id)).returncode == 0
        await eventually(lambda: dropped(opened.facilitator), what="the facilitator is dropped",
                         timeout=10)
        assert "revoked_credential" in await refused(base, "/facilitator",
                                                     opened.facilitator.auth)

        # The bare ops credential.
        assert (await onlive(env, "link", "revoke", ops_credential)).returncode == 0
        await eventually(lambda: dropped(ops), what="the ops dashboard is dropped", timeout=10)
        assert "revoked_credential" in await refused(base, "/ops", ops.auth)
        assert not dropped(bo) and (await bo.call("sync"))["ok"]
    finally:
        await opened.close()
        await ops.close()
    print(f"revoked participant dropped {took:.2f} s after the command started")


async def test_revoking_an_admin_link_revokes_its_stored_row_too(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    async with service_for(env) as service:
        await service.services.gym.records.ensure_org("default")
        _, url = await service.services.gym.staff.issue("default", Kind.ADMIN, "lead")
    done = await onlive(env, "link", "revoke", url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("revoked admin ")
    async with service_for(env) as service:
        with pytest.raises(AuthError) as refused_:
            await service.services.gym.staff.resolve(url.split("#credential=")[1], Kind.ADMIN)
    assert refused_.value.code == "revoked_credential"


async def test_revoking_something_that_is_no_credential_says_so(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    forged = await onlive(env, "link", "revoke", "eyJrIjoib3BzIn0.AAAA")
    assert forged.returncode == 2
    assert "not a credential of this installation" in forged.stderr
    assert "Traceback" not in forged.stderr
