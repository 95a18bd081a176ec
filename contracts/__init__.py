"""The vendors' OpenAPI contracts, shipped as YAML beside this module.

Rule: imports nothing of the project; `mockserver` and `conformance` both read vendors only
through this package.

    >>> import contracts
    >>> contracts.available()
    ['flowflow', 'further', 'futurity', 'phinite']
    >>> contracts.load("further")["info"]["title"]
    'Further AI Workflow Execution API'
"""

from __future__ import annotations

from contracts.extensions import ContractError, ErrorFormat, Extensions, Lifecycle, Resource
from contracts.lint import Problem, check, lint
from contracts.loading import available, extensions, lifecycles, load, path, resolve_refs, shipped
from contracts.openapi import (
    DEFAULT_TOKEN_LIFETIME,
    METHODS,
    TokenEndpoint,
    is_below,
    link_parameters,
    operations,
    token_endpoint,
)

__all__ = [
    "DEFAULT_TOKEN_LIFETIME",
    "METHODS",
    "ContractError",
    "ErrorFormat",
    "Extensions",
    "Lifecycle",
    "Problem",
    "Resource",
    "TokenEndpoint",
    "available",
    "check",
    "extensions",
    "is_below",
    "lifecycles",
    "link_parameters",
    "lint",
    "load",
    "operations",
    "path",
    "resolve_refs",
    "shipped",
    "token_endpoint",
]
