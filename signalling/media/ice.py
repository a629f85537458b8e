"""ICE for aiortc: host candidates on 127.0.0.1 (or the addresses a deployment gives), no STUN.

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

``enable(addresses)`` replaces aioice's host-address lookup, narrowly: the
replacement returns exactly those IPv4 addresses (``["127.0.0.1"]`` by
default) when IPv4 is requested and nothing else. Calling it again with the
same addresses is a no-op; with others, it changes them. A deployment whose
participants are not on this machine gives the echo peer the addresses
browsers can reach (``ONLIVE_MEDIA_IPS``, like LiveKit's ``rtc.node_ip``):
it binds there and its candidates carry them. ``use_every_interface()`` is
aioice's own lookup, chosen on purpose (``ONLIVE_MEDIA_LOOPBACK=0`` with no
addresses); ``disable()`` restores the original and forgets the choice, for
tests that need it. ``ice_configuration()`` is the only ``RTCConfiguration``
onlive builds; when nothing was chosen it restricts to 127.0.0.1, so a peer
never gathers nothing inside the tests' loopback-only namespace.

Also here, because they are about ICE too: ``candidate_from_init`` turns a
browser's trickled ``RTCIceCandidateInit`` into an aiortc candidate, and
``release_ice_sockets`` closes the UDP sockets a closed peer connection's
gathering left behind.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Mapping, Sequence
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
# The addresses candidates are gathered on while the lookup is replaced.
_addresses: tuple[str, ...] = (LOOPBACK,)
# Whether a deployment chose (addresses, or every interface); until then,
# ``ice_configuration`` restricts to 127.0.0.1.
_chosen = False


def _restricted_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    """Host addresses for ICE when restricted: the chosen IPv4 addresses, nothing else.

    IPv6 is never offered: ``::1`` would be a second path to test and the
    LiveKit node only listens on 127.0.0.1.
    """
    return list(_addresses) if use_ipv4 else []


def _check(addresses: Sequence[str]) -> tuple[str, ...]:
    chosen = tuple(addresses)
    if not chosen:
        raise ValueError("give at least one address to gather ICE candidates on")
    for address in chosen:
        try:
            ipaddress.IPv4Address(address)
        except ValueError:
            raise ValueError(f"ICE host addresses are IPv4 addresses, not {address!r}") from None
    return chosen


def enable(addresses: Sequence[str] = (LOOPBACK,)) -> None:
    """Make aioice gather host candidates on ``addresses`` only (idempotent).

    aioice looks ``get_host_addresses`` up in its module globals each time a
    connection gathers candidates, so replacing the module attribute is
    enough and affects nothing else in aioice. Peers created afterwards use
    the new addresses.
    """
    global _original, _addresses
    chosen = _check(addresses)
    current = aioice.ice.get_host_addresses
    if current is _restricted_host_addresses:
        if chosen != _addresses:
            _addresses = chosen
            log.info("aioice host candidates restricted to %s", ", ".join(chosen))
        return
    _original, _addresses = current, chosen
    aioice.ice.get_host_addresses = _restricted_host_addresses
    log.debug("aioice host candidates restricted to %s", ", ".join(chosen))


def configure(addresses: Sequence[str], *, loopback: bool) -> None:
    """A deployment's choice, made once at start: ``addresses`` if any, else
    127.0.0.1 when ``loopback``, else every interface (aioice's own lookup)."""
    global _chosen
    if addresses:
        enable(addresses)
    elif loopback:
        enable()
    else:
        use_every_interface()
    _chosen = True


def use_every_interface() -> None:
    """Gather on every interface, as aioice does by itself (and remember the choice)."""
    global _chosen
    disable()
    _chosen = True


def disable() -> None:
    """Restore aioice's own host-address lookup and forget any choice (idempotent)."""
    global _original, _addresses, _chosen
    if _original is not None and aioice.ice.get_host_addresses is _restricted_host_addresses:
        aioice.ice.get_host_addresses = _original
    _original, _addresses, _chosen = None, (LOOPBACK,), False


def is_enabled() -> bool:
    """Whether aioice currently gathers 127.0.0.1 only."""
    return aioice.ice.get_host_addresses is _restricted_host_addresses \
        and _addresses == (LOOPBACK,)


def host_addresses() -> tuple[str, ...] | None:
    """The addresses candidates are gathered on, or None for every interface."""
    if aioice.ice.get_host_addresses is _restricted_host_addresses:
        return _addresses
    return None


def ice_configuration() -> RTCConfiguration:
    """The ICE configuration for every onlive peer connection.

    Always ``iceServers=[]``: never the default public STUN server, and no
    TURN either. Unless a deployment chose its addresses (``configure``), it
    also enables the loopback host candidates, so a caller cannot build a
    peer that gathers nothing.

    ``bundlePolicy`` is max-bundle, and that is not cosmetic: with aiortc's
    default (balanced), an offer that adds two audio m-lines at once (LiveKit
    does this when two participants are already publishing) gives the second
    transceiver the first one's pre-bundle transport and marks it bundled,
    so it is never moved onto the real one and its RTP is routed to the
    first receiver. With max-bundle every transceiver starts on the bundle
    transport. LiveKit and browsers always bundle, so nothing is lost.
    """
    if not _chosen and host_addresses() is None:
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
