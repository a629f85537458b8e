"""The application's services in one process, with the small fakes of
``tests.orchestrator.fakes`` at the ports, for the tests of what they decide."""

from __future__ import annotations

from typing import Any

from exercises.demo import demo_class
from exercises.script import ClassScript
from exercises.state import Member
from orchestrator.services import Services, build_services
from orchestrator.settings import Settings
from tests.orchestrator.fakes import FakeClock, FakeSfu, MemoryStore, RecordingNotifier

PEOPLE = [Member("p-anna", "Anna", "HR", "Malmö"), Member("p-bo", "Bo", "IT", "Umeå"),
          Member("p-cia", "Cia", "Ekonomi", "Luleå"), Member("p-dan", "Dan", "Sälj", "Malmö")]


class World:
    """``threshold``: the anonymity threshold; ``store``: a ``MemoryStore`` of the test's
    own; ``executor``: where rounds are formed (inline without one); ``views_at_once``:
    each change's facilitator view sent at once, not a burst's last (tests that read
    what each change sent; ``test_a_burst_of_joins_sends_facilitators_a_few_views``
    keeps the interval)."""

    def __init__(self, threshold: int = 5, *, store: MemoryStore | None = None,
                 executor: Any = None, views_at_once: bool = True) -> None:
        self.clock = FakeClock()
        self.store = store if store is not None else MemoryStore()
        self.sfu = FakeSfu(clock=self.clock)
        self.notifier = RecordingNotifier()
        self.services: Services = build_services(
            Settings(secret="s" * 40, redis_url="redis://x", livekit_url="ws://x",
                     anonymity_threshold=threshold),
            self.store, self.sfu, self.notifier, clock=self.clock, executor=executor)
        if views_at_once:
            self.services.publisher.burst_interval = 0

    async def pass_with(self, members: list[Member], script: ClassScript | None = None) -> str:
        """A pass of ``script`` (the demo class) that ``members`` are invited to and joined."""
        state = await self.services.passes.create_pass(script or demo_class(), program="gym")
        for member in members:
            await self.services.participants.invite(state.id, member)
            await self.services.participants.join(state.id, member.id)
        return state.id

    async def pass_with_everyone(self, script: ClassScript | None = None) -> str:
        return await self.pass_with(PEOPLE, script)

    async def command(self, pass_id: str, command: object) -> object:
        return await self.services.passes.command(pass_id, command, "fac")  # type: ignore[arg-type]
