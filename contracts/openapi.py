"""Facts about an OpenAPI document, computed here once for the mock and the suite alike."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from contracts.extensions import Lifecycle

__all__ = [
    "DEFAULT_TOKEN_LIFETIME",
    "METHODS",
    "TokenEndpoint",
    "is_below",
    "link_parameters",
    "operations",
    "token_endpoint",
]

METHODS = ("get", "put", "post", "delete", "patch")
"""The HTTP methods the contracts describe operations for, in OpenAPI's lower case."""

DEFAULT_TOKEN_LIFETIME = 3600.0
"""Seconds an access token lives when the scheme does not say (`x-token-lifetime-seconds`)."""


class TokenEndpoint(BaseModel):
    """An OAuth2 client-credentials token endpoint, as its security scheme declares it."""

    scheme: str
    """The security scheme's name in `components.securitySchemes`."""
    path: str
    """The token URL's path, where the contract also documents it as an operation."""
    declared_lifetime: float | None = None
    """`x-token-lifetime-seconds`, where the scheme declares it."""

    @property
    def lifetime_seconds(self) -> float:
        """How long a token lives: as declared, else the default."""
        return self.declared_lifetime if self.declared_lifetime is not None \
            else DEFAULT_TOKEN_LIFETIME


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every operation as (method, path, operation object), in document order."""
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def token_endpoint(document: dict[str, Any]) -> TokenEndpoint | None:
    """The first OAuth2 client-credentials scheme's token endpoint; None if there is none."""
    schemes = document.get("components", {}).get("securitySchemes", {})
    for name, scheme in schemes.items():
        if scheme.get("type") != "oauth2":
            continue
        flow = scheme.get("flows", {}).get("clientCredentials")
        if flow:
            lifetime = scheme.get("x-token-lifetime-seconds")
            return TokenEndpoint(scheme=name, path=urlsplit(flow["tokenUrl"]).path,
                                 declared_lifetime=None if lifetime is None else float(lifetime))
    return None


def is_below(path: str, item_path: str) -> bool:
    """Whether an operation's path addresses something below an item (`/workflows/{id}/run`
    below `/workflows/{id}`), so that the item must exist first."""
    return path.startswith(item_path.rstrip("/") + "/")


def link_parameters(document: dict[str, Any], lifecycle: Lifecycle) -> dict[str, str]:
    """The poll operation's parameters as the create operation's link fills them: parameter name
    -> runtime expression (`$request.path.x`, `$response.body#/id`)."""
    for _, _, operation in operations(document):
        if operation.get("operationId") != lifecycle.create:
            continue
        for response in operation.get("responses", {}).values():
            if lifecycle.link in response.get("links", {}):
                return dict(response["links"][lifecycle.link].get("parameters", {}))
    raise LookupError(f"no link {lifecycle.link!r} on {lifecycle.create}")
