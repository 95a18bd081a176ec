"""What a handler receives and returns: one parsed, authenticated request, and its answer.

A handler sees its vendor only through `VendorContext`: the contract, settings, store, clock,
auth and scenario queue. It never sees the pipeline or the whole mock, so handlers and vendor
modules depend on the engine and never the other way round.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

if TYPE_CHECKING:
    from mockserver.engine.results import OwnResults

from contracts.extensions import Lifecycle
from mockserver.config import Timing
from mockserver.engine.auth import Authenticator
from mockserver.engine.clock import Clock
from mockserver.engine.contract import Contract, Operation
from mockserver.engine.deliveries import WebhookQueue
from mockserver.engine.lifecycle import Run
from mockserver.engine.preferences import Preferences
from mockserver.engine.scenarios import ScenarioQueue
from mockserver.engine.validation import Inputs, Violation
from mockserver.storage import Store, Value

__all__ = ["ApiError", "Call", "Handler", "Key", "Prefetching", "Reply", "StartHook",
           "VendorContext", "ViewHook"]


class ApiError(Exception):
    """Answer with an error in the vendor's format."""

    def __init__(self, status: int, message: str, violations: Sequence[Violation] = (),
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.violations = list(violations)
        self.headers = headers or {}


@dataclass
class Reply:
    """A handler's answer before it is checked and encoded: a JSON `body` or `raw` bytes."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    raw: bytes | None = None
    run: str | None = None
    """The run this reply created or read: the journal names it, linking a run to its requests."""
    encoded: bytes | None = None
    """The body's JSON, when the handler already has it (a remembered view)."""
    breaks_contract: bool = False
    """A test asked for this contract-breaking answer: the strict check journals its problems
    instead of refusing it."""


StartHook = Callable[["Call", Run, random.Random], dict[str, Any]]
"""Called when a run is created; returns vendor data stored with the run."""
ViewHook = Callable[["Call", Lifecycle, Run, Any], Any]
"""Called with a run's response body (create or poll); returns the body to send. The poll view
of an ended run must depend on the run and the base URL only, not the clock: it is built once
per worker (`handlers/ended.py`)."""


@dataclass(frozen=True)
class VendorContext:
    """What a handler may use of its vendor; one per vendor, shared by all its requests."""

    name: str
    contract: Contract
    settings: Any
    """The vendor module's parsed `vendor_settings` (None without a `configure` hook)."""
    store: Store
    clock: Clock
    auth: Authenticator
    scenarios: ScenarioQueue
    seed: int
    timing: Timing
    start: StartHook | None = None
    view: ViewHook | None = None
    results: OwnResults | None = None
    """What the config or a test says this vendor's runs return (None: no result slots)."""
    webhooks: WebhookQueue | None = None
    """Where the webhooks its lifecycles send are queued (None: a mock that sends none)."""


@dataclass
class Call:
    """One request to one operation, parsed and authenticated: what a handler works with."""

    vendor: VendorContext
    operation: Operation
    inputs: Inputs
    identity: str | None
    prefer: Preferences
    now: float
    request: Request
    prefix: str
    prefetched: dict[Key, Value | None] = field(default_factory=dict)
    """Values the pipeline read with the clock, fault rules and token (see `Prefetching`)."""

    def read(self, kind: str, key: str) -> Value | None:
        """A stored value: the prefetched one, read earlier in this request, else the store's.

        A prefetched value serves one read, so a second read sees this request's own writes;
        it may be as old as the request, so a change to it still goes through `Store.update`.
        """
        if (kind, key) in self.prefetched:
            return self.prefetched.pop((kind, key))
        return self.vendor.store.get(kind, key)

    @property
    def root_url(self) -> str:
        """The server as this client reaches it: scheme and host."""
        return f"{self.request.scheme}://{self.request.host}"

    @property
    def base_url(self) -> str:
        """The vendor's base URL as this client reaches it: its documented paths go below."""
        return self.root_url + self.prefix


Handler = Callable[[Call], Reply]
Key = tuple[str, str]
"""A store value's (kind, key)."""


@dataclass(frozen=True)
class Prefetching:
    """A handler that names the store values it will read for a request's path parameters.

    The pipeline reads them with what every request needs, in one `get_many`: on Redis one
    round trip instead of two. The handler reads them through `Call.read`.
    """

    handler: Handler
    keys: Callable[[dict[str, str], VendorContext], list[Key]]
    """(path parameters as routed, the vendor) -> the (kind, key)s the handler will read."""

    def __call__(self, call: Call) -> Reply:
        return self.handler(call)
