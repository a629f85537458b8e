"""Loopback-only ICE: 127.0.0.1 host candidates, no STUN, a reversible aioice patch."""

from __future__ import annotations

import aioice.ice

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
