"""A pass's roster made by a join knows the one person it set, and who is present made by
a join or leave who came or went: against what they were made from, and only that."""

from __future__ import annotations

import copy

from exercises import events as ev
from exercises.demo import demo_class
from exercises.reducer import reduce
from exercises.state import Member, PassPresent, PassRoster, PassState

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


def test_who_is_present_names_who_came_or_went_against_its_base_only() -> None:
    base = PassPresent.moved(frozenset({"ada"}), "bo", here=True)
    assert base == frozenset({"ada", "bo"}) and base.moved_since(frozenset({"ada"})) is None
    came = PassPresent.moved(base, "cy", here=True)
    assert came == frozenset({"ada", "bo", "cy"}) and came.moved_since(base) == (("cy",), ())
    went = PassPresent.moved(came, "ada", here=False)
    assert went == frozenset({"bo", "cy"}) and went.moved_since(came) == ((), ("ada",))
    assert went.moved_since(base) is None and went.moved_since(frozenset(came)) is None
    # Someone already here arriving, or someone away leaving, moves nobody.
    assert PassPresent.moved(came, "bo", here=True).moved_since(came) == ((), ())
    assert PassPresent.moved(came, "zed", here=False).moved_since(came) == ((), ())
    for made in (copy.copy(went), copy.deepcopy(went)):
        assert type(made) is frozenset and made == went


def test_the_reducer_joins_and_leaves_by_setting_the_one_member() -> None:
    state = PassState(id="p", program="g", script=demo_class(), main_room="m")
    first, _ = reduce(state, ev.Join(ADA), 1.0)
    second, _ = reduce(first, ev.Join(BO), 2.0)
    assert isinstance(second.roster, PassRoster) and second.roster.set_since(first.roster) == ("bo",)
    assert second.present == {"ada", "bo"} and second.roster == {"ada": ADA, "bo": BO}
    assert isinstance(second.present, PassPresent)
    assert second.present.moved_since(first.present) == (("bo",), ())
    third, _ = reduce(second, ev.Leave("ada"), 3.0)
    assert isinstance(third.present, PassPresent)
    assert third.present == frozenset({"bo"}) and third.present.moved_since(second.present) == ((), ("ada",))
    assert third.roster is second.roster, "who left stays on the roster"
