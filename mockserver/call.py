"""What a handler receives and returns: one parsed, authenticated request, and its answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from mockserver.contract import Operation
from mockserver.scenarios import Preferences
from mockserver.validation import Inputs, Violation

if TYPE_CHECKING:
    from mockserver.engine import VendorRuntime
    from mockserver.mock import Mock


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
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    raw: bytes | None = None


@dataclass
class Call:
    """One request to one operation, parsed and authenticated: what a handler works with."""

    vendor: VendorRuntime
    operation: Operation
    inputs: Inputs
    identity: str | None
    prefer: Preferences
    now: float
    request: Request
    prefix: str

    @property
    def root_url(self) -> str:
        """The server as this client reaches it: scheme and host."""
        return f"{self.request.scheme}://{self.request.host}"

    @property
    def base_url(self) -> str:
        """The vendor's base URL as this client reaches it: its documented paths go below."""
        return self.root_url + self.prefix

    @property
    def mock(self) -> Mock:
        return self.vendor.mock


Handler = Callable[[Call], Reply]
