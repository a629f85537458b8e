"""``/metrics``: refused without an ops credential, and its figures follow a running pass."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from exercises.demo import demo_class
from exercises.state import Member
from orchestrator.access import Access
from orchestrator.settings import Settings
from orchestrator.tickets import Kind
from tests.harness import ROOT, SECRET, OrchestratorProcess, open_pass, service_for
from tests.waiting import eventually

pytestmark = pytest.mark.services

PEOPLE = [Member("m1", "Maja"), Member("m2", "Nils"), Member("m3", "Olle")]


def scrape(base_url: str, credential: str | None) -> tuple[int, dict[str, str], str]:
    headers = {"Authorization": f"Bearer {credential}"} if credential is not None else {}
    request = urllib.request.Request(f"{base_url}/metrics", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample as {(name, labels): value}."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(figures: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:
    return figures.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_refuse_anyone_without_an_ops_credential(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    async with service_for(env) as service:
        state = await service.create_pass(demo_class())
        participant = await service.invite(state.id, Member("x1", "Xena"))
        facilitator = service.facilitator_credential(state.id)
    for credential in (None, "", "not-a-credential", participant, facilitator):
        status, headers, body = scrape(orchestrator.base_url, credential)
        assert status == 401, credential
        assert headers["WWW-Authenticate"].startswith("Bearer")
        assert "onlive_" not in body
    # The ops dashboard's own credential, as `onlive ops-credential` prints it, is let in.
    long_lived = Access(Settings(secret=SECRET)).ops_credential(ttl=90 * 86400)
    status, headers, body = scrape(orchestrator.base_url, long_lived)
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=")
    assert "onlive_dependency_up" in body
    # A revoked scraper credential (`onlive link revoke`) is refused from then on.
    async with service_for(env) as service:
        await service.services.access.revoke(long_lived)
    assert scrape(orchestrator.base_url, long_lived)[0] == 401


async def test_metrics_follow_a_pass_as_it_runs(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    async with service_for(env) as service:
        ops = service.ops_credential()
    before = samples(scrape(orchestrator.base_url, ops)[2])
    assert value(before, "onlive_passes", phase="running") == 0
    assert value(before, "onlive_command_seconds_count", command="start", outcome="ok") == 0
    for dependency in ("redis", "livekit", "database"):
        assert value(before, "onlive_dependency_up", dependency=dependency) == 1
    assert value(before, "onlive_echo_capacity") >= 1
    assert value(before, "onlive_lease_events_total", event="taken") == 0

    opened = await open_pass(env, orchestrator.base_url, demo_class(), PEOPLE)
    try:
        lobby = samples(scrape(orchestrator.base_url, ops)[2])
        assert value(lobby, "onlive_passes", phase="lobby") == 1
        assert value(lobby, "onlive_connections", namespace="/participant") == len(PEOPLE)
        assert value(lobby, "onlive_connections", namespace="/facilitator") == 1

        assert (await opened.facilitator.command("start"))["ok"]
        for i, client in enumerate(opened.participants):
            ack = await client.call("answer", {"step_id": "check-in", "client_id": f"c{i}",
                                               "value": {"energy": 3, "word": "ok"}})
            assert ack["ok"], ack
        refused = await opened.facilitator.command("recall")  # no breakout is open
        assert not refused["ok"]

        def moved() -> dict[tuple[str, frozenset[tuple[str, str]]], float] | None:
            now = samples(scrape(orchestrator.base_url, ops)[2])
            running = (value(now, "onlive_passes", phase="running") == 1
                       and value(now, "onlive_participants", phase="running") == len(PEOPLE))
            # The loop's lag is sampled every 0.1 s from start-up; all of the above can
            # take less than that on a quick machine.
            sampled = value(now, "onlive_event_loop_lag_seconds_count") >= 1
            return now if running and sampled else None

        now = await eventually(moved, what="the pass shows as running with everyone and the "
                                           "loop's lag is sampled", timeout=10)
        assert value(now, "onlive_command_seconds_count", command="start", outcome="ok") == 1
        assert value(now, "onlive_command_seconds_count", command="answer",
                     outcome="ok") == len(PEOPLE)
        assert value(now, "onlive_command_seconds_count", command="recall",
                     outcome="refused") == 1
        assert value(now, "onlive_command_seconds_sum", command="start", outcome="ok") > 0
        assert value(now, "onlive_broadcast_seconds_count", view="state") >= 1
        assert value(now, "onlive_broadcast_recipients_sum", view="state") >= len(PEOPLE)
        assert value(now, "onlive_broadcast_seconds_count", view="facilitator") >= 1
        assert value(now, "onlive_event_loop_lag_seconds_bucket", le="+Inf") >= 1
        assert value(now, "process_resident_memory_bytes") > 0
    finally:
        await opened.close()


def test_ops_credential_prints_a_long_lived_ops_credential(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONLIVE_")}
    env.update({"ONLIVE_SECRET": SECRET, "ONLIVE_STATE_DIR": str(tmp_path)})
    done = subprocess.run([sys.executable, "-m", "orchestrator", "ops-credential", "--days", "30"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    claims = Access(Settings(secret=SECRET)).verify(done.stdout.strip(), Kind.OPS)
    assert 29 * 86400 < claims.expires - time.time() <= 30 * 86400
    refused = subprocess.run([sys.executable, "-m", "orchestrator", "ops-credential", "--days", "0"],
                             env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--days" in refused.stderr
