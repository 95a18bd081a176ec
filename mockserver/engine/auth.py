"""Authentication driven by the contract's security schemes.

OAuth2 client-credentials schemes get a real token exchange whose tokens expire on the virtual
clock; HTTP bearer schemes accept configured static keys. Either way the caller's identity is the
tenant every stored resource belongs to, so one client never sees another's data.
"""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import BaseModel
from werkzeug.wrappers import Request

from contracts import DEFAULT_TOKEN_LIFETIME
from mockserver.config import Credentials
from mockserver.engine.clock import Clock
from mockserver.engine.contract import Contract, Operation
from mockserver.storage import Store, keys

__all__ = ["AuthError", "Authenticator", "IssuedToken", "MalformedCredentials",
           "credentials_problem", "presented_token"]


_VALIDATED_TOKENS = 1024


class AuthError(Exception):
    """The request is not authenticated; the message says why."""


class MalformedCredentials(AuthError):
    """The request does not carry credentials in the form the security scheme requires, which
    breaks the contract (a well-formed but unknown or expired token does not)."""


class IssuedToken(BaseModel):
    """A stored access token: whose it is and until when it works (mock time)."""

    vendor: str
    identity: str
    issued_at: float
    expires_at: float


class Authenticator:
    """Checks one vendor's credentials as its contract's security schemes ask."""

    def __init__(self, contract: Contract, credentials: Credentials, store: Store,
                 clock: Clock) -> None:
        self.contract = contract
        self.credentials = credentials
        self._store = store
        self._clock = clock
        self._validated: dict[str, tuple[dict[str, Any], IssuedToken]] = {}
        """token -> the stored record last validated and its model: a client polls with one
        token, and the same record validates the same way."""

    def identify(self, operation: Operation, request: Request, now: float,
                 known: dict[str, dict[str, Any] | None] | None = None) -> str | None:
        """The caller's identity, or None for an operation that needs none."""
        if not operation.secured:
            return None
        failure = AuthError("Authentication required")
        for requirement in operation.security:
            try:
                return self._satisfy(requirement, request, now, known or {})
            except AuthError as error:
                failure = error
        raise failure

    def _satisfy(self, requirement: dict[str, list[str]], request: Request, now: float,
                 known: dict[str, dict[str, Any] | None]) -> str:
        identity = ""
        for scheme_name in requirement:
            scheme = self.contract.security_schemes[scheme_name]
            token = _bearer_token(request)
            if scheme["type"] == "oauth2":
                identity = self._check_issued(token, now, known)
            elif scheme["type"] == "http" and scheme.get("scheme", "").lower() == "bearer":
                identity = self._check_key(token)
            else:
                raise AuthError(f"Unsupported security scheme {scheme_name!r}")
        return identity

    def _check_issued(self, token: str, now: float, known: dict[str, dict[str, Any] | None]
                      ) -> str:
        stored = known[token] if token in known else self._store.get(keys.TOKENS, token)
        if stored is None or stored["vendor"] != self.contract.vendor:
            raise AuthError("Invalid or unknown bearer token")
        issued = self._issued(token, stored)
        if now >= issued.expires_at:
            raise AuthError("The access token has expired; request a new one")
        return issued.identity

    def _issued(self, token: str, stored: dict[str, Any]) -> IssuedToken:
        remembered = self._validated.get(token)
        if remembered is not None and remembered[0] == stored:
            return remembered[1]
        issued = IssuedToken.model_validate(stored)
        if len(self._validated) >= _VALIDATED_TOKENS:
            self._validated.clear()
        self._validated[token] = (stored, issued)
        return issued

    def _check_key(self, token: str) -> str:
        if not any(_same(token, key) for key in self.credentials.keys):
            raise AuthError("Invalid or unknown bearer token")
        return f"key:{token}"

    def issue_token(self, client_id: str, client_secret: str) -> tuple[str, float]:
        """Exchange client credentials for a new token; returns it and its lifetime."""
        expected = self.credentials.clients.get(client_id)
        if expected is None or not _same(expected, client_secret):
            raise AuthError("Client authentication failed: unknown client_id or wrong secret")
        endpoint = self.contract.token_endpoint
        lifetime = endpoint.lifetime_seconds if endpoint else DEFAULT_TOKEN_LIFETIME
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        record = IssuedToken(vendor=self.contract.vendor, identity=f"client:{client_id}",
                             issued_at=now, expires_at=now + lifetime)
        self._store.put(keys.TOKENS, token, record.model_dump())
        return token, lifetime


def presented_token(request: Request) -> str | None:
    """The bearer token a request carries, if it carries a well-formed one."""
    try:
        return _bearer_token(request)
    except AuthError:
        return None


def credentials_problem(operation: Operation, request: Request) -> str | None:
    """Why a secured operation's request carries no credentials of the form its schemes ask
    for (whether they are valid is for the server that issued them to say); None if it does."""
    if not operation.secured:
        return None
    try:
        _bearer_token(request)
    except MalformedCredentials as error:
        return str(error)
    return None


def _bearer_token(request: Request) -> str:
    header = request.environ.get("HTTP_AUTHORIZATION")  # what `headers.get` reads, directly
    if not header:
        raise MalformedCredentials("Missing credentials: send 'Authorization: Bearer <token>'")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
        raise MalformedCredentials("Malformed Authorization header: expected 'Bearer <token>'")
    return token.strip()


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes non-ASCII text (compared as UTF-8 bytes)."""
    return secrets.compare_digest(given.encode(), expected.encode())
