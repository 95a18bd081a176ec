"""Typed views of the contracts' `x-` extensions (see EXTENSIONS.md).

The mock server and the conformance suite read a vendor's behaviour only through these models, so a
contract whose extensions do not parse is rejected here rather than misread later.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)

__all__ = [
    "Accumulating",
    "ContractError",
    "CursorPaging",
    "DemoCredentials",
    "Echo",
    "ErrorFormat",
    "Extensions",
    "FieldRule",
    "Filter",
    "HandedOutUrl",
    "Lifecycle",
    "Pagination",
    "Parent",
    "Pointers",
    "Resource",
    "ResourceId",
    "Resources",
    "RunList",
    "RunTimestamps",
    "Subset",
    "Timestamps",
    "ValidationStyle",
    "Vendor",
    "WebhookSignature",
    "Webhooks",
]


class _Extension(BaseModel):
    # Traceability keys (x-source, x-assumption) may sit on any extension object.
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    x_source: Any = Field(default=None, alias="x-source")
    x_assumption: str | None = Field(default=None, alias="x-assumption")


class Vendor(_Extension):
    """Who the contract describes (`x-vendor`): the id the mock serves it under."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", description="Lower-case letters, digits, "
                    "`-` and `_`: the vendor's name in URLs (`/<id>/...`) and in the control API.")
    name: str
    sources: list[str] = Field(default_factory=list)


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


class Pagination(_Extension):
    """Offset paging as the vendor names it: query parameters and the page block."""

    style: Literal["offset"] = "offset"
    limit: str = "limit"
    offset: str = "offset"
    block: str = Field(description="JSON pointer to the pagination block in a list body.")
    fields: dict[Literal["total", "limit", "offset", "has_more"], str]


class CursorPaging(_Extension):
    """Cursor paging: each page links the next and previous pages by URL, the position being
    an opaque query parameter (`?cursor=...`)."""

    style: Literal["cursor"]
    cursor: str = Field("cursor", description="The query parameter that carries the position.")
    limit: str | None = Field(None, description="The page-size query parameter, if any.")
    page_size: int = Field(100, ge=1, description="Items per page when no limit is sent.")
    next: str = Field("/next", description="JSON pointer to the next page's URL (null at the end).")
    previous: str = Field("/previous", description="JSON pointer to the previous page's URL.")


def _paging_style(value: Any) -> str:
    """Offset paging is the default: contracts written before cursors name no style."""
    if isinstance(value, dict):
        return str(value.get("style", "offset"))
    return str(getattr(value, "style", "offset"))


Paging = Annotated[Annotated[Pagination, Tag("offset")] | Annotated[CursorPaging, Tag("cursor")],
                   Discriminator(_paging_style)]


class RunList(_Extension):
    """An operation that lists a lifecycle's runs, newest first."""

    operation: str
    items: str = Field(description="JSON pointer to the array of runs in the list body.")
    paging: Paging | None = None


class RunTimestamps(_Extension):
    """JSON pointers to a run's timestamps in its bodies, stamped from the mock's clock."""

    created: str | None = None
    started: str | None = Field(None, description="When it left its initial state (else null).")
    finished: str | None = Field(None, description="When it reached a terminal state (else null).")


class WebhookSignature(_Extension):
    """How a delivery is signed: `<header>: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""

    header: str = "Webhook-Signature"
    scheme: Literal["hmac-sha256"] = "hmac-sha256"


class Webhooks(_Extension):
    """Which of a lifecycle's states notify: entering a state sends the webhook (a name under
    the contract's top-level `webhooks`) whose body is the run's poll body."""

    when: dict[str, str] = Field(description="state -> webhook name, sent when a run enters it.")
    signature: WebhookSignature = Field(default_factory=WebhookSignature)
    id_header: str = Field("Webhook-Id", description="The delivery id, the same on retries.")
    event_header: str = Field("Webhook-Event", description="The webhook's name.")
    subscribe: str | None = Field(
        None, description="operationId of the vendor's own subscription operation, if it "
        "documents one; else subscriptions are made through the mock's control API.")
    callback: str | None = Field(
        None, description="JSON pointer into the create request's body to a URL that gets "
        "this run's webhooks too (e.g. `/webhook`), where the API documents one.")


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
    timestamps: RunTimestamps = Field(default_factory=RunTimestamps)
    urls: dict[str, str] = Field(
        default_factory=dict, description="JSON pointer -> URL template (`{base_url}`, `{id}`): "
        "links in a run's bodies that the client follows, pointing back at the server.")
    cancel: str | None = Field(None, description="operationId that cancels a live run.")
    cancelled: str | None = Field(None, description="The terminal state a cancelled run is in.")
    conflict: int = Field(409, description="The status cancelling a terminal run answers.")
    listing: RunList | None = Field(None, alias="list", description="The runs' list operation.")
    webhooks: Webhooks | None = Field(None, description="The webhooks its runs send.")

    @model_validator(mode="after")
    def _states_are_declared(self) -> Lifecycle:
        declared = set(self.states)
        named = {self.initial, self.success, self.failure, *self.terminal, *self.fields}
        if self.cancelled is not None:
            named.add(self.cancelled)
        if self.webhooks is not None:
            named.update(self.webhooks.when)
        for source, targets in self.transitions.items():
            named.add(source)
            named.update(targets)
        unknown = named - declared
        if unknown:
            raise ValueError(f"lifecycle names undeclared states: {sorted(unknown)}; "
                             f"its states are {self.states}")
        if self.initial in self.terminal:
            raise ValueError("the initial state cannot be terminal")
        if not {self.success, self.failure} <= set(self.terminal):
            raise ValueError("success and failure must be terminal states")
        for state in self.terminal:
            if self.transitions.get(state):
                raise ValueError(f"terminal state {state!r} has outgoing transitions")
        if (self.cancel is None) != (self.cancelled is None):
            raise ValueError("cancel and cancelled go together: the operation and its state")
        if self.cancelled is not None and self.cancelled not in self.terminal:
            raise ValueError(f"cancelled state {self.cancelled!r} must be terminal")
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




class Resources(_Extension):
    """Everything `x-resources` declares: the stored resources and how lists page."""

    description: str = ""
    pagination: Paging | None = None
    items: dict[str, Resource] = Field(default_factory=dict)


class DemoCredentials(_Extension):
    """Credentials anyone may use against a mock of this contract (`x-demo-credentials`), shown
    in its banner and docs; a configuration's own credentials replace them."""

    clients: dict[str, str] = Field(default_factory=dict, description="client_id -> secret")
    keys: list[str] = Field(default_factory=list, description="Static bearer tokens / API keys.")


class Accumulating(_Extension):
    """`x-accumulating` on an array schema: the list only grows between two reads of a record
    (`true`, or this object's form)."""

    key: str | None = Field(None, description="The property naming an element: elements may "
                            "change, but none is lost or reordered. Without it, elements never "
                            "change and new ones only come after them.")
    fixed: list[str] = Field(default_factory=list, description="With `key`: properties an "
                             "element keeps once it shows them.")

    @classmethod
    def of(cls, marker: Any) -> Accumulating:
        """The rule a schema's `x-accumulating` value states."""
        return cls() if marker is True else cls.model_validate(marker)


class Subset(_Extension):
    """One `x-subsets` entry on an object schema: every element of one of its lists is also in
    another."""

    items: str = Field(description="The property holding the list that is contained.")
    of: str = Field(description="The property holding the list that contains it.")
    by: str | None = Field(None, description="The property elements are matched by; without "
                           "it, whole elements.")

    @classmethod
    def all_of(cls, value: Any) -> list[Subset]:
        """The rules a schema's `x-subsets` value states (none where it has none)."""
        return [cls.model_validate(entry) for entry in value or []]


class HandedOutUrl(_Extension):
    """One `x-hypermedia` entry: a URL an operation's success body hands out for the client to
    follow, and what it must address."""

    handed_out_by: str = Field(alias="in", description="The operation whose body holds the URL.")
    url: str = Field(pattern="^/", description="JSON pointer to the URL in that body.")
    follow: str | None = Field(None, description="The operation the URL addresses (followed with "
                               "credentials); without it the URL is followed bare, as a signed "
                               "download is.")
    same: dict[str, str] = Field(default_factory=dict, description="A value in the handing-out "
                                 "body (pointer) or a runtime expression -> the pointer in the "
                                 "followed body that must hold the same value.")
    content: str | None = Field(None, pattern="^/", description="A body field of the request "
                                "creating the parent resource whose bytes the URL must serve.")


class Extensions(BaseModel):
    """All of one contract's extensions."""

    vendor: Vendor
    error_format: ErrorFormat
    lifecycles: dict[str, Lifecycle]
    resources: Resources = Field(default_factory=Resources)
    demo_credentials: DemoCredentials | None = None
    hypermedia: list[HandedOutUrl] = Field(default_factory=list)

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
            key = where = "x-demo-credentials"
            demo = DemoCredentials.model_validate(document[key]) if key in document else None
            key = where = "x-hypermedia"
            hypermedia = [HandedOutUrl.model_validate(_mapping(entry))
                          for entry in _sequence(document.get(key, []))]
        except (ValidationError, TypeError) as error:
            raise ContractError(f"`{where}` is invalid: {_problems(error)}; {_SHAPES[key]}") \
                from None
        return cls(vendor=vendor, error_format=error_format, lifecycles=lifecycles,
                   resources=resources, demo_credentials=demo, hypermedia=hypermedia)


class ContractError(ValueError):
    """A contract the mock and the suite cannot use: what is missing or wrong, and the shape it
    should have (contracts/EXTENSIONS.md describes every extension); `problems` lists each one
    with its place when `contracts.lint` found them."""

    def __init__(self, message: str, problems: list[Any] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


_SHAPES = {
    "x-vendor": "it names the vendor, e.g. `x-vendor: {id: acme, name: Acme, sources: []}`",
    "x-error-format": "it describes the vendor's error body, e.g. `x-error-format: {body: "
                      "{message: \"{message}\"}, validation: {status: 400, style: message}}`",
    "x-lifecycles": "each entry is a long-running resource: `create`, `poll`, `link`, `id`, "
                    "`status`, `states`, `initial`, `terminal`, `success`, `failure`, "
                    "`transitions`",
    "x-demo-credentials": "`x-demo-credentials: {keys: [a-token], clients: {id: secret}}`",
    "x-hypermedia": "a list of handed-out URLs: `- {in: <operationId>, url: <pointer>, follow: "
                    "<operationId>}` (contracts/EXTENSIONS.md)",
    "x-resources": "`items` maps each stored resource to its operations (`create`, `read`, "
                   "`list`, `update`, `delete`) and its `id: {field, prefix, parameter}`",
}


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a mapping, got {type(value).__name__}")
    return value


def _sequence(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _problems(error: Exception) -> str:
    if not isinstance(error, ValidationError):
        return str(error)
    return "; ".join(f"{'.'.join(str(part) for part in e['loc']) or '(itself)'}: {e['msg']}"
                     for e in error.errors())
