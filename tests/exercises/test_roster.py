"""A pass's roster made by a join knows the one person it set, and from which roster."""

from __future__ import annotations

import copy

from exercises import events as ev
from exercises.demo import demo_class
from exercises.reducer import reduce
from exercises.state import Member, PassRoster, PassState

ADA, BO = Member("ada", "Ada"), Member("bo", "Bo")


def test_a_roster_made_by_setting_one_member_names_it_against_its_base_only() -> None:
    base = PassRoster.with_member({}, ADA)
    assert base.set_since({}) is None, "a plain roster has no token: compare"
    joined = PassRoster.with_member(base, BO)
    assert joined == {"ada": ADA, "bo": BO} and base == {"ada": ADA}, "the base is unchanged"
    assert joined.set_since(base) == ("bo",)
    assert joined.set_since(dict(base)) is None, "an equal roster is not the one it came from"
    assert joined.set_since(PassRoster.with_member({}, ADA)) is None
    renamed = PassRoster.with_member(joined, Member("ada", "Adam"))
    assert renamed.set_since(joined) == ("ada",) and renamed.set_since(base) is None


def test_a_copy_of_a_roster_is_a_plain_roster_with_the_same_people() -> None:
    joined = PassRoster.with_member(PassRoster.with_member({}, ADA), BO)
    for made in (copy.copy(joined), copy.deepcopy(joined)):
        assert type(made) is dict and made == joined


def test_the_reducer_joins_by_setting_the_one_member() -> None:
    state = PassState(id="p", program="g", script=demo_class(), main_room="m")
    first, _ = reduce(state, ev.Join(ADA), 1.0)
    second, _ = reduce(first, ev.Join(BO), 2.0)
    assert isinstance(second.roster, PassRoster) and second.roster.set_since(first.roster) == ("bo",)
    assert second.present == {"ada", "bo"} and second.roster == {"ada": ADA, "bo": BO}
