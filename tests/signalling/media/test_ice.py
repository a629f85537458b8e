"""Loopback-only ICE: 127.0.0.1 host candidates, no STUN, a reversible aioice patch."""

from __future__ import annotations

import aioice.ice
import pytest

from signalling.media import ice as loopback
from signalling.media.ice import ice_configuration


def test_loopback_mode_offers_127_0_0_1_only_and_no_stun() -> None:
    config = ice_configuration()
    assert config.iceServers == []
    assert loopback.is_enabled()
    assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1"]
    assert aioice.ice.get_host_addresses(use_ipv4=False, use_ipv6=True) == []


def test_loopback_patch_is_idempotent_and_reversible() -> None:
    loopback.enable()
    patched = aioice.ice.get_host_addresses
    loopback.enable()
    assert aioice.ice.get_host_addresses is patched
    loopback.disable()
    try:
        assert not loopback.is_enabled()
        assert aioice.ice.get_host_addresses is not patched
    finally:
        loopback.enable()
    assert loopback.is_enabled()


def test_a_deployment_chooses_the_addresses_and_peers_keep_them() -> None:
    try:
        loopback.configure(("127.0.0.2",), loopback=True)
        ice_configuration()  # builds peers without falling back to 127.0.0.1
        assert loopback.host_addresses() == ("127.0.0.2",)
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.2"]
        assert not loopback.is_enabled()
        loopback.configure((), loopback=False)  # every interface, as aioice does itself
        ice_configuration()
        assert loopback.host_addresses() is None
    finally:
        loopback.disable()
        loopback.enable()
    assert loopback.is_enabled()


def test_ice_addresses_must_be_ipv4_addresses() -> None:
    for bad in ((), ("example.org",), ("::1",)):
        with pytest.raises(ValueError):
            loopback.enable(bad)
    assert loopback.is_enabled()


def test_an_offer_keeps_only_candidates_at_the_participants_own_address() -> None:
    from signalling.media.ice import MAX_REMOTE_CANDIDATES, restrict_candidates

    sdp = ("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
           "a=candidate:1 1 udp 2122260223 203.0.113.7 50000 typ host\r\n"
           "a=candidate:2 1 udp 2122260223 8.8.8.8 53 typ host\r\n"
           "a=candidate:3 1 udp 2122260223 10.0.0.9 50001 typ host\r\n"
           "a=candidate:4 1 tcp 2122260223 203.0.113.7 9 typ host tcptype active\r\n"
           "a=candidate:5 1 udp 1686052607 203.0.113.7 80 typ srflx raddr 0.0.0.0 rport 0\r\n"
           "a=candidate:6 1 udp 2122260223 abc.local 50002 typ host\r\n"
           "a=end-of-candidates\r\n")
    kept, dropped = restrict_candidates(sdp, frozenset({"203.0.113.7"}))
    assert dropped == 5
    assert [line for line in kept.splitlines() if "candidate:" in line] == [
        "a=candidate:1 1 udp 2122260223 203.0.113.7 50000 typ host"]
    assert "a=end-of-candidates" in kept and kept.startswith("v=0\r\nm=audio")
    many = "".join(f"a=candidate:{i} 1 udp 1 127.0.0.1 {2000 + i} typ host\r\n"
                   for i in range(40))
    kept, dropped = restrict_candidates(many, frozenset({"127.0.0.1"}))
    assert kept.count("a=candidate") == MAX_REMOTE_CANDIDATES and dropped == 40 - MAX_REMOTE_CANDIDATES
