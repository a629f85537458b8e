"""Errors raised by the pass's domain.

Every refusal carries a stable ``code`` (sent on the wire) and a message that
says what was wrong and what to do instead. The root, ``CodedError``, lives
in :mod:`breakout.errors` (the lowest package, so every layer can derive from
it) and is re-exported here for the callers that import it from the domain.
"""

from __future__ import annotations

from breakout.errors import CodedError

__all__ = ["CodedError", "DomainError", "IllegalCommand", "InvalidAnswer", "InvalidMember",
           "InvalidScript"]


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


class InvalidMember(DomainError):
    """A participant's data breaks one of its invariants (the message names the field)."""

    code = "invalid_member"
