"""Signed credentials: one kind, one pass, until they expire."""

from __future__ import annotations

import hmac

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


def _variants(token: str) -> list[str]:
    """Other spellings of the same bytes that a lenient base64 decoder accepts."""
    payload, mac = token.split(".")
    last = tickets._PART.pattern  # noqa: SLF001 - only to keep the alphabet in one place
    assert last
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    # 32 bytes of MAC are 43 characters: the last one carries 2 unused bits.
    flipped = mac[:-1] + alphabet[alphabet.index(mac[-1]) ^ 1]
    return [
        f"{payload}.{mac}=",                       # padding
        f"{payload}.{flipped}",                    # non-zero trailing bits
        f"{payload}.{mac[:10]}\n{mac[10:]}",       # a stray character a decoder skips
        f"{payload}.{mac.replace('-', '+').replace('_', '/')}" if ("-" in mac or "_" in mac)
        else f"{payload}.{mac}!",                  # the standard alphabet
        f" {token}",
        f"{token}.",
    ]


def test_a_ticket_has_exactly_one_valid_encoding() -> None:
    secret = "s" * 40
    token = tickets.issue(secret, claims())
    assert tickets.verify(secret, token, now=1, kind=tickets.Kind.PARTICIPANT) == claims()
    for variant in _variants(token):
        assert variant != token
        with pytest.raises(AuthError) as error:
            tickets.verify(secret, variant, now=1, kind=tickets.Kind.PARTICIPANT)
        assert error.value.code == "invalid_credential", repr(variant)


def test_a_signed_but_non_canonical_json_body_is_refused() -> None:
    import base64
    import hashlib
    import hmac
    secret = "s" * 40
    body = b'{"exp": 100, "k": "participant", "pass": "pass1", "sub": "p-anna"}'
    payload = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
    mac = base64.urlsafe_b64encode(hmac.new(secret.encode(), payload.encode(),
                                            hashlib.sha256).digest()).rstrip(b"=").decode()
    with pytest.raises(AuthError) as error:
        tickets.verify(secret, f"{payload}.{mac}", now=1, kind=tickets.Kind.PARTICIPANT)
    assert error.value.code == "invalid_credential"


def test_every_spelling_of_a_credential_has_one_id() -> None:
    token = tickets.issue("s" * 40, claims())
    claims_ = tickets.verify("s" * 40, token, now=1, kind=tickets.Kind.PARTICIPANT)
    assert claims_.id == tickets.credential_id(token) == tickets.credential_id(token + "==")
    other = tickets.issue("s" * 40, claims(exp=101))
    assert tickets.credential_id(other) != claims_.id


def test_a_credential_opened_from_another_names_its_parent_inside_the_signature() -> None:
    derived = tickets.Claims(tickets.Kind.FACILITATOR, "pass1", "Fia", 100.0, via="staff:7")
    token = tickets.issue("s" * 40, derived)
    assert tickets.verify("s" * 40, token, now=1, kind=tickets.Kind.FACILITATOR).via == "staff:7"
    plain = tickets.issue("s" * 40, claims())
    assert tickets.verify("s" * 40, plain, now=1, kind=tickets.Kind.PARTICIPANT).via is None
    # A parent that is not a name (signed, but malformed) is refused, not trusted.
    body = tickets._b64(tickets._json({"k": "facilitator", "pass": "p", "sub": "Fia",
                                       "exp": 100, "via": 7}))
    forged = f"{body}.{tickets._b64(hmac.new(b's' * 40, body.encode(), 'sha256').digest())}"
    with pytest.raises(AuthError) as error:
        tickets.verify("s" * 40, forged, now=1, kind=tickets.Kind.FACILITATOR)
    assert error.value.code == "invalid_credential"
