"""What the services count and time, for ops (the ``Metrics`` port).

The application records into a ``Metrics`` object and never sees how it is
exposed: the edge's ``signalling.metrics`` keeps the Prometheus registry and
serves it on ``/metrics``; fast tests and one-shot commands use
``NO_METRICS``, which records nothing. Figures that are cheaper to read at
scrape time than to keep current (passes and participants by phase, the
health of Redis, LiveKit and PostgreSQL) are not recorded here: the edge asks
``Overview.figures`` for them when it is scraped.

Names of what is recorded are fixed sets (``LeaseEvent``, ``Outcome``), so a
label never carries a person, a pass or free text.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from breakout.errors import CodedError


class Outcome(enum.StrEnum):
    OK = "ok"
    REFUSED = "refused"  # a coded refusal: the state did not change
    ERROR = "error"  # anything else


class LeaseEvent(enum.StrEnum):
    TAKEN = "taken"  # this worker now holds a pass's timer lease
    RELEASED = "released"  # given up: nothing due, or shutting down
    LOST = "lost"  # another worker holds it now (a renewal was refused)
    HANDED_OVER = "handed_over"  # given to a successor while draining


class Metrics(Protocol):
    def command(self, name: str, outcome: Outcome, seconds: float) -> None:
        """One facilitator command or participant answer, from intake to stored."""

    def broadcast(self, view: str, recipients: int, seconds: float) -> None:
        """One broadcast of a view to the people of a pass (the fan-out)."""

    def lease(self, event: LeaseEvent) -> None:
        """A change of a pass's timer lease on this worker."""

    def loop_lag(self, seconds: float) -> None:
        """How late the event loop woke from a sleep."""


class _NoMetrics:
    """Records nothing (one-shot commands and fast tests)."""

    def command(self, name: str, outcome: Outcome, seconds: float) -> None:
        return None

    def broadcast(self, view: str, recipients: int, seconds: float) -> None:
        return None

    def lease(self, event: LeaseEvent) -> None:
        return None

    def loop_lag(self, seconds: float) -> None:
        return None


NO_METRICS: Metrics = _NoMetrics()


@contextmanager
def timed(metrics: Metrics, name: str) -> Iterator[None]:
    """Record the block as command ``name``: refused on a coded error, error on any other."""
    start = time.perf_counter()
    outcome = Outcome.ERROR
    try:
        yield
        outcome = Outcome.OK
    except CodedError:
        outcome = Outcome.REFUSED
        raise
    finally:
        metrics.command(name, outcome, time.perf_counter() - start)
