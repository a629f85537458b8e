"""Every built-in class runs as a pass end to end against the real services."""

from __future__ import annotations

from typing import Any

import pytest

from exercises import library
from exercises.script import Step, StepKind, Visibility
from exercises.state import Member
from tests.harness import OrchestratorProcess, open_pass

pytestmark = pytest.mark.services

PEOPLE = [Member(f"q{i}", f"Person {i}", dept, site) for i, (dept, site) in enumerate([
    ("Ekonomi", "Umeå"), ("IT", "Umeå"), ("HR", "Kiruna"), ("IT", "Kiruna"), ("Ledning", "Umeå")])]


def answer_for(step: Step, i: int) -> dict[str, Any]:
    if step.kind is StepKind.POLL:
        return {"choices": [i % len(step.options)]}
    if step.kind is StepKind.SCALE:
        return {"value": step.scale_min}
    answers: dict[StepKind, dict[str, Any]] = {
        StepKind.CHECK_IN: {"energy": 1 + i % 5, "word": "nyfiken"},
        StepKind.CHECK_OUT: {"word": "tack"},
        StepKind.REFLECTION: {"text": "Jag vill lyssna mer."},
        StepKind.COMMITMENT: {"text": "Fråga innan jag föreslår."},
        StepKind.WORD_CLOUD: {"words": ["lyssna"]},
        StepKind.FOLLOW_UP: {"tried": "yes"},
    }
    return answers[step.kind]


@pytest.mark.parametrize("class_id", [c.id for c in library.list_classes()])
async def test_each_built_in_class_runs_from_lobby_to_end(
        class_id: str, env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    script = library.get_class(class_id, library.example_params(class_id))
    opened = await open_pass(env, orchestrator.base_url, script, PEOPLE, program=f"lib-{class_id}")
    fac, clients = opened.facilitator, opened.participants
    try:
        ack = await fac.command("start")
        assert ack["ok"], ack
        for index, step in enumerate(script.steps):
            if index:
                ack = await fac.command("next")
                assert ack["ok"], (step.id, ack)
            version = ack["version"]
            for c in clients:
                view = await c.wait_view(lambda v: v["version"] >= version)
                assert view["step"]["id"] == step.id
            if step.asks_answer:
                for i, c in enumerate(clients):
                    reply = await c.call("answer", {"step_id": step.id, "client_id": f"{step.id}-{i}",
                                                    "value": answer_for(step, i)})
                    assert reply["ok"], (step.id, reply)
                view = await fac.wait_for(
                    "facilitator", lambda v: (v.get("results") or {}).get("step") == step.id
                    and v["results"]["count"] == len(PEOPLE))
                results = view["results"]
                assert results["suppressed"] is False, (step.id, results)
                if step.visibility is Visibility.PRIVATE:
                    assert set(results) <= {"step", "kind", "visibility", "count", "suppressed"}
                assert not any(p.id in repr(results) or p.name in repr(results) for p in PEOPLE)
            if step.kind is StepKind.BREAKOUT:
                ack = await fac.command("open_breakouts")
                assert ack["ok"], ack
                for c in clients:
                    a = await c.wait_for("assignment", lambda a: a["kind"] == "breakout"
                                         and a["version"] >= ack["version"])
                    assert 2 <= len(a["members"]) <= 4
                ack = await fac.command("recall", countdown=0)
                assert ack["ok"], ack
                for c in clients:
                    await c.wait_for("assignment", lambda a: a["kind"] == "main"
                                     and a["version"] >= ack["version"])
        ack = await fac.command("end")
        assert ack["ok"]
        for c in clients:
            await c.wait_view(lambda v: v["phase"] == "ended")
    finally:
        await opened.close()
    assert [e for e in orchestrator.log_entries() if e.get("level") in ("error", "critical")] == []
