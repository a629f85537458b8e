"""The notifier: what each audience is sent, and what it is spared."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from exercises.demo import demo_class
from exercises.state import Member, PassState, Phase
from orchestrator.readmodels import PassView
from signalling.notifier import SocketNotifier
from signalling.wirenames import PARTICIPANT, Event


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, str | None, str]] = []

    async def emit(self, event: str, data: Any, *, room: str | None = None,
                   namespace: str = "/", to: str | None = None) -> None:
        self.sent.append((event, data, room, namespace))


def lobby(version: int, people: int) -> PassState:
    roster = {f"p{i}": Member(f"p{i}", f"Person {i}") for i in range(people)}
    return PassState(id="abc", program="gym", script=demo_class(), main_room="onlive_abc_main",
                     phase=Phase.LOBBY, version=version, roster=roster,
                     present=frozenset(roster))


async def test_joins_send_participants_nothing_and_the_next_change_says_what_came_before(
) -> None:
    sio = Recorder()
    notifier = SocketNotifier(sio)
    await notifier.state(PassView(lobby(2, 1), 10.0))
    for version in range(3, 50):  # 47 more people join
        await notifier.state(PassView(lobby(version, version - 1), 10.0 + version))
    started = replace(lobby(50, 48), phase=Phase.RUNNING, step_index=0, deadline=500.0)
    await notifier.state(PassView(started, 60.0))
    assert [(e, d["version"], d.get("after"), room, ns) for e, d, room, ns in sio.sent] == [
        (Event.STATE, 2, None, "pass:abc", PARTICIPANT),
        (Event.STATE, 50, 2, "pass:abc", PARTICIPANT),
    ]
    assert sio.sent[1][1]["phase"] == "running"


async def test_an_older_or_repeated_view_is_not_sent_again() -> None:
    sio = Recorder()
    notifier = SocketNotifier(sio)
    running = replace(lobby(5, 2), phase=Phase.RUNNING, step_index=0)
    await notifier.state(PassView(running, 1.0))
    await notifier.state(PassView(replace(running, version=4, step_index=1), 2.0))
    await notifier.state(PassView(running, 3.0))
    assert [d["version"] for _, d, _, _ in sio.sent] == [5]
