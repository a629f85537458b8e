"""What this worker knows about its dependencies right now, kept by its watchers.

One ``Health`` object per worker (the composition root keeps it under
``HEALTH``). The Redis watcher (``orchestrator.outages``) and the ops monitor
(``orchestrator.monitor``) update it as they notice outages and recoveries;
``/readyz`` and ``/metrics`` read it. It holds no I/O of its own.

Signals: ``redis`` (the live store answers), ``channel`` (the cross-worker
Socket.IO channel is subscribed), ``livekit`` (the media server answers);
each with the time it went down (``None`` while up) and a count of outages.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Signal:
    up: bool = True
    down_since: float | None = None
    outages: int = 0

    def mark(self, up: bool, now: float) -> bool:
        """Record the current state; True when it changed."""
        if up == self.up:
            return False
        self.up = up
        if up:
            self.down_since = None
        else:
            self.down_since = now
            self.outages += 1
        return True


@dataclass
class Health:
    redis: Signal = field(default_factory=Signal)
    channel: Signal = field(default_factory=Signal)
    livekit: Signal = field(default_factory=Signal)

    @property
    def ready(self) -> bool:
        """Ready to take participants: the store answers and the channel is back."""
        return self.redis.up and self.channel.up
