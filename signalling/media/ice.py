"""Loopback-only ICE for aiortc: host candidates on 127.0.0.1 and no STUN.

onlive's synthetic participants and its echo test peer talk to a LiveKit
server (or a browser) on the same machine, and must never send a packet to
any other address (see shared/LIVEKIT.md, "Loopback-only single node").
Two things in the aiortc/aioice stack work against that:

- aioice gathers host candidates from every interface *except* 127.0.0.1
  (``aioice.ice.get_host_addresses`` skips it on purpose, since loopback is
  useless between two machines). On loopback-only deployments, and inside
  the tests' ``unshare -n`` namespace, that leaves no usable candidate at
  all, and elsewhere it offers the machine's LAN addresses.
- aiortc asks Google's public STUN server when ``RTCConfiguration`` has no
  ``iceServers`` (``None`` means "use the default"); only an explicit empty
  list turns that off.

``enable()`` replaces aioice's host-address lookup, narrowly: the
replacement returns exactly ``["127.0.0.1"]`` when IPv4 is requested and
nothing else, and it is installed once (calling ``enable()`` again is a
no-op). ``disable()`` restores the original, for tests that need it.
``ice_configuration()`` is the only ``RTCConfiguration`` onlive builds.

Also here, because they are about ICE too: ``candidate_from_init`` turns a
browser's trickled ``RTCIceCandidateInit`` into an aiortc candidate, and
``release_ice_sockets`` closes the UDP sockets a closed peer connection's
gathering left behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Protocol

import aioice.ice
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceCandidate, RTCPeerConnection
from aiortc.sdp import candidate_from_sdp

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


class _HostLookup(Protocol):
    def __call__(self, use_ipv4: bool, use_ipv6: bool) -> list[str]: ...


# The function aioice shipped with, kept so ``disable()`` can restore it.
_original: _HostLookup | None = None


def _loopback_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    """Host addresses for ICE in loopback mode: 127.0.0.1 and nothing else.

    IPv6 is never offered: ``::1`` would be a second path to test and the
    LiveKit node only listens on 127.0.0.1.
    """
    return [LOOPBACK] if use_ipv4 else []


def enable() -> None:
    """Make aioice gather host candidates on 127.0.0.1 only (idempotent).

    aioice looks ``get_host_addresses`` up in its module globals each time a
    connection gathers candidates, so replacing the module attribute is
    enough and affects nothing else in aioice.
    """
    global _original
    current = aioice.ice.get_host_addresses
    if current is _loopback_host_addresses:
        return
    _original = current
    aioice.ice.get_host_addresses = _loopback_host_addresses
    log.debug("aioice host candidates restricted to %s", LOOPBACK)


def disable() -> None:
    """Restore aioice's own host-address lookup (idempotent)."""
    global _original
    if _original is not None and aioice.ice.get_host_addresses is _loopback_host_addresses:
        aioice.ice.get_host_addresses = _original
    _original = None


def is_enabled() -> bool:
    """Whether aioice currently gathers 127.0.0.1 only."""
    return aioice.ice.get_host_addresses is _loopback_host_addresses


def ice_configuration() -> RTCConfiguration:
    """The ICE configuration for every onlive peer connection.

    Always ``iceServers=[]``: never the default public STUN server, and no
    TURN either (everything is on 127.0.0.1). Also enables the loopback host
    candidates, so a caller cannot build a peer that gathers nothing.

    ``bundlePolicy`` is max-bundle, and that is not cosmetic: with aiortc's
    default (balanced), an offer that adds two audio m-lines at once (LiveKit
    does this when two participants are already publishing) gives the second
    transceiver the first one's pre-bundle transport and marks it bundled,
    so it is never moved onto the real one and its RTP is routed to the
    first receiver. With max-bundle every transceiver starts on the bundle
    transport. LiveKit and browsers always bundle, so nothing is lost.
    """
    enable()
    return RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


def candidate_from_init(init: Mapping[str, Any]) -> RTCIceCandidate | None:
    """An aiortc candidate from a browser RTCIceCandidateInit; ``None`` if empty.

    ``{"candidate": "candidate:…", "sdpMid": "0", "sdpMLineIndex": 0, …}``;
    an empty ``candidate`` is the browser's end-of-candidates.
    """
    line = str(init.get("candidate") or "")
    if not line:
        return None
    candidate = candidate_from_sdp(line.removeprefix("a=").removeprefix("candidate:"))
    mid = init.get("sdpMid")
    index = init.get("sdpMLineIndex")
    candidate.sdpMid = None if mid is None else str(mid)
    candidate.sdpMLineIndex = None if index is None else int(index)
    return candidate


MAX_REMOTE_CANDIDATES = 16


def allowed_candidate(line: str, allowed: frozenset[str]) -> bool:
    """Whether the echo peer may send to the candidate of ``line``
    (``[a=]candidate:foundation component transport priority address port typ ...``):
    UDP, to an address in ``allowed``, on a port from 1024."""
    fields = line.strip().removeprefix("a=").removeprefix("candidate:").split()
    if len(fields) < 8 or fields[2].lower() != "udp" or fields[6] != "typ":
        return False
    address, port = fields[4], fields[5]
    return address in allowed and port.isdigit() and 1024 <= int(port) <= 65535


def restrict_candidates(sdp: str, allowed: frozenset[str]) -> tuple[str, int]:
    """``sdp`` with only the candidates ``allowed_candidate`` accepts (at most
    ``MAX_REMOTE_CANDIDATES``), and how many were dropped. The echo peer's ICE checks
    go to the offer's candidates, so this is what keeps a participant from aiming its
    packets at another address: only where their own connection comes from."""
    kept: list[str] = []
    dropped = taken = 0
    for line in sdp.splitlines(keepends=True):
        if line.startswith("a=candidate:"):
            if taken >= MAX_REMOTE_CANDIDATES or not allowed_candidate(line, allowed):
                dropped += 1
                continue
            taken += 1
        kept.append(line)
    return "".join(kept), dropped


async def release_ice_sockets(pc: RTCPeerConnection, wait: float = 5.0) -> int:
    """Close UDP sockets aioice opened after ``pc.close()`` (returns how many).

    aioice appends the sockets of a gathering in flight to its connection
    only after binding them; a close that lands in between misses them and
    they stay open. After ``pc.close()``, wait for any gathering to end, then
    close what it left. Reaches into aioice/aiortc internals, checked at 1.16
    and 0.13; a missing attribute just skips the clean-up.
    """
    gatherers: dict[int, Any] = {}
    transports = [t.sender.transport for t in pc.getTransceivers()]
    sctp = getattr(pc, "sctp", None)
    if sctp is not None:
        transports.append(sctp.transport)
    for dtls in transports:
        gatherer = getattr(getattr(dtls, "transport", None), "iceGatherer", None)
        if gatherer is not None:
            gatherers[id(gatherer)] = gatherer
    closed = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    for gatherer in gatherers.values():
        while gatherer.state == "gathering" and loop.time() < deadline:
            await asyncio.sleep(0.05)
        connection = getattr(gatherer, "_connection", None)
        for protocol in list(getattr(connection, "_protocols", [])):
            transport = getattr(protocol, "transport", None)
            if transport is not None and not transport.is_closing():
                transport.close()
                closed += 1
    return closed
