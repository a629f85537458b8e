"""An ended pass that is no organisation's session has nothing to keep, so its live keys
only expire (the session's case runs against PostgreSQL in tests/integration/test_gym_flows)."""

from __future__ import annotations

from exercises import events as ev
from exercises.demo import demo_class
from exercises.reducer import reduce
from exercises.state import PassState
from orchestrator.gym.archive import PassArchiver
from tests.orchestrator.fakes import MemoryStore


class _NoRecords:
    """The system of record, which an ad-hoc pass never reaches."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"an ad-hoc pass used the records ({name})")


async def _ended_ad_hoc_pass(store: MemoryStore) -> PassState:
    state = PassState(id="demo1", program="demo", script=demo_class(), main_room="m")
    await store.create_pass(state)
    for event in (ev.Start(), ev.End()):
        state, _ = reduce(state, event, 1.0)
    return state


async def test_an_ended_ad_hoc_pass_expires_after_the_retention_time() -> None:
    store = MemoryStore()
    state = await _ended_ad_hoc_pass(store)
    await PassArchiver(_NoRecords(), store, retention_s=3600).archive_pass(state)  # type: ignore[arg-type]
    assert store.expiring == {"demo1": 3600}


async def test_no_retention_keeps_the_live_keys() -> None:
    store = MemoryStore()
    state = await _ended_ad_hoc_pass(store)
    await PassArchiver(_NoRecords(), store, retention_s=0).archive_pass(state)  # type: ignore[arg-type]
    assert store.expiring == {}
