"""A contract compiled for serving: routes, parameters, bodies and responses with their validators.

Everything the engine knows about an operation comes from here, so the mock cannot drift from
the OpenAPI document it was built from.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
from pydantic_core import from_json, to_json
from werkzeug.routing import Map, Rule

import contracts
from contracts import pointers
from contracts.extensions import ErrorFormat, Extensions, Lifecycle

__all__ = ["Contract", "MediaType", "Operation", "Parameter", "Response", "compile_schema"]

_PLAIN = (str, int, type(None))
"""Values that are their own example key (bool with int: the key holds the type too)."""

def compile_schema(schema: dict[str, Any]) -> Any:
    """A compiled JSON Schema validator (jsonschema-rs: fast enough for every poll)."""
    return jsonschema_rs.Draft202012Validator(schema)


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query, header
    required: bool
    schema: dict[str, Any]
    validator: Any


@dataclass(frozen=True)
class MediaType:
    name: str
    schema: dict[str, Any]
    validator: Any
    examples: dict[str, Any]
    encoding: dict[str, Any]


@dataclass(frozen=True)
class Response:
    status: str
    media: dict[str, MediaType]
    headers: dict[str, Any]
    links: dict[str, Any]


@dataclass
class Operation:
    id: str
    method: str
    path: str
    parameters: list[Parameter]
    body_required: bool
    body: dict[str, MediaType]
    responses: dict[str, Response]
    security: list[dict[str, list[str]]]
    error_format: ErrorFormat
    lifecycle_roles: list[tuple[str, Lifecycle]] = field(default_factory=list)
    _success: int | None = field(default=None, repr=False)
    _examples: dict[tuple[int, str | None, type, Any], bytes] = field(
        default_factory=dict, repr=False)

    @property
    def secured(self) -> bool:
        return any(requirement for requirement in self.security)

    def declares(self, status: int) -> bool:
        return str(status) in self.responses or "default" in self.responses

    def success_status(self) -> int:
        if self._success is None:
            self._success = int(next(code for code in self.responses if code.startswith("2")))
        return self._success

    def response_for(self, status: int) -> Response | None:
        return self.responses.get(str(status)) or self.responses.get("default")

    def example(self, status: int, where: str | None = None, equals: Any = None) -> Any:
        """A copy of a named example of this status: the first whose value at `where` equals
        `equals` if asked, else the first one. None when the contract has none."""
        # a state name, mostly: the value itself (with its type: 1 and True are told apart),
        # JSON text for one that cannot be a key
        key = (status, where, type(equals), equals) if isinstance(equals, _PLAIN) else \
            (status, where, dict, json.dumps(equals))
        if key not in self._examples:
            self._examples[key] = to_json(self._pick_example(status, where, equals))
        return from_json(self._examples[key])

    def _pick_example(self, status: int, where: str | None, equals: Any) -> Any:
        response = self.response_for(status)
        media = response.media.get("application/json") if response else None
        if media is None or not media.examples:
            return None
        values = list(media.examples.values())
        if where is not None:
            matching = [v for v in values if pointers.get(v, where, None) == equals]
            values = matching or values
        return values[0]


class Contract:
    """One vendor's contract, ready to route and validate requests."""

    def __init__(self, name: str) -> None:
        self.name = name
        contracts.check(name)  # an author's mistake is named here, not met as a 500 later
        self.document = contracts.load(name)
        self.extensions = Extensions.from_document(contracts.load(name, resolve=False))
        self.server_url: str = self.document["servers"][0]["url"].rstrip("/")
        self.server_path: str = urlsplit(self.server_url).path.rstrip("/")
        self.security_schemes: dict[str, Any] = self.document.get("components", {}).get(
            "securitySchemes", {}
        )
        self.token_endpoint = contracts.token_endpoint(self.document)
        self.operations: dict[str, Operation] = {}
        rules = []
        for method, path, raw in contracts.operations(self.document):
            shared = self.document["paths"][path].get("parameters", [])
            operation = self._operation(path, method, raw, shared)
            self.operations[operation.id] = operation
            rules.append(Rule(_werkzeug_rule(path), endpoint=operation.id,
                              methods=[method.upper()]))
        self.url_map = Map(rules, strict_slashes=False, merge_slashes=False)
        for lifecycle in self.extensions.lifecycles.values():
            roles = [("create", lifecycle.create), ("poll", lifecycle.poll),
                     *(("synchronous", op) for op in lifecycle.synchronous)]
            if lifecycle.cancel is not None:
                roles.append(("cancel", lifecycle.cancel))
            if lifecycle.listing is not None:
                roles.append(("list", lifecycle.listing.operation))
            for role, operation_id in roles:
                self.operations[operation_id].lifecycle_roles.append((role, lifecycle))

    @property
    def vendor(self) -> str:
        return self.extensions.vendor.id

    def token_operation(self) -> Operation | None:
        """The operation documenting the OAuth2 token endpoint, if the contract has one."""
        if self.token_endpoint is None:
            return None
        return next((operation for operation in self.operations.values()
                     if operation.path == self.token_endpoint.path
                     and operation.method == "post"), None)

    def _operation(
        self, path: str, method: str, raw: dict[str, Any], shared: list[dict[str, Any]]
    ) -> Operation:
        declared = {(p["name"], p["in"]): p for p in [*shared, *raw.get("parameters", [])]}
        parameters = [
            Parameter(p["name"], p["in"], bool(p.get("required")), p.get("schema", {}),
                      compile_schema(p.get("schema", {})))
            for p in declared.values()
        ]
        body = raw.get("requestBody", {})
        responses = {
            status: Response(status, _media(spec.get("content", {})), spec.get("headers", {}),
                             spec.get("links", {}))
            for status, spec in raw.get("responses", {}).items()
        }
        override = raw.get("x-error-format")
        return Operation(
            id=raw["operationId"],
            method=method,
            path=path,
            parameters=parameters,
            body_required=bool(body.get("required")),
            body=_media(body.get("content", {})),
            responses=responses,
            security=raw.get("security", self.document.get("security", [])),
            error_format=ErrorFormat.model_validate(override) if override
            else self.extensions.error_format,
        )


def _media(content: dict[str, Any]) -> dict[str, MediaType]:
    return {
        name: MediaType(
            name=name,
            schema=spec.get("schema", {}),
            validator=compile_schema(spec.get("schema", {})),
            examples={key: example["value"] for key, example in spec.get("examples", {}).items()},
            encoding=spec.get("encoding", {}),
        )
        for name, spec in content.items()
    }


def _werkzeug_rule(path: str) -> str:
    return re.sub(r"{([^}]+)}", r"<\1>", path)
