"""Five synthetic participants run a pass on the real LiveKit server.

In the main room each hears all the others; in breakout rooms each hears
exactly its group and nobody else; after recall everyone hears everyone again.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from exercises.script import ClassScript, Step, StepKind, Visibility
from exercises.state import Member
from exercises.text import Text
from signalling.media.synthetic import Bot
from signalling.media.tone import participant_frequency
from tests.harness import Client, OrchestratorProcess, service_for
from tests.waiting import eventually

pytestmark = pytest.mark.services

SCRIPT = ClassScript(
    id="bots", version=1, title=Text("Bottar", "Bots"), description=Text("Bottar", "Bots"),
    steps=(Step("in", StepKind.CHECK_IN, Text("In", "In"), Text("Energi?", "Energy?"),
                visibility=Visibility.PLENARY),
           Step("pairs", StepKind.BREAKOUT, Text("Par", "Pairs"), Text("Prata", "Talk"),
                duration=600, group_size=2),
           Step("out", StepKind.CHECK_OUT, Text("Ut", "Out"), Text("Ett ord", "One word"))))


async def hear_exactly(bots: list[Bot], timeout: float = 20) -> None:
    await asyncio.gather(*(b.settled() for b in bots))
    await asyncio.gather(*(b.peer.wait_hearing_exactly(b.expected(), timeout) for b in bots))


async def test_five_bots_hear_the_main_room_their_group_then_everyone(
        env: dict[str, str], orchestrator: OrchestratorProcess) -> None:
    people = [Member(f"bot{i}", f"Bot {i}", ("IT", "HR", "Ekonomi")[i % 3]) for i in range(5)]
    tones = {m.id: participant_frequency(i) for i, m in enumerate(people)}
    async with service_for(env) as service:
        state = await service.create_pass(SCRIPT, program="bots")
        # The last bot listens only for whom it expects in each room, as the benchmark's do.
        bots = [Bot(orchestrator.base_url, await service.invite(state.id, m), m.id, tones[m.id],
                    tones, index=i, listen_for_everyone=i < 4) for i, m in enumerate(people)]
        credential = service.facilitator_credential(state.id)
    fac = Client(orchestrator.base_url, "/facilitator", {"credential": credential})
    try:
        await fac.connect()
        await asyncio.gather(*(b.start() for b in bots))
        await hear_exactly(bots)  # main room: everyone hears the four others

        ack = await fac.command("start")
        assert ack["ok"]
        view = await fac.wait_for("facilitator", lambda v: (v.get("results") or {}).get("count") == 5)
        assert sum(view["results"]["energy"]) == 5

        assert (await fac.command("next"))["ok"]
        opened = time.monotonic()
        ack = await fac.command("open_breakouts")
        assert ack["ok"], ack
        await eventually(lambda: all(b.moves[-1].kind == "breakout" and b.moves[-1].heard
                                     for b in bots), what="every bot hears its breakout group")
        await hear_exactly(bots)  # each hears exactly its group
        assert bots[4].peer.options.listen_for == bots[4].expected() != set(tones.values())
        sizes = sorted(len(b.assignment["members"]) for b in bots)  # type: ignore[index]
        assert sizes == [2, 2, 3, 3, 3]
        print("\nopen breakouts -> hearing the partner(s), per participant:")
        for b in bots:
            move = b.moves[-1]
            assert move.heard is not None, b.errors
            # As the page does, the main room's connection is closed before the
            # breakout room's is begun.
            assert move.left is not None and move.left <= min(move.phases.values()), move
            print(f"  {b.person_id}: assignment {1000 * (move.received - opened):6.0f} ms, "
                  f"joined {1000 * (move.joined - opened):6.0f} ms, "  # type: ignore[operator]
                  f"hearing {1000 * (move.heard - opened):6.0f} ms")

        ack = await fac.command("recall", countdown=0)
        assert ack["ok"]
        await eventually(lambda: all(b.assignment["kind"] == "main"  # type: ignore[index]
                                     for b in bots), what="every bot is sent back to the main room")
        await hear_exactly(bots)  # back together: everyone hears everyone

        assert (await fac.command("next"))["ok"]
        view = await fac.wait_for("facilitator", lambda v: (v.get("results") or {}).get(
            "step") == "out" and v["results"]["count"] == 5)
        assert (await fac.command("end"))["ok"]
        assert [e for b in bots for e in b.errors] == []
    finally:
        await asyncio.gather(*(b.stop() for b in bots), return_exceptions=True)
        await fac.close()
