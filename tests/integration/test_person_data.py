"""One person's data can be exported and erased with a command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from exercises.demo import demo_class
from exercises.state import Member
from tests.harness import ROOT, OrchestratorProcess, open_pass

pytestmark = pytest.mark.services


async def test_export_then_erase_leaves_nothing_about_the_person(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    anna, bo = Member("p-anna", "Anna Lind", "HR", "Malmö"), Member("p-bo", "Bo Ek", "IT", "Umeå")
    state = await open_pass(env, orchestrator.base_url, demo_class(), [anna, bo])
    fac, clients = state.facilitator, state.participants
    try:
        assert (await fac.command("start"))["ok"]
        for i, c in enumerate(clients):
            ack = await c.call("answer", {"step_id": "check-in", "client_id": f"c{i}",
                                          "value": {"energy": 4, "word": "glad"}})
            assert ack["ok"]
        for _ in range(2):
            assert (await fac.command("next"))["ok"]
        assert (await fac.command("open_breakouts"))["ok"]
    finally:
        await state.close()

    def onlive(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)

    exported = json.loads(onlive("person", "export", "p-anna").stdout)
    assert exported["person"]["name"] == "Anna Lind"
    assert exported["answers"][f"{state.id}/check-in"]["value"] == {"energy": 4, "word": "glad"}
    assert exported["journal"][0]["kind"] == "check-in"
    assert exported["pairing_history"]["gym"][0]["b"] in ("p-anna", "p-bo")
    assert [p["pass"] for p in exported["passes"]] == [state.id]

    refused = onlive("person", "erase", "p-anna")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    erased = onlive("person", "erase", "p-anna", "--yes")
    assert erased.returncode == 0, erased.stderr

    after = json.loads(onlive("person", "export", "p-anna").stdout)
    assert after["person"] is None and after["answers"] == {} and after["journal"] == []
    assert after["pairing_history"] == {}
    assert after["passes"] == [], "in stored passes she is an opaque pseudonym now"
    other = json.loads(onlive("person", "export", "p-bo").stdout)
    assert other["person"]["name"] == "Bo Ek" and other["answers"], "others are untouched"
