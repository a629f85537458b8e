"""Presence becomes attendance: first join, minutes present, left early.

While a pass runs, each person's presence is a small log kept beside it
(``PresenceLog``: when they first joined, since when they are in now, the
seconds of earlier stays, when they last left), changed in O(1) per join or
leave. When the pass ends, ``summarise`` turns it into the attendance that
is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LEFT_EARLY_GRACE_S", "AttendanceSummary", "PresenceLog", "joined", "left",
           "summarise"]

#: Leaving less than this before the end is not "left early" (the goodbye round).
LEFT_EARLY_GRACE_S = 300.0


@dataclass(frozen=True, slots=True)
class PresenceLog:
    first_joined: float | None = None
    since: float | None = None  # in the pass now, since then
    total_s: float = 0.0  # earlier stays
    last_left: float | None = None


@dataclass(frozen=True, slots=True)
class AttendanceSummary:
    first_joined_at: float | None
    minutes_present: int
    left_early: bool

    @property
    def attended(self) -> bool:
        return self.first_joined_at is not None


def joined(log: PresenceLog, now: float) -> PresenceLog:
    """A (re)join; a second connection while in the pass changes nothing."""
    if log.since is not None:
        return log
    return PresenceLog(log.first_joined if log.first_joined is not None else now, now,
                       log.total_s, log.last_left)


def left(log: PresenceLog, now: float) -> PresenceLog:
    if log.since is None:
        return log
    return PresenceLog(log.first_joined, None, log.total_s + max(0.0, now - log.since), now)


def summarise(log: PresenceLog, ended_at: float) -> AttendanceSummary:
    """Attendance at the end of the pass: still-open stays count up to ``ended_at``."""
    if log.first_joined is None:
        return AttendanceSummary(None, 0, False)
    total = log.total_s + (max(0.0, ended_at - log.since) if log.since is not None else 0.0)
    early = log.since is None and log.last_left is not None \
        and log.last_left < ended_at - LEFT_EARLY_GRACE_S
    return AttendanceSummary(log.first_joined, round(total / 60), early)
