"""Commitments follow a participant to the next pass, privately; the journal keeps them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from exercises.script import ClassScript, Step, StepKind
from exercises.state import Member
from exercises.text import Text
from tests.harness import Client, OrchestratorProcess, open_pass

pytestmark = pytest.mark.services

T = TypeVar("T")


def one_step_class(step: Step) -> ClassScript:
    return ClassScript(id=step.id, version=1, title=Text("Pass", "Pass"),
                       description=Text("Pass", "Pass"), steps=(step,))


COMMIT = Step("commit", StepKind.COMMITMENT, Text("Åtagande", "Commitment"),
              Text("Vad provar du?", "What will you try?"))
FOLLOW = Step("follow", StepKind.FOLLOW_UP, Text("Uppföljning", "Follow-up"),
              Text("Provade du?", "Did you try it?"))
CHECK_IN = Step("in", StepKind.CHECK_IN, Text("Incheckning", "Check-in"), Text("Hur är det?", "How are you?"))


async def run_pass(env: dict[str, str], orchestrator: OrchestratorProcess, script: ClassScript,
                   people: list[Member],
                   actions: Callable[[Client, list[Client]], Awaitable[T]]) -> T:
    opened = await open_pass(env, orchestrator.base_url, script, people, program="gym-autumn")
    try:
        assert (await opened.facilitator.command("start"))["ok"]
        return await actions(opened.facilitator, opened.participants)
    finally:
        await opened.close()


async def test_the_last_commitment_returns_privately_at_the_next_pass(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    anna, bo = Member("p-anna", "Anna", "HR"), Member("p-bo", "Bo", "IT")

    async def commit(fac: Client, clients: list[Client]) -> None:
        reply = await clients[0].call("answer", {"step_id": "commit", "client_id": "c1",
                                                 "value": {"text": "Fråga innan jag föreslår."}})
        assert reply["ok"], reply

    await run_pass(env, orchestrator, one_step_class(COMMIT), [anna, bo], commit)

    async def follow_up(fac: Client, clients: list[Client]) -> tuple[Any, Any]:
        anna_c, bo_c = clients
        mine = await anna_c.wait_for("follow_up")
        assert mine["commitment"]["value"] == {"text": "Fråga innan jag föreslår."}
        theirs = await bo_c.wait_for("follow_up")
        assert theirs["commitment"] is None, "Bo made no commitment and sees nobody else's"
        snap = await anna_c.call("sync")
        assert snap["follow_up"]["value"]["text"] == "Fråga innan jag föreslår."
        reply = await anna_c.call("answer", {"step_id": "follow", "client_id": "f1",
                                             "value": {"tried": "partly"}})
        assert reply["ok"]
        journal = await anna_c.call("journal")
        return journal["entries"], (await bo_c.call("journal"))["entries"]

    script = ClassScript(id="next", version=1, title=Text("Nästa", "Next"),
                         description=Text("Nästa", "Next"), steps=(FOLLOW, CHECK_IN))
    entries, bo_entries = await run_pass(env, orchestrator, script, [anna, bo], follow_up)
    assert [(e["kind"], e["value"]) for e in entries] == [
        ("commitment", {"text": "Fråga innan jag föreslår."}),
        ("follow-up", {"tried": "partly"}),
    ]
    assert bo_entries == []
