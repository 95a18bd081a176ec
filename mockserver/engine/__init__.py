"""The contract-driven engine: compiled contracts and the request pipeline through them.

Rule: imports `contracts`, `mockserver.config` and `mockserver.storage` only; no Flask, no
handlers, no vendor modules, no web layer. Route, faults, `Prefer`, auth, validation, handler,
strict response check and journal are all here; what a handler does is in `handlers/`.
"""

from __future__ import annotations

from mockserver.engine.behaviour import Behaviour
from mockserver.engine.call import ApiError, Call, Handler, Reply, VendorContext
from mockserver.engine.contract import Contract, Operation
from mockserver.engine.journal import JournalEntry
from mockserver.engine.lifecycle import Run
from mockserver.engine.pipeline import VendorPipeline
from mockserver.engine.scenarios import Scenario
from mockserver.engine.strict import ResponseContractError

__all__ = [
    "ApiError",
    "Behaviour",
    "Call",
    "Contract",
    "Handler",
    "JournalEntry",
    "Operation",
    "Reply",
    "ResponseContractError",
    "Run",
    "Scenario",
    "VendorContext",
    "VendorPipeline",
]
