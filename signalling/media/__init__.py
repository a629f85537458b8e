"""The aiortc media stack: the echo test peer, synthetic participants, the LiveKit peer.

What the edge (``signalling.namespaces``), the composition root
(``orchestrator.app``, the CLI, benchmarks) and the tests use is exported
here. The modules, one concept each:

- ``ice``: loopback-only ICE for aiortc, and releasing a closed peer's sockets;
- ``tone``: sine tones per participant and a detector that tells them apart;
- ``echo``: the pre-join echo test (``EchoSession``, ``EchoPool``, ``EchoClient``);
- ``lkpeer``: a LiveKit participant on aiortc (signalling v0, two peer connections);
- ``synthetic``: bots that follow a pass over Socket.IO and LiveKit.

This package never imports the application service, the Socket.IO edge or
the CLI (a layering test keeps it so).
"""

from signalling.media import ice
from signalling.media.echo import (
    EchoBusy,
    EchoClient,
    EchoError,
    EchoPool,
    EchoReport,
    EchoSession,
    EchoState,
    EchoTicket,
    Thresholds,
    Verdict,
    judge,
    summarise,
)
from signalling.media.ice import ice_configuration
from signalling.media.lkpeer import LiveKitPeer, PeerError, PeerOptions, PeerState
from signalling.media.synthetic import ANSWERS, Bot, Move
from signalling.media.tone import (
    Hearing,
    ToneDetector,
    ToneError,
    ToneTrack,
    participant_frequencies,
    participant_frequency,
)

__all__ = [
    "ANSWERS",
    "Bot",
    "EchoBusy",
    "EchoClient",
    "EchoError",
    "EchoPool",
    "EchoReport",
    "EchoSession",
    "EchoState",
    "EchoTicket",
    "Hearing",
    "LiveKitPeer",
    "Move",
    "PeerError",
    "PeerOptions",
    "PeerState",
    "Thresholds",
    "ToneDetector",
    "ToneError",
    "ToneTrack",
    "Verdict",
    "ice",
    "ice_configuration",
    "judge",
    "participant_frequencies",
    "participant_frequency",
    "summarise",
]
