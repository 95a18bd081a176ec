"""A stateful mock of AI-workflow execution APIs, driven by their OpenAPI contracts.

Layers, each importing only those before it: `config` and `storage` → `engine` → `handlers`
→ `vendors` → `mock` → `web` → `testing` → `cli`. The names below are the public API; anything
else may change between releases.
"""

from __future__ import annotations

from mockserver.config import Credentials, Faults, MockConfig, Timing
from mockserver.engine import (
    ApiError,
    Behaviour,
    Call,
    JournalEntry,
    Reply,
    ResponseContractError,
    Run,
    Scenario,
)
from mockserver.engine.faults import FaultRule
from mockserver.mock import Mock
from mockserver.testing import ContractViolation, Intercepted, LiveServer, MockHandle, intercept
from mockserver.web import create_app

__all__ = [
    "ApiError",
    "Behaviour",
    "Call",
    "ContractViolation",
    "Credentials",
    "FaultRule",
    "Faults",
    "Intercepted",
    "JournalEntry",
    "LiveServer",
    "Mock",
    "MockConfig",
    "MockHandle",
    "Reply",
    "ResponseContractError",
    "Run",
    "Scenario",
    "Timing",
    "create_app",
    "intercept",
]
