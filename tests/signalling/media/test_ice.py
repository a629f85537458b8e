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
