"""``onlive facilitator-link NAME``: a revocable link to a facilitator's own page, labelled
with the name their sessions give them; without a name nothing is issued."""

from __future__ import annotations

import pytest

from tests.integration.test_gym_cli import Onlive, onlive, rows  # noqa: F401 (fixture)

pytestmark = pytest.mark.services


def test_a_facilitator_link_names_the_facilitator(onlive: Onlive, database_url: str) -> None:  # noqa: F811
    issued = onlive("facilitator-link", "Fia")
    assert issued.code == 0, issued.err
    assert "/passes#credential=" in issued.out
    missing = onlive("facilitator-link")
    assert missing.code == 2 and "onlive facilitator-link NAME" in missing.out
    assert rows(database_url, "SELECT role, label FROM staff_credentials") == [
        {"role": "facilitator-home", "label": "Fia"}]
    assert "revoked 1 facilitator-home link" in onlive("facilitator-link", "--revoke-all").out
