"""The Redis adapter's codec: a pass state and its people survive packing."""

from __future__ import annotations

import msgpack

from exercises import events as ev
from exercises.demo import demo_class
from exercises.reducer import reduce
from exercises.state import Member, PassState
from orchestrator.adapters.redis_keys import decode_member, pack, pack_member, unpack


def test_pass_state_survives_the_store_codec() -> None:
    state = PassState(id="p", program="g", script=demo_class(), main_room="m", present=frozenset({"a"}))
    assert unpack(PassState, pack(state)) == state


def test_a_pass_in_breakout_rooms_survives_the_store_codec() -> None:
    state = PassState(id="p", program="g", script=demo_class(), main_room="m")
    for i in range(5):
        state, _ = reduce(state, ev.Join(Member(f"u{i}", f"U{i}", "IT", "Umeå", level=i)), 1.0)
    state, _ = reduce(state, ev.Start(), 2.0)
    while state.step is None or state.step.kind.value != "breakout":
        state, _ = reduce(state, ev.Next(), 3.0)
    groups = ((("u0", "u1"), ("new-contact",)), (("u2", "u3", "u4"), ()))
    state, _ = reduce(state, ev.OpenBreakouts(groups), 4.0)
    assert state.breakout is not None and len(state.breakout.groups) == 2
    assert unpack(PassState, pack(state)) == state


def test_a_member_is_written_as_the_bytes_it_was_read_from() -> None:
    raw = msgpack.packb({"name": "Anna A", "id": "anna-raw", "site": "Luleå", "level": 2},
                        use_bin_type=True)
    member = decode_member(raw)
    assert member == Member("anna-raw", "Anna A", site="Luleå", level=2)
    assert pack_member(member) is raw
    assert decode_member(pack_member(Member("bo-new", "Bo"))) == Member("bo-new", "Bo")


def test_a_member_stored_with_a_field_this_version_does_not_know_still_reads() -> None:
    raw = msgpack.packb({"id": "cid-new", "name": "Cid", "pronouns": "han"}, use_bin_type=True)
    assert decode_member(raw) == Member("cid-new", "Cid")
