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
from mockserver.engine.names import UnknownName
from mockserver.engine.results import ResultSlot
from mockserver.engine.strict import ContractBreach
from mockserver.engine.stubs import Stub
from mockserver.mock import Mock
from mockserver.testing import ContractViolation, Intercepted, LiveServer, MockHandle, intercept
from mockserver.testing.verify import VerificationError
from mockserver.testing.virtual_time import VirtualTimeout
from mockserver.web import create_app

__all__ = [
    "ApiError",
    "Behaviour",
    "Call",
    "ContractBreach",
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
    "ResultSlot",
    "Run",
    "Scenario",
    "Stub",
    "Timing",
    "UnknownName",
    "VerificationError",
    "VirtualTimeout",
    "create_app",
    "intercept",
]
