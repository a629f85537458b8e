"""The Redis adapter's codec: a pass state survives packing."""

from __future__ import annotations

from exercises.demo import demo_class
from exercises.state import PassState
from orchestrator.adapters.redis_keys import pack, unpack


def test_pass_state_survives_the_store_codec() -> None:
    state = PassState(id="p", program="g", script=demo_class(), main_room="m", present=frozenset({"a"}))
    assert unpack(PassState, pack(state)) == state
