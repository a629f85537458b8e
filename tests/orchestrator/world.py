"""The application's services in one process, with the small fakes of
``tests.orchestrator.fakes`` at the ports, for the tests of what they decide."""

from __future__ import annotations

from exercises.demo import demo_class
from exercises.script import ClassScript
from exercises.state import Member
from orchestrator.services import Services, build_services
from orchestrator.settings import Settings
from tests.orchestrator.fakes import FakeClock, FakeSfu, MemoryStore, RecordingNotifier

PEOPLE = [Member("p-anna", "Anna", "HR", "Malmö"), Member("p-bo", "Bo", "IT", "Umeå"),
          Member("p-cia", "Cia", "Ekonomi", "Luleå"), Member("p-dan", "Dan", "Sälj", "Malmö")]


class World:
    def __init__(self, threshold: int = 5) -> None:
        self.clock = FakeClock()
        self.store = MemoryStore()
        self.sfu = FakeSfu(clock=self.clock)
        self.notifier = RecordingNotifier()
        self.services: Services = build_services(
            Settings(secret="s" * 40, redis_url="redis://x", livekit_url="ws://x",
                     anonymity_threshold=threshold),
            self.store, self.sfu, self.notifier, clock=self.clock)
        # Each change's facilitator view at once: these tests read what each one sent
        # (``test_a_burst_of_joins_sends_facilitators_a_few_views`` keeps the interval).
        self.services.publisher.burst_interval = 0

    async def pass_with_everyone(self, script: ClassScript | None = None) -> str:
        state = await self.services.passes.create_pass(script or demo_class(), program="gym")
        for member in PEOPLE:
            await self.services.participants.invite(state.id, member)
            await self.services.participants.join(state.id, member.id)
        return state.id

    async def command(self, pass_id: str, command: object) -> object:
        return await self.services.passes.command(pass_id, command, "fac")  # type: ignore[arg-type]
