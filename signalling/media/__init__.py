"""The aiortc media stack: the echo test peer, synthetic participants, the LiveKit peer.

What the edge (``signalling.namespaces``), the composition root
(``orchestrator.app``, the CLI, benchmarks) and the tests use is exported
here. The modules, one concept each:

- ``ice``: loopback-only ICE for aiortc, and releasing a closed peer's sockets;
- ``errors``: the media errors, each with a stable code;
- ``closing``: teardown that neither a timeout nor a cancellation cuts short;
- ``tone``: sine tones per participant and a detector that tells them apart;
- ``verdict``: what the echo test's RTCP statistics say (pure);
- ``echo``: the echo test's peer (``EchoSession``);
- ``echo_pool``: the bounded pool of echo sessions the orchestrator keeps;
- ``echo_client``: the bot side of an echo test;
- ``lkpeer``: a LiveKit participant on aiortc (signalling v0, two peer connections);
- ``synthetic``: bots that follow a pass over Socket.IO and LiveKit.

This package never imports the application service, the Socket.IO edge or
the CLI (a layering test keeps it so).
"""

from signalling.media import ice
from signalling.media.echo import EchoSession, EchoState
from signalling.media.echo_client import EchoClient
from signalling.media.echo_pool import EchoPool, EchoTicket
from signalling.media.errors import (
    BadOffer,
    EchoBusy,
    EchoClosed,
    EchoError,
    EchoStateError,
    EchoTimeout,
    IceFailed,
    MediaError,
    NotHeard,
    PeerDisconnected,
    PeerError,
    PeerProtocolError,
    PeerRefused,
    PeerStateError,
    PeerTimeout,
    PeerUnreachable,
    ToneError,
    UnknownEchoSession,
)
from signalling.media.ice import ice_configuration
from signalling.media.lkpeer import LiveKitPeer, PeerOptions, PeerState
from signalling.media.synthetic import ANSWERS, Bot, Move
from signalling.media.tone import (
    Hearing,
    OpusToneTrack,
    ToneDetector,
    ToneTrack,
    participant_frequencies,
    participant_frequency,
)
from signalling.media.verdict import EchoReport, Thresholds, Verdict, judge, summarise

__all__ = [
    "ANSWERS",
    "BadOffer",
    "Bot",
    "EchoBusy",
    "EchoClient",
    "EchoClosed",
    "EchoError",
    "EchoPool",
    "EchoReport",
    "EchoSession",
    "EchoState",
    "EchoStateError",
    "EchoTicket",
    "EchoTimeout",
    "Hearing",
    "IceFailed",
    "LiveKitPeer",
    "MediaError",
    "Move",
    "NotHeard",
    "OpusToneTrack",
    "PeerDisconnected",
    "PeerError",
    "PeerOptions",
    "PeerProtocolError",
    "PeerRefused",
    "PeerState",
    "PeerStateError",
    "PeerTimeout",
    "PeerUnreachable",
    "Thresholds",
    "ToneDetector",
    "ToneError",
    "ToneTrack",
    "UnknownEchoSession",
    "Verdict",
    "ice",
    "ice_configuration",
    "judge",
    "participant_frequencies",
    "participant_frequency",
    "summarise",
]
