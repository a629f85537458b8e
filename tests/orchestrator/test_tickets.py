"""Signed credentials: one kind, one pass, until they expire."""

from __future__ import annotations

import pytest

from orchestrator import tickets
from orchestrator.errors import AuthError


def claims(kind: tickets.Kind = tickets.Kind.PARTICIPANT, exp: float = 100.0) -> tickets.Claims:
    return tickets.Claims(kind, "pass1", "p-anna", exp)


def test_a_ticket_verifies_for_its_kind_until_it_expires() -> None:
    token = tickets.issue("s" * 40, claims())
    assert tickets.verify("s" * 40, token, now=99, kind=tickets.Kind.PARTICIPANT) == claims()
    with pytest.raises(AuthError) as error:
        tickets.verify("s" * 40, token, now=100, kind=tickets.Kind.PARTICIPANT)
    assert error.value.code == "expired_credential"
    with pytest.raises(AuthError) as error:
        tickets.verify("s" * 40, token, now=1, kind=tickets.Kind.FACILITATOR)
    assert error.value.code == "wrong_role"


@pytest.mark.parametrize("credential", [None, "", "abc", "a.b", 42, "x" * 5000])
def test_garbage_credentials_are_refused_with_a_code(credential: object) -> None:
    with pytest.raises(AuthError) as error:
        tickets.verify("s" * 40, credential, now=1, kind=tickets.Kind.PARTICIPANT)
    assert error.value.code in ("missing_credential", "invalid_credential")


def test_a_ticket_signed_with_another_secret_is_forged() -> None:
    token = tickets.issue("a" * 40, claims())
    with pytest.raises(AuthError, match="not valid"):
        tickets.verify("b" * 40, token, now=1, kind=tickets.Kind.PARTICIPANT)


def test_every_spelling_of_a_credential_has_one_id() -> None:
    token = tickets.issue("s" * 40, claims())
    claims_ = tickets.verify("s" * 40, token, now=1, kind=tickets.Kind.PARTICIPANT)
    assert claims_.id == tickets.credential_id(token) == tickets.credential_id(token + "==")
    other = tickets.issue("s" * 40, claims(exp=101))
    assert tickets.credential_id(other) != claims_.id
