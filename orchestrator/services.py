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


def build_services(settings: Settings, store: Store, sfu: Sfu, notifier: Notifier, *,
                   clock: Callable[[], float] = time.time,
                   executor: Executor | None = None) -> Services:
    """The services over these ports; ``executor`` forms breakout rounds off
    the event loop (None: inline, as one-shot commands and tests do)."""
    access = Access(settings, clock=clock)
    people = People(store, clock=clock)
    publisher = Publisher(settings, store, sfu, notifier, people, clock=clock)
    passes = PassService(settings, store, sfu, publisher, clock=clock, executor=executor)
    return Services(settings, store, sfu, notifier, access, people, publisher, passes,
                    Participants(passes, people, access, clock=clock),
                    RoomEvents(store, sfu, notifier, publisher), Overview(store, sfu, clock=clock))
