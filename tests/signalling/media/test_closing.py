"""Teardown that neither a timeout nor a cancellation cuts short, on real aiortc peers."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCPeerConnection

from signalling.media.closing import close_peer_connection, finish
from signalling.media.ice import ice_configuration


async def gathered_peer() -> RTCPeerConnection:
    """A peer connection with an audio transceiver whose ICE sockets are open."""
    pc = RTCPeerConnection(ice_configuration())
    pc.addTransceiver("audio")
    await pc.setLocalDescription(await pc.createOffer())
    return pc


def open_ice_sockets(pc: RTCPeerConnection) -> int:
    gatherers = {id(g): g for t in pc.getTransceivers()
                 if (g := t.sender.transport.transport.iceGatherer) is not None}
    return sum(1 for g in gatherers.values() for p in g._connection._protocols
               if p.transport is not None and not p.transport.is_closing())


async def test_finish_holds_a_cancellation_until_the_clean_up_is_done() -> None:
    history: list[str] = []
    release = asyncio.Event()

    async def clean_up() -> str:
        history.append("clean-up started")
        await release.wait()
        history.append("clean-up done")
        return "closed"

    async def owner() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await finish(asyncio.get_running_loop().create_task(clean_up()))
            history.append("owner went on")  # not reached: the cancellation is re-raised

    task = asyncio.get_running_loop().create_task(owner())
    await asyncio.sleep(0)
    task.cancel()  # the owner starts its clean-up
    await asyncio.sleep(0)
    task.cancel()  # a second cancellation while it cleans up is held back
    await asyncio.sleep(0.05)
    assert not task.done()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert history == ["clean-up started", "clean-up done"]


async def test_finish_under_a_timeout_times_out_after_the_clean_up() -> None:
    cleaned = asyncio.Event()

    async def clean_up() -> None:
        await asyncio.sleep(0.2)
        cleaned.set()

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await finish(asyncio.get_running_loop().create_task(clean_up()))
    assert cleaned.is_set()


async def test_aiortc_breaks_a_close_under_way_when_a_waiting_close_is_cancelled() -> None:
    # The reason close_peer_connection exists. If aiortc stops sharing one
    # cancellable future between concurrent close() calls, this fails and
    # the workaround can go.
    pc = await gathered_peer()
    first = asyncio.ensure_future(pc.close())  # like aiortc's own automatic close
    await asyncio.sleep(0)
    assert not first.done()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0):
            await pc.close()  # waits for the first, then is cancelled
    with pytest.raises(asyncio.InvalidStateError):
        await first


async def test_a_timed_out_close_does_not_break_a_close_under_way() -> None:
    pc = await gathered_peer()
    first = asyncio.ensure_future(pc.close())
    await asyncio.sleep(0)
    assert not first.done()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0):
            await close_peer_connection(pc, "test")
    await first  # the first close ran to its end (and returned nothing)
    assert pc.connectionState == "closed"


async def test_a_cancelled_caller_still_gets_the_peer_closed_and_its_sockets_released() -> None:
    pc = await gathered_peer()
    assert open_ice_sockets(pc) == 1
    closing = asyncio.get_running_loop().create_task(close_peer_connection(pc, "test"))
    await asyncio.sleep(0)
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while (pc.connectionState != "closed" or open_ice_sockets(pc)) and loop.time() < deadline:
        await asyncio.sleep(0.02)
    assert (pc.connectionState, open_ice_sockets(pc)) == ("closed", 0)


async def test_closing_twice_is_harmless() -> None:
    pc = await gathered_peer()
    await asyncio.gather(close_peer_connection(pc, "a"), close_peer_connection(pc, "b"))
    await close_peer_connection(pc, "c")
    assert (pc.connectionState, open_ice_sockets(pc)) == ("closed", 0)
