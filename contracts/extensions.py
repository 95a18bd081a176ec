"""Typed views of the contracts' `x-` extensions (see EXTENSIONS.md).

The mock server and the conformance suite read a vendor's behaviour only through these models, so a
contract whose extensions do not parse is rejected here rather than misread later.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "ContractError",
    "Echo",
    "ErrorFormat",
    "Extensions",
    "FieldRule",
    "Filter",
    "Lifecycle",
    "Pagination",
    "Parent",
    "Pointers",
    "Resource",
    "ResourceId",
    "Resources",
    "Timestamps",
    "ValidationStyle",
    "Vendor",
]


class _Extension(BaseModel):
    # Traceability keys (x-source, x-assumption) may sit on any extension object.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    x_source: Any = Field(default=None, alias="x-source")
    x_assumption: str | None = Field(default=None, alias="x-assumption")


class Vendor(_Extension):
    """Who the contract describes (`x-vendor`): the id the mock serves it under."""

    id: str
    name: str
    sources: list[str]


class ValidationStyle(_Extension):
    """How the vendor reports a request that breaks its schema."""

    status: int = 400
    style: Literal["message", "fastapi"] = "message"


class ErrorFormat(_Extension):
    """The vendor's error body (`x-error-format`), filled in for every error the mock sends."""

    body: Any
    codes: dict[str, str] = Field(default_factory=dict)
    messages: dict[str, str] = Field(
        default_factory=dict, description="A status whose message the vendor never varies."
    )
    validation: ValidationStyle = Field(default_factory=ValidationStyle)

    def code_for(self, status: int) -> str:
        return self.codes.get(str(status), self.codes.get("default", ""))


class Pointers(_Extension):
    """Where a value sits in the create and in the poll response bodies (JSON pointers)."""

    create: str
    poll: str


class FieldRule(_Extension):
    """Fields a run's body must not carry in one state (e.g. no `steps` while running)."""

    present: list[str] = Field(default_factory=list)
    absent: list[str] = Field(default_factory=list)


class Echo(_Extension):
    """A request value the poll body repeats, and where."""

    request: str
    response: str
    default: Any = Field(None, description="What the response repeats when the request had "
                         "no value; without one the response leaves the field out.")

    @property
    def has_default(self) -> bool:
        return "default" in self.model_fields_set

    @property
    def expression(self) -> str:
        """The request value as an OpenAPI runtime expression (a bare pointer is into the body)."""
        return self.request if self.request.startswith("$") else f"$request.body#{self.request}"


class Lifecycle(_Extension):
    """A long-running resource: how it is created, polled, and which states it may pass through."""

    resource: str = ""
    description: str = ""
    create: str
    poll: str
    link: str
    synchronous: list[str] = Field(default_factory=list)
    id: Pointers
    status: Pointers
    states: list[str]
    initial: str
    terminal: list[str]
    success: str
    failure: str
    transitions: dict[str, list[str]]
    fields: dict[str, FieldRule] = Field(default_factory=dict)
    echo: list[Echo] = Field(default_factory=list)
    max_seconds: float | None = None

    @model_validator(mode="after")
    def _states_are_declared(self) -> Lifecycle:
        declared = set(self.states)
        named = {self.initial, self.success, self.failure, *self.terminal, *self.fields}
        for source, targets in self.transitions.items():
            named.add(source)
            named.update(targets)
        unknown = named - declared
        if unknown:
            raise ValueError(f"lifecycle names undeclared states: {sorted(unknown)}")
        if self.initial in self.terminal:
            raise ValueError("the initial state cannot be terminal")
        if not {self.success, self.failure} <= set(self.terminal):
            raise ValueError("success and failure must be terminal states")
        for state in self.terminal:
            if self.transitions.get(state):
                raise ValueError(f"terminal state {state!r} has outgoing transitions")
        return self

    def successors(self, state: str) -> list[str]:
        return self.transitions.get(state, [])

    def can_move(self, before: str, after: str) -> bool:
        return before == after or after in self.successors(before)

    def unreachable_from_terminal(self) -> list[str]:
        """States from which no terminal state can be reached (should be empty)."""
        stuck = []
        for start in self.states:
            seen, frontier = {start}, [start]
            while frontier:
                for nxt in self.successors(frontier.pop()):
                    if nxt not in seen:
                        seen.add(nxt)
                        frontier.append(nxt)
            if not seen & set(self.terminal):
                stuck.append(start)
        return stuck


class ResourceId(_Extension):
    """How a resource's id is made and where requests carry it."""

    field: str = "id"
    prefix: str = ""
    parameter: str | None = Field(None, description="Path parameter naming one resource.")


class Timestamps(_Extension):
    """The fields a record's creation and last update are stamped into."""

    created: str | None = None
    updated: str | None = None


class Filter(_Extension):
    """A list's query parameter: `equals` a field, `contains` it (case-insensitive), or — for a
    boolean "include X" parameter — `include` records whose field is true only when asked."""

    field: str
    match: Literal["equals", "contains", "include"] = "equals"


class Parent(_Extension):
    """A resource stored inside another's record (a chat's messages)."""

    resource: str
    field: str = Field(description="The parent's list field that holds these resources.")


class Resource(_Extension):
    """A stored resource and the operations that act on it."""

    name: str = ""
    envelope: str = Field("", description="JSON pointer to the resource in a response body.")
    create: str | None = None
    read: str | None = None
    list: str | None = None
    update: str | None = None
    delete: str | None = None
    id: ResourceId = Field(default_factory=ResourceId)
    timestamps: Timestamps = Field(default_factory=Timestamps)
    defaults: dict[str, Any] = Field(default_factory=dict)
    derived: dict[str, str] = Field(
        default_factory=dict, description="field -> JSON pointer into the resource it copies."
    )
    filters: dict[str, Filter] = Field(default_factory=dict)
    parent: Parent | None = None

    def operations(self) -> dict[str, str]:
        """role -> operationId, for the roles this resource has."""
        roles = ("create", "read", "list", "update", "delete")
        return {role: getattr(self, role) for role in roles if getattr(self, role)}


class Pagination(_Extension):
    """Offset paging as the vendor names it: query parameters and the page block."""

    limit: str = "limit"
    offset: str = "offset"
    block: str = Field(description="JSON pointer to the pagination block in a list body.")
    fields: dict[Literal["total", "limit", "offset", "has_more"], str]


class Resources(_Extension):
    """Everything `x-resources` declares: the stored resources and how lists page."""

    description: str = ""
    pagination: Pagination | None = None
    items: dict[str, Resource] = Field(default_factory=dict)


class Extensions(BaseModel):
    """All of one contract's extensions."""

    vendor: Vendor
    error_format: ErrorFormat
    lifecycles: dict[str, Lifecycle]
    resources: Resources = Field(default_factory=Resources)

    @classmethod
    def from_document(cls, document: Any) -> Extensions:
        """The extensions of a parsed contract; `ContractError` says what is missing or wrong
        and what it should look like."""
        if not isinstance(document, dict):
            raise ContractError("it is not an OpenAPI document (a YAML mapping at the top level)")
        for key in ("x-vendor", "x-error-format"):
            if key not in document:
                raise ContractError(f"the extension `{key}` is missing; {_SHAPES[key]}")
        key, where = "x-lifecycles", "x-lifecycles"
        try:
            lifecycles = {}
            for name, body in _mapping(document.get(key, {})).items():
                where = f"x-lifecycles.{name}"
                lifecycles[name] = Lifecycle.model_validate({**_mapping(body), "resource": name})
            key = where = "x-resources"
            resources = Resources.model_validate(_mapping(document.get(key, {})))
            for name, resource in resources.items.items():
                resource.name = name
            key = where = "x-vendor"
            vendor = Vendor.model_validate(document[key])
            key = where = "x-error-format"
            error_format = ErrorFormat.model_validate(document[key])
        except (ValidationError, TypeError) as error:
            raise ContractError(f"`{where}` is invalid: {_problems(error)}; {_SHAPES[key]}") \
                from None
        _check_references(document, lifecycles, resources)
        return cls(vendor=vendor, error_format=error_format, lifecycles=lifecycles,
                   resources=resources)


class ContractError(ValueError):
    """A contract the mock and the suite cannot use: what is missing or wrong, and the shape it
    should have (contracts/EXTENSIONS.md describes every extension)."""


_SHAPES = {
    "x-vendor": "it names the vendor, e.g. `x-vendor: {id: acme, name: Acme, sources: []}`",
    "x-error-format": "it describes the vendor's error body, e.g. `x-error-format: {body: "
                      "{message: \"{message}\"}, validation: {status: 400, style: message}}`",
    "x-lifecycles": "each entry is a long-running resource: `create`, `poll`, `link`, `id`, "
                    "`status`, `states`, `initial`, `terminal`, `success`, `failure`, "
                    "`transitions`",
    "x-resources": "`items` maps each stored resource to its operations (`create`, `read`, "
                   "`list`, `update`, `delete`) and its `id: {field, prefix, parameter}`",
}


def _check_references(document: dict[str, Any], lifecycles: dict[str, Lifecycle],
                      resources: Resources) -> None:
    """The OpenAPI parts the extensions stand on: a server URL, and the operations they name."""
    servers = document.get("servers")
    if not (isinstance(servers, list) and servers and isinstance(servers[0], dict)
            and isinstance(servers[0].get("url"), str)):
        raise ContractError("`servers` is missing: the mock serves the vendor below the first "
                            "server's path, e.g. `servers: [{url: https://api.acme.com/v1}]`")
    paths = document.get("paths")
    if not isinstance(paths, dict):
        raise ContractError("`paths` is missing: the vendor's operations, e.g. `paths: {/runs: "
                            "{post: {operationId: createRun, responses: {...}}}}`")
    defined = {operation.get("operationId") for item in paths.values() if isinstance(item, dict)
               for operation in item.values() if isinstance(operation, dict)}
    named = [(f"x-lifecycles.{name}.{role}", operation_id)
             for name, lifecycle in lifecycles.items()
             for role, operation_id in [("create", lifecycle.create), ("poll", lifecycle.poll),
                                        *(("synchronous", op) for op in lifecycle.synchronous)]]
    named += [(f"x-resources.items.{name}.{role}", operation_id)
              for name, resource in resources.items.items()
              for role, operation_id in resource.operations().items()]
    for where, operation_id in named:
        if operation_id not in defined:
            raise ContractError(f"`{where}` names the operation {operation_id!r}, which no path "
                                "of the contract defines: it should be an `operationId` under "
                                "`paths`")


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a mapping, got {type(value).__name__}")
    return value


def _problems(error: Exception) -> str:
    if not isinstance(error, ValidationError):
        return str(error)
    return "; ".join(f"{'.'.join(str(part) for part in e['loc']) or '(itself)'}: {e['msg']}"
                     for e in error.errors())
