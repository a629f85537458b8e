"""Errors raised by the pure domain.

Every refusal carries a stable ``code`` (sent on the wire) and a message that
says what was wrong and what to do instead.
"""

from __future__ import annotations


class CodedError(Exception):
    """An error with a stable wire ``code`` and a human-readable message.

    The base of the domain's refusals and of the orchestrator's errors, so
    the edge turns every one of them into a wire error in one place.
    """

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0])


class DomainError(CodedError):
    """Base of every refusal the domain can give."""

    code = "domain_error"


class IllegalCommand(DomainError):
    """The command is not allowed in the pass's current state."""

    code = "illegal_command"


class InvalidAnswer(DomainError):
    """An answer does not fit the step it is given for."""

    code = "invalid_answer"


class InvalidScript(DomainError):
    """A class script breaks one of its invariants."""

    code = "invalid_script"
