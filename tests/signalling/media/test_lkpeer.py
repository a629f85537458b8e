"""LiveKitPeer against the real LiveKit server: who hears whom, across moves.

Each peer publishes its own tone and detects the others' in memory, so
"hears" means Opus audio really went publisher -> SFU -> subscriber.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence

import pytest

from signalling.media.errors import PeerError
from signalling.media.lkpeer import LiveKitPeer, PeerOptions, PeerState
from signalling.media.tone import participant_frequency
from tests.signalling.media.conftest import Rooms

pytestmark = pytest.mark.services

HEAR_TIMEOUT = 20.0


def make_peers(count: int, *, single_pc: bool = True) -> list[LiveKitPeer]:
    freqs = frozenset(participant_frequency(i) for i in range(count))
    return [LiveKitPeer(f"p{i}", PeerOptions(tone_hz=participant_frequency(i), listen_for=freqs,
                                             single_pc=single_pc))
            for i in range(count)]


def tone(peer: LiveKitPeer) -> float:
    assert peer.options.tone_hz is not None
    return peer.options.tone_hz


def others(peer: LiveKitPeer, group: Iterable[LiveKitPeer]) -> frozenset[float]:
    return frozenset(tone(p) for p in group if p is not peer)


async def join_all(rooms: Rooms, room: str, peers: Sequence[LiveKitPeer]) -> None:
    await asyncio.gather(*(p.connect(rooms.url, rooms.token(p.label, room)) for p in peers))


async def leave_all(peers: Iterable[LiveKitPeer]) -> None:
    await asyncio.gather(*(p.leave() for p in peers))


async def move_and_time(rooms: Rooms, groups: dict[str, list[LiveKitPeer]]) -> dict[str, float]:
    """Move every peer to its group's room; seconds from move to hearing exactly its group."""

    async def one(peer: LiveKitPeer, room: str, group: list[LiveKitPeer]) -> tuple[str, float]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await peer.move(rooms.url, rooms.token(peer.label, room))
        await peer.wait_hearing_exactly(others(peer, group), HEAR_TIMEOUT)
        return peer.label, loop.time() - start

    results = await asyncio.gather(*(one(p, room, group) for room, group in groups.items()
                                     for p in group))
    return dict(results)


async def assert_hears_only_group(groups: Sequence[list[LiveKitPeer]], seconds: float) -> None:
    """Sample for a while: no peer ever hears anyone outside its group.

    Only "nobody else" is sampled: on a loaded machine a detection may go
    stale for a moment, so "everyone in the group" is checked by waiting.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        for group in groups:
            for peer in group:
                assert peer.heard_frequencies() <= others(peer, group), (
                    f"{peer.label} in {peer.room} heard {sorted(peer.heard_frequencies())}")
        await asyncio.sleep(0.1)
    await asyncio.gather(*(p.wait_hearing_exactly(others(p, group), HEAR_TIMEOUT)
                           for group in groups for p in group))


def own_tasks(label: str) -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name().startswith(f"lkpeer[{label}]")]


def report(title: str, timings: dict[str, float]) -> None:
    print(f"\n{title} (move -> hears its group):")
    for label, seconds in sorted(timings.items()):
        print(f"  {label}: {seconds * 1000:7.0f} ms")


@pytest.mark.parametrize("single_pc", [True, False],
                         ids=["one connection, as the page", "two connections"])
async def test_five_peers_split_into_pair_and_trio_and_rejoin(rooms: Rooms,
                                                              single_pc: bool) -> None:
    peers = make_peers(5, single_pc=single_pc)
    plenary = await rooms.create("plenary")
    pair_room, trio_room = await rooms.create("pair"), await rooms.create("trio")
    pair, trio = peers[:2], peers[2:]
    try:
        timings = await move_and_time(rooms, {plenary: peers})
        report("join plenary", timings)
        await assert_hears_only_group([peers], 1.0)
        assert {a for p in peers for a in p.local_candidate_addresses()} == {"127.0.0.1"}

        timings = await move_and_time(rooms, {pair_room: pair, trio_room: trio})
        report("split into pair and trio", timings)
        assert {p.room for p in pair} == {pair_room} and {p.room for p in trio} == {trio_room}
        await assert_hears_only_group([pair, trio], 2.0)
        # The steps of joining, as onlive bench switch --phases reports them,
        # happened in causal order: with one connection the first offer went
        # with the join and the tone is published once connected; with two,
        # the offer was made while the join was answered.
        for p in peers:
            m = p.marks
            assert m["offer_made"] <= m["publisher_answer"] <= m["publisher_connected"] \
                <= m["connected"], m
            if single_pc:
                assert m["offer_made"] <= m["ws_open"] <= m["joined"] <= m["publisher_answer"], m
                assert m["track_published"] <= m["publish_offered"] \
                    <= m["publish_answered"] <= m["connected"], m
                assert m["publisher_connected"] <= m["publish_offered"], m
            else:
                assert m["joined"] <= m["track_published"] <= m["publisher_answer"], m
            assert m["audio_track"] <= m["first_frame"] <= m["tone_detected"], m

        # The plenary room closed when the last peer left (departure_timeout):
        # the orchestrator creates it again before sending people back. Wait
        # for that close: created while it is still pending, the room would
        # close under the returning peers (a 404 on a loaded machine).
        await rooms.wait_gone("plenary")
        await rooms.create("plenary")
        timings = await move_and_time(rooms, {plenary: peers})
        report("back to plenary", timings)
        await assert_hears_only_group([peers], 1.0)
        assert all(p.history == [PeerState.NEW] + [PeerState.CONNECTING, PeerState.CONNECTED,
                                                   PeerState.CLOSED] * 2
                   + [PeerState.CONNECTING, PeerState.CONNECTED] for p in peers), \
            [p.history for p in peers]
    finally:
        await leave_all(peers)
    assert all(p.state is PeerState.CLOSED for p in peers)
    assert all(not own_tasks(p.label) for p in peers)


async def test_peer_that_leaves_is_unheard_and_heard_again_when_it_rejoins(rooms: Rooms) -> None:
    peers = make_peers(3)
    stayers, mover = peers[:2], peers[2]
    room = await rooms.create("cycle")
    try:
        await join_all(rooms, room, peers)
        await asyncio.gather(*(p.wait_hearing_exactly(others(p, peers), HEAR_TIMEOUT)
                               for p in peers))
        loop = asyncio.get_running_loop()
        # Twice: the second cycle makes the server reuse (or deactivate and
        # add) subscriber transceivers that already carried the mover's tone.
        for cycle in range(2):
            await mover.leave()
            assert mover.state is PeerState.CLOSED and not own_tasks(mover.label)
            assert mover.heard_frequencies() == frozenset()
            start = loop.time()
            await asyncio.gather(*(p.wait_hearing_exactly(others(p, stayers), HEAR_TIMEOUT)
                                   for p in stayers))
            gone = loop.time() - start
            start = loop.time()
            await mover.connect(rooms.url, rooms.token(mover.label, room))
            await asyncio.gather(*(p.wait_hearing_exactly(others(p, peers), HEAR_TIMEOUT)
                                   for p in peers))
            back = loop.time() - start
            print(f"\ncycle {cycle}: stayers stopped hearing the mover after {gone * 1000:.0f} ms, "
                  f"everyone heard everyone {back * 1000:.0f} ms after it rejoined")
        await assert_hears_only_group([peers], 1.0)
    finally:
        await leave_all(peers)
    assert all(not own_tasks(p.label) for p in peers)


async def test_token_for_another_room_cannot_join_a_room_that_does_not_exist(rooms: Rooms) -> None:
    peer = LiveKitPeer("lost", PeerOptions(tone_hz=participant_frequency(0)))
    with pytest.raises(PeerError) as caught:
        await peer.connect(rooms.url, rooms.token("lost", rooms.name("never-created")))
    assert "lost" in str(caught.value)
    assert peer.state is PeerState.CLOSED
    assert not own_tasks("lost")


async def test_bad_token_is_refused_with_a_peer_error(rooms: Rooms) -> None:
    peer = LiveKitPeer("forger")
    with pytest.raises(PeerError, match="refused"):
        await peer.connect(rooms.url, "not-a-jwt")
    assert peer.state is PeerState.CLOSED
