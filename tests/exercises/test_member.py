"""A participant's data is checked where it enters: the ``Member`` value."""

from __future__ import annotations

import pytest

from breakout.errors import CodedError
from exercises.errors import InvalidMember
from exercises.state import Member


def test_a_member_entered_as_their_own_manager_is_refused_with_a_code_naming_the_field() -> None:
    with pytest.raises(InvalidMember) as refused:
        Member("p-ann", "Ann", "HR", "Malmö", manager_id="p-ann")
    assert isinstance(refused.value, CodedError) and refused.value.code == "invalid_member"
    assert refused.value.message == ("participant 'p-ann': manager_id names the participant themself; "
                                     "leave manager_id empty or give their manager's id")


def test_a_member_with_a_manager_or_none_is_accepted() -> None:
    assert Member("p-bo", "Bo", manager_id="p-ann").manager_id == "p-ann"
    assert Member("p-ann", "Ann").manager_id is None
