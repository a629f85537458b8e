"""The project's error root, and the pairing engine's errors.

:class:`CodedError` lives here because ``breakout`` is the lowest package:
pairing, the pass (``exercises``), the application (``orchestrator``), the
edge and media (``signalling``) all derive from it without an import
running upward, and the edge turns every one of them into a wire error in
one place.

Hierarchy in this package::

    CodedError                 code "error"
    └── PairingError           code "pairing_error": bad input (size, duplicate ids, policy)
        └── InfeasibleGrouping code "infeasible_grouping": hard constraints cannot be kept
"""

from __future__ import annotations

__all__ = ["CodedError", "InfeasibleGrouping", "PairingError"]


class CodedError(Exception):
    """An error with a stable wire ``code`` and a human-readable message.

    The base of every refusal and failure onlive reports, so the edge turns
    each of them into a wire error in one place. ``code`` is a class
    attribute; ``code=`` overrides it for one instance.
    """

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self.args[0])


class PairingError(CodedError):
    """Bad input to the pairing engine (size, duplicate ids, bad policy)."""

    code = "pairing_error"


class InfeasibleGrouping(PairingError):
    """No grouping satisfies the hard constraints; the message names the
    people and the constraint that could not be met."""

    code = "infeasible_grouping"
