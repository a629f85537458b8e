"""The orchestrator's errors: one hierarchy, one place that turns them into wire errors.

Each error has a stable ``code`` and a message that says what was wrong and
what to do. Domain refusals (``exercises.errors.DomainError``) keep theirs.
"""

from __future__ import annotations

from breakout.errors import CodedError


class OnliveError(CodedError):
    """Base of the orchestrator's errors."""

    code = "error"


class ServiceError(OnliveError):
    """A service onlive depends on (redis-server, livekit-server) is missing or failed."""

    code = "service_error"


class ConfigError(OnliveError):
    code = "config_error"


class AuthError(OnliveError):
    """A credential is missing, forged, expired or for another pass."""

    code = "unauthorized"


class BadRequest(OnliveError):
    """An inbound event does not fit its schema or size cap."""

    code = "bad_request"


class NotFound(OnliveError):
    code = "not_found"


class Conflict(OnliveError):
    """Optimistic concurrency lost too many times in a row."""

    code = "conflict"


class Busy(OnliveError):
    """A capped resource is full; ``retry_after`` says when to try again."""

    code = "busy"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(OnliveError):
    """Asked too often; the message says when to try again."""

    code = "too_many_requests"


class MailFailed(OnliveError):
    """The mail server refused or could not be reached; the outbox retries."""

    code = "mail_failed"
