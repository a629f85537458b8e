"""The application's services, wired together over its ports.

``build_services`` is the one place that knows how the services depend on
each other; the composition root (``orchestrator.root.app``), the one-shot
builder for CLI commands (``orchestrator.root.oneshot``) and fast service
tests with fakes at the ports all call it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from orchestrator.access import Access
from orchestrator.errors import ServiceError
from orchestrator.gym import Gym, build_gym
from orchestrator.gym.ports import Records
from orchestrator.metrics import NO_METRICS, Metrics
from orchestrator.overview import Overview
from orchestrator.participants import Participants
from orchestrator.people import People
from orchestrator.ports import Notifier, Sfu, Store
from orchestrator.publishing import Publisher
from orchestrator.roomevents import RoomEvents
from orchestrator.service import PassService
from orchestrator.settings import Settings


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    store: Store
    sfu: Sfu
    notifier: Notifier
    access: Access
    people: People
    publisher: Publisher
    passes: PassService
    participants: Participants
    rooms: RoomEvents
    overview: Overview
    metrics: Metrics
    # The gym (roster, programs, schedule) needs the system of record; fast
    # service tests that never touch it build the services without one.
    gym_or_none: Gym | None = None

    @property
    def gym(self) -> Gym:
        if self.gym_or_none is None:
            raise ServiceError("this needs the system of record (PostgreSQL): set "
                               "ONLIVE_DATABASE_URL or run onlive dev")
        return self.gym_or_none


def build_services(settings: Settings, store: Store, sfu: Sfu, notifier: Notifier, *,
                   records: Records | None = None,
                   clock: Callable[[], float] = time.time,
                   executor: Executor | None = None,
                   metrics: Metrics = NO_METRICS) -> Services:
    """The services over these ports; ``records`` is the durable store (None: no
    gym, as fast tests do); ``executor`` forms breakout rounds off the event loop
    (None: inline, as one-shot commands and tests do); ``metrics`` records what
    ops reads on /metrics (``NO_METRICS``: nothing)."""
    access = Access(settings, store, notifier, clock=clock)
    people = People(store, access=access, sfu=sfu, clock=clock)
    publisher = Publisher(settings, store, sfu, notifier, people, clock=clock, metrics=metrics)
    passes = PassService(settings, store, sfu, publisher, clock=clock, executor=executor,
                         metrics=metrics)
    participants = Participants(passes, people, access, clock=clock)
    gym = build_gym(records, passes, participants, people, settings, access=access,
                    clock=clock) \
        if records is not None else None
    if gym is not None:
        passes.archive = gym.archiver  # an ended session's pass goes to the system of record
    return Services(settings, store, sfu, notifier, access, people, publisher, passes,
                    participants, RoomEvents(store, sfu, notifier, publisher,
                                                max_age=settings.webhook_max_age, clock=clock),
                    Overview(store, sfu, clock=clock, records=records), metrics, gym)
