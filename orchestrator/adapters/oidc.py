"""The OpenID provider, seen from onlive (implements ``orchestrator.signon.IdentityProvider``).

Discovery (``/.well-known/openid-configuration``) and the provider's keys
(JWKS) are fetched once and kept; the keys are fetched again when a token
names a key we do not have (the provider rotated them). The code is
exchanged at the token endpoint with the client's secret (HTTP Basic) and
the PKCE verifier; the ID token's signature (RS256/ES256/PS256/EdDSA,
never ``none`` or HMAC) and its ``iss``, ``aud``, ``exp``, ``iat`` and
``nonce`` are checked by joserfc (authlib's JOSE library); the PKCE
challenge is authlib's S256.

Errors: ``AuthError`` with code ``sso_failed`` naming what did not hold.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlencode

import aiohttp
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from orchestrator.errors import AuthError

log = logging.getLogger(__name__)

ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"]
TIMEOUT_S = 10.0


class OidcProvider:
    def __init__(self, issuer: str, client_id: str, client_secret: str, redirect_uri: str,
                 session: aiohttp.ClientSession) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self._secret = client_secret
        self.redirect_uri = redirect_uri
        self._session = session
        self._config: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._lock = asyncio.Lock()

    async def _get(self, url: str) -> dict[str, Any]:
        try:
            async with self._session.get(url, timeout=aiohttp.ClientTimeout(TIMEOUT_S)) as r:
                if r.status != 200:
                    raise AuthError(f"the identity provider answered {r.status} for {url}",
                                    code="sso_failed")
                body: dict[str, Any] = await r.json(content_type=None)
                return body
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise AuthError(f"the identity provider cannot be reached: {error}",
                            code="sso_failed") from None

    async def config(self) -> dict[str, Any]:
        async with self._lock:
            if self._config is None:
                found = await self._get(f"{self.issuer}/.well-known/openid-configuration")
                if found.get("issuer") != self.issuer:
                    raise AuthError(f"the provider calls itself {found.get('issuer')!r}, not "
                                    f"{self.issuer!r}", code="sso_failed")
                self._config = found
            return self._config

    async def _key_set(self, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            jwks = await self._get((await self.config())["jwks_uri"])
            self._keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        return self._keys

    async def authorization_url(self, *, state: str, nonce: str, verifier: str,
                                scope: str) -> str:
        endpoint = str((await self.config())["authorization_endpoint"])
        challenge = create_s256_code_challenge(verifier)
        return endpoint + "?" + urlencode({
            "response_type": "code", "client_id": self.client_id,
            "redirect_uri": self.redirect_uri, "scope": scope, "state": state, "nonce": nonce,
            "code_challenge": challenge, "code_challenge_method": "S256"})

    async def exchange(self, code: str, verifier: str, nonce: str) -> dict[str, Any]:
        """The verified ID token's claims for an authorisation code."""
        endpoint = (await self.config())["token_endpoint"]
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": self.redirect_uri, "code_verifier": verifier}
        try:
            async with self._session.post(
                    endpoint, data=form, auth=aiohttp.BasicAuth(self.client_id, self._secret),
                    timeout=aiohttp.ClientTimeout(TIMEOUT_S)) as r:
                body = await r.json(content_type=None)
                if r.status != 200 or not isinstance(body, dict) or "id_token" not in body:
                    error = body.get("error") if isinstance(body, dict) else None
                    raise AuthError(f"the provider refused the code ({r.status} {error})",
                                    code="sso_failed")
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise AuthError(f"the identity provider cannot be reached: {error}",
                            code="sso_failed") from None
        return await self._verify(str(body["id_token"]), nonce)

    async def _verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            try:
                token = jwt.decode(id_token, await self._key_set(), algorithms=ALGORITHMS)
            except (JoseError, ValueError):
                # A key we have not seen: the provider may have rotated its keys.
                token = jwt.decode(id_token, await self._key_set(refresh=True),
                                   algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                nonce={"essential": True, "value": nonce},
                exp={"essential": True}, iat={"essential": True},
                sub={"essential": True}).validate(token.claims)
        except (JoseError, ValueError) as error:
            raise AuthError(f"the ID token does not hold: {error}", code="sso_failed") from None
        return dict(token.claims)
