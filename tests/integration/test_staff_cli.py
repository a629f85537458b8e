"""``onlive admin-link`` and ``onlive leadership-link``: issued per organisation, listed,
revoked one by one or all at once (the routes refuse a revoked link: test_admin_http)."""

from __future__ import annotations

import pytest

from tests.integration.test_gym_cli import Onlive, onlive, rows  # noqa: F401 (fixture)

pytestmark = pytest.mark.services


def test_links_are_issued_listed_and_revoked(onlive: Onlive, database_url: str) -> None:  # noqa: F811
    first = onlive("admin-link", "--label", "Lisa")
    assert first.code == 0, first.err
    assert "/admin#credential=" in first.out
    lead = onlive("leadership-link")
    assert lead.code == 0 and "/insights#credential=" in lead.out
    second = onlive("admin-link")
    listed = onlive("admin-link", "--list")
    assert listed.code == 0 and len(listed.out.splitlines()) == 3 and "Lisa" in listed.out
    number = first.out.split()[2]
    assert onlive("admin-link", "--revoke", number).code == 0
    assert onlive("admin-link", "--revoke", number).code == 1  # not live any more
    assert "revoked 1 admin link" in onlive("admin-link", "--revoke-all").out
    live = rows(database_url, "SELECT role FROM staff_credentials WHERE revoked_at IS NULL")
    assert live == [{"role": "leadership"}]
    assert second.code == 0
    unknown = onlive("admin-link", "--org", "nosuchorg")
    assert unknown.code == 2 and "onlive org create" in unknown.err
