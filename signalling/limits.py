"""Limits on what one connection or one credential may ask of a worker (pure).

- ``TokenBucket``: ``rate`` events a second with bursts up to ``burst``.
- ``Buckets``: one bucket per key (a connection, a credential), forgetting
  keys that have been full and unused for a while.
- ``Seats``: at most ``limit`` holders per key (connections per credential).
- ``Refusals``: counters of every refusal by code, a plain object the
  metrics endpoint reads (``snapshot()``).
- ``Throttle``: at most ``per_window`` log lines per source a window, so a
  client's mistakes cannot flood the logs.

Everything takes ``now`` (seconds, any monotonic clock) as an argument and
holds no I/O, so the rules are tested without a server.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass(slots=True)
class TokenBucket:
    rate: float
    burst: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, rate: float, burst: float, now: float) -> TokenBucket:
        return cls(rate, burst, burst, now)

    def take(self, now: float, cost: float = 1.0) -> float:
        """0 when ``cost`` tokens were taken; otherwise the seconds until they would be."""
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = max(self.updated, now)
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.rate


class Buckets:
    """A token bucket per key; keys whose bucket refilled are forgotten by ``sweep``."""

    def __init__(self, rate: float, burst: float) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, key: str, now: float) -> float:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket.full(self.rate, self.burst, now)
        return bucket.take(now)

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)

    def sweep(self, now: float) -> None:
        """Forget buckets that would be full again (nothing is lost by it)."""
        refill = self.burst / self.rate
        for key in [k for k, b in self._buckets.items() if now - b.updated >= refill]:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


class Seats:
    """At most ``limit`` holders per key."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._held: dict[str, set[str]] = {}

    def take(self, key: str, holder: str) -> bool:
        held = self._held.setdefault(key, set())
        if holder in held:
            return True
        if len(held) >= self.limit:
            return False
        held.add(holder)
        return True

    def release(self, key: str, holder: str) -> None:
        held = self._held.get(key)
        if held is not None:
            held.discard(holder)
            if not held:
                del self._held[key]

    def count(self, key: str) -> int:
        return len(self._held.get(key, ()))


@dataclass
class Refusals:
    """How many times each refusal happened, by code (read by the metrics endpoint)."""

    counts: Counter[str] = field(default_factory=Counter)

    def count(self, code: str) -> None:
        self.counts[code] += 1

    def snapshot(self) -> dict[str, int]:
        return dict(self.counts)

    def total(self) -> int:
        return sum(self.counts.values())


class Throttle:
    """Lets at most ``per_window`` events a source through each ``window`` seconds.

    ``allow`` answers whether to log this one; ``suppressed`` says how many
    were held back in the source's previous window (to mention once).
    """

    def __init__(self, per_window: int = 5, window: float = 60.0, max_sources: int = 10_000
                 ) -> None:
        self.per_window = per_window
        self.window = window
        self.max_sources = max_sources
        self._seen: dict[str, tuple[float, int]] = {}

    def allow(self, source: str, now: float) -> tuple[bool, int]:
        """(log this one?, how many were suppressed before it)."""
        start, count = self._seen.get(source, (now, 0))
        suppressed = 0
        if now - start >= self.window:
            suppressed = max(0, count - self.per_window)
            start, count = now, 0
        if len(self._seen) >= self.max_sources and source not in self._seen:
            self._seen.clear()  # a flood of sources: start again rather than grow
        self._seen[source] = (start, count + 1)
        return count < self.per_window, suppressed
