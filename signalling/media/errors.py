"""Errors of the media stack, each with a stable ``code`` like every onlive error.

They derive from the project's one error root, ``CodedError``, so whoever
turns refusals into wire errors or exit codes handles them as it handles
every other error. Messages name the peer (``label@room``) or the echo
session, say what went wrong and what to do.

::

    MediaError                  media_error
    ├── PeerError               peer_failed         a LiveKit peer could not join, publish,
    │   │                                           hear or stay connected
    │   ├── PeerRefused         peer_refused        LiveKit refused the WebSocket (the token's
    │   │                                           room or expiry)
    │   ├── PeerUnreachable     peer_unreachable    nothing answered at the LiveKit URL
    │   ├── PeerProtocolError   peer_protocol       the server spoke out of turn (no join first)
    │   ├── PeerDisconnected    peer_disconnected   the signalling closed, or the peer is not
    │   │                                           connected for what was asked
    │   ├── IceFailed           ice_failed          ICE or DTLS failed on a peer connection
    │   ├── PeerTimeout         peer_timeout        not connected (or not settled) in time
    │   ├── NotHeard            not_heard           the expected tones were not heard in time
    │   └── PeerStateError      peer_state          a transition the peer's lifecycle refuses
    ├── EchoError               echo_failed         an echo test that cannot be served as asked
    │   ├── EchoBusy            busy                every slot is taken (``retry_after`` s)
    │   ├── BadOffer            bad_offer           the offer is too large, has no media, or
    │   │                                           aiortc cannot apply it
    │   ├── UnknownEchoSession  unknown_echo_session  it ended or never existed
    │   ├── EchoClosed          echo_closed         the session or the pool closed first
    │   ├── EchoTimeout         echo_timeout        no report, or no echoed tone, in time
    │   └── EchoStateError      echo_state          out of order (a second offer, a report
    │                                               before the offer)
    └── ToneError               bad_tone            a frequency, index or detector setting the
                                                    tone helpers cannot use (also a ValueError)

The echo test's errors are not ``PeerError``s: the echo peer is the
orchestrator's own, not a LiveKit participant.
"""

from __future__ import annotations

from exercises.errors import CodedError


class MediaError(CodedError):
    """Base of every error the media stack raises."""

    code = "media_error"


class PeerError(MediaError):
    """A synthetic participant could not join, publish, hear or stay connected."""

    code = "peer_failed"


class PeerRefused(PeerError):
    """LiveKit refused the signalling connection: check the token's room and expiry."""

    code = "peer_refused"


class PeerUnreachable(PeerError):
    """Nothing answered at the LiveKit URL."""

    code = "peer_unreachable"


class PeerProtocolError(PeerError):
    """The server sent something the v0 signalling protocol does not allow here."""

    code = "peer_protocol"


class PeerDisconnected(PeerError):
    """The signalling closed, or the peer is not connected for what was asked."""

    code = "peer_disconnected"


class IceFailed(PeerError):
    """ICE or DTLS failed on one of the peer's connections."""

    code = "ice_failed"


class PeerTimeout(PeerError):
    """Joining (or settling in a new room) took longer than allowed."""

    code = "peer_timeout"


class NotHeard(PeerError):
    """The tones a peer expected were not heard in time."""

    code = "not_heard"


class PeerStateError(PeerError):
    """A lifecycle transition the peer's state machine does not allow."""

    code = "peer_state"


class EchoError(MediaError):
    """An echo test request that cannot be served as asked."""

    code = "echo_failed"


class EchoBusy(EchoError):
    """Every echo slot is taken; ask again after ``retry_after`` seconds."""

    code = "busy"

    def __init__(self, active: int, capacity: int, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"the echo test is busy ({active} of {capacity} sessions in use); "
                         f"try again in {retry_after:.0f} s")


class EchoInUse(EchoError):
    """The person already has an echo test running; one at a time each."""

    code = "echo_in_use"

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__("you already have an echo test running; finish or close it first "
                         f"(it ends within {retry_after:.0f} s)")


class BadOffer(EchoError):
    """The offer is too large, has no audio or video, or aiortc cannot apply it."""

    code = "bad_offer"


class UnknownEchoSession(EchoError):
    """No such echo session: it ended or never existed."""

    code = "unknown_echo_session"


class EchoClosed(EchoError):
    """The echo session (or the whole pool) closed before it could answer."""

    code = "echo_closed"


class EchoTimeout(EchoError):
    """No report, or no echoed tone, within the time allowed."""

    code = "echo_timeout"


class EchoStateError(EchoError):
    """An echo call out of order: a second offer, a report before the offer."""

    code = "echo_state"


class ToneError(MediaError, ValueError):
    """A tone frequency, participant index or detector setting these helpers cannot use.

    Also a ``ValueError``: every one is a bad argument.
    """

    code = "bad_tone"
