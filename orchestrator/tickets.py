"""Signed credentials: participant join tickets, facilitator, ops, admin and leadership
credentials.

A credential is ``base64url(json claims) "." base64url(HMAC-SHA256)``, signed
with the installation secret. Claims: ``k`` (kind), ``pass`` (pass id; not for
ops, admin and leadership), ``sub`` (person id for participants; for admin and
leadership ``ORG/CREDENTIAL_ID``, the row that can revoke it; ``sso:HANDLE``
for credentials a single sign-on session holds, never the session id itself), ``exp`` (epoch seconds). They
are bearer credentials, so join links carry them in the URL fragment, which a
browser never sends to a server or writes to its logs.

Each credential has exactly one valid encoding: unpadded base64url whose
unused trailing bits are zero, over the canonical JSON (sorted keys, no
spaces) that ``issue`` writes. Anything else (padding, the standard
alphabet, stray characters, other JSON spellings) is refused, so a
credential can be compared, stored or revoked by its text.

Every credential has an id (``credential_id``: a digest of its signed
payload), which is what revocation records; the signature's text is left out
so that every spelling of one credential has the same id.

The staff roles (``STAFF``) are the same whether a person holds a CLI link
or signed in with the organisation's identity provider (``signalling.sso``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum

from orchestrator.errors import AuthError

MAX_CREDENTIAL_CHARS = 2048
_PART = re.compile(r"[A-Za-z0-9_-]+")


class Kind(StrEnum):
    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"
    OPS = "ops"
    ADMIN = "admin"  # one organisation's learning lead: roster, programs, dashboard
    LEADERSHIP = "leadership"  # one organisation's leadership: the insights page
    #: A facilitator of one organisation, named as sessions name them: their upcoming
    #: passes and the class page (running a pass needs a FACILITATOR credential of it).
    FACILITATOR_HOME = "facilitator-home"


#: The roles staff hold (by link or by single sign-on); participants are not staff.
STAFF = (Kind.FACILITATOR, Kind.ADMIN, Kind.OPS, Kind.LEADERSHIP)
ID_CHARS = 20


@dataclass(frozen=True, slots=True)
class Claims:
    kind: Kind
    pass_id: str | None
    subject: str
    expires: float
    #: The credential's id (``credential_id``); set by ``verify``, not compared.
    id: str = field(default="", compare=False)
    #: The revocation name of the credential this one was opened with (a facilitator's
    #: control panel opened from their page's link): revoking that one refuses this too.
    via: str | None = None


def credential_id(credential: str) -> str:
    """The id revocation uses: a digest of the signed payload (the part before the dot)."""
    payload = credential.strip().partition(".")[0]
    return hashlib.sha256(payload.encode()).hexdigest()[:ID_CHARS]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """The bytes of canonical unpadded base64url; ``ValueError`` for any other spelling."""
    if not _PART.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:  # non-zero trailing bits: a second spelling of the same bytes
        raise ValueError("not canonical base64url")
    return data


def _json(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def issue(secret: str, claims: Claims) -> str:
    body: dict[str, object] = {"k": claims.kind.value, "pass": claims.pass_id,
                               "sub": claims.subject, "exp": int(claims.expires)}
    if claims.via is not None:
        body["via"] = claims.via
    payload = _b64(_json(body))
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def verify(secret: str, credential: object, *, now: float, kind: Kind | frozenset[Kind]) -> Claims:
    """The claims of a valid, unexpired credential of ``kind`` (or one of the kinds);
    ``AuthError`` otherwise."""
    kinds = frozenset({kind}) if isinstance(kind, Kind) else kind
    if not isinstance(credential, str) or not credential or len(credential) > MAX_CREDENTIAL_CHARS:
        raise AuthError("a credential is required (the ticket in your join link)",
                        code="missing_credential")
    payload, _, mac = credential.partition(".")
    try:
        expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
        valid = hmac.compare_digest(expected, _unb64(mac))
        raw = _unb64(payload) if valid else b""
        body = json.loads(raw) if valid else None
        valid = valid and _json(body) == raw
    except (ValueError, UnicodeError, RecursionError):
        valid, body = False, None
    if not valid or not isinstance(body, dict):
        raise AuthError("the credential is not valid (forged or damaged link); ask your "
                        "facilitator for a new link", code="invalid_credential")
    try:
        via = body.get("via")
        if via is not None and not isinstance(via, str):
            raise TypeError("via")
        claims = Claims(Kind(body["k"]), body.get("pass"), str(body["sub"]), float(body["exp"]),
                        via=via)
    except (KeyError, ValueError, TypeError):
        raise AuthError("the credential is malformed", code="invalid_credential") from None
    if claims.kind not in kinds:
        wanted = " or ".join(sorted(k.value for k in kinds))
        raise AuthError(f"this is a {claims.kind.value} credential; a {wanted} "
                        "credential is needed here", code="wrong_role")
    if claims.expires <= now:
        raise AuthError("the link has expired; ask your facilitator for a new one",
                        code="expired_credential")
    return replace(claims, id=credential_id(credential))
