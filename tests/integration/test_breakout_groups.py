"""Breakout groups on the real services: history feeds the next pass, moves and late joiners."""

from __future__ import annotations

import msgpack
import pytest
import redis.asyncio as aioredis

from exercises.script import ClassScript, Step, StepKind
from exercises.state import Member
from exercises.text import Text
from tests.conftest import RedisService
from tests.harness import Client, OrchestratorProcess, service_for

pytestmark = pytest.mark.services

PAIRS = ClassScript(id="pairs", version=1, title=Text("Par", "Pairs"),
                    description=Text("Par", "Pairs"),
                    steps=(Step("talk", StepKind.BREAKOUT, Text("Prata", "Talk"),
                                Text("Prata", "Talk"), duration=600, group_size=2),))
PEOPLE = [Member("a", "Ada", "IT"), Member("b", "Bea", "HR"), Member("c", "Cai", "IT"),
          Member("d", "Dan", "HR"), Member("e", "Eva", "Ekonomi")]


async def start(env: dict[str, str], orchestrator: OrchestratorProcess, people: list[Member]
                ) -> tuple[Client, dict[str, Client], dict[str, str]]:
    async with service_for(env) as service:
        state = await service.create_pass(PAIRS, program="cohort-1")
        tickets = {m.id: await service.invite(state.id, m) for m in PEOPLE}
        credential = service.facilitator_credential(state.id)
    fac = Client(orchestrator.base_url, "/facilitator", {"credential": credential})
    await fac.connect()
    clients = {}
    for m in people:
        clients[m.id] = Client(orchestrator.base_url, "/participant", {"ticket": tickets[m.id]})
        await clients[m.id].connect()
        await clients[m.id].wait_for("snapshot")
    assert (await fac.command("start"))["ok"]
    return fac, clients, tickets


async def groups_after_open(fac: Client) -> list[frozenset[str]]:
    ack = await fac.command("open_breakouts")
    assert ack["ok"], ack
    view = await fac.wait_for("facilitator", lambda v: v["version"] >= ack["version"]
                              and v["groups"])
    return [frozenset(g["members"]) for g in view["groups"]]


async def test_the_next_pass_pairs_people_who_have_not_met(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    four = PEOPLE[:4]
    met: set[frozenset[str]] = set()
    for _ in range(3):  # 4 people have exactly 3 repeat-free rounds of pairs
        fac, clients, _ = await start(env, orchestrator, four)
        try:
            groups = await groups_after_open(fac)
            assert all(len(g) == 2 for g in groups)
            assert not set(groups) & met, "nobody meets the same person twice"
            met |= set(groups)
            # The facilitator sees why: a new contact, across departments.
            view = fac.last("facilitator")
            assert all("new-contact" in g["reasons"] for g in view["groups"])
            assert (await fac.command("end"))["ok"]
        finally:
            for c in [*clients.values(), fac]:
                await c.close()
    assert len(met) == 6


async def test_moves_and_late_joiners_are_placed_and_remembered(
        env: dict[str, str], orchestrator: OrchestratorProcess, redis_server: RedisService) -> None:
    fac, clients, tickets = await start(env, orchestrator, PEOPLE[:4])
    store = aioredis.from_url(redis_server.url)
    try:
        groups = await groups_after_open(fac)
        assert sorted(map(len, groups)) == [2, 2]
        # Eva arrives late: she makes one pair a trio, in a fresh room sized for three.
        eva = Client(orchestrator.base_url, "/participant", {"ticket": tickets["e"]})
        clients["e"] = eva
        await eva.connect()
        mine = await eva.wait_for("assignment", lambda a: a["kind"] == "breakout")
        assert len(mine["members"]) == 3 and mine["room"].endswith("_v1")
        for m in mine["members"]:
            if m["id"] != "e":
                moved = await clients[m["id"]].wait_for(
                    "assignment", lambda a: a["room"] == mine["room"])
                assert {x["id"] for x in moved["members"]} == {x["id"] for x in mine["members"]}
        # The facilitator moves one of the trio into the other pair.
        view = await fac.wait_for("facilitator", lambda v: any(
            len(g["members"]) == 3 for g in v["groups"]))
        trio = next(g for g in view["groups"] if len(g["members"]) == 3)
        pair = next(g for g in view["groups"] if len(g["members"]) == 2)
        mover = next(p for p in trio["members"] if p != "e")
        ack = await fac.command("move", person_id=mover, to_group=pair["index"])
        assert ack["ok"], ack
        moved = await clients[mover].wait_for(
            "assignment", lambda a: a["version"] >= ack["version"])
        assert {x["id"] for x in moved["members"]} == set(pair["members"]) | {mover}
        refused = await fac.command("move", person_id="e", to_group=pair["index"])
        assert refused["ok"] is False and refused["error"]["code"] == "would_leave_alone"
        records = [msgpack.unpackb(m) for m in
                   await store.lrange("onlive:program:cohort-1:history", 0, -1)]
        met = [frozenset((r["a"], r["b"])) for r in records]
        expected = set(groups) | {frozenset(("e", p)) for p in trio["members"] if p != "e"} \
            | {frozenset((mover, p)) for p in pair["members"]}
        assert set(met) == expected and len(met) == len(expected) == 6
    finally:
        for c in [*clients.values(), fac]:
            await c.close()
        await store.aclose()
