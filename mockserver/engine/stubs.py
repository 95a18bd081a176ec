"""One-off answers: "the next call of this operation gets this status and body", for any vendor.

A stub is checked against the operation's declared responses when it is set (a status it does
not declare, or a body its schema refuses, is a `ContractBreach`) unless the test allows a
contract-breaking answer. Stubs live in the store, so a stub set through one worker answers on
another; the engine serves one after the request passed auth and validation, before the
handler, and counts it atomically.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mockserver.engine.call import Reply
from mockserver.engine.contract import Operation
from mockserver.engine.strict import ContractBreach, response_problems
from mockserver.storage import Store, keys

__all__ = ["Stub", "StubBook"]


class Stub(BaseModel):
    """The next `times` matching requests get `status` and `body` (and `headers`)."""

    operation: str
    vendor: str | None = None
    status: int = Field(ge=100, le=599)
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    times: int = Field(1, ge=1)
    allow_violation: bool = Field(False, description="Serve it even if it breaks the contract.")
    served: int = 0

    def reply(self) -> Reply:
        return Reply(self.status, self.body, dict(self.headers),
                     breaks_contract=self.allow_violation)


class StubBook:
    """The stubs in one store, oldest first."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, stub: Stub, operation: Operation) -> Stub:
        """Keep a stub, once it is known to keep the contract (or is allowed not to)."""
        if not stub.allow_violation:
            content_type = "application/json" if stub.body is not None else None
            problems = response_problems(operation, stub.status, content_type, stub.body)
            if problems:
                raise ContractBreach(
                    f"a {stub.status} stub for {operation.id} would break the contract: "
                    f"{'; '.join(problems)}. Pass allow_violation=True if the test wants a "
                    "contract-breaking answer")

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            return {"stubs": [*(current or {}).get("stubs", []), stub.model_dump()]}

        self._store.update(*keys.STUBS, change)
        return stub

    def all(self) -> list[Stub]:
        stored = self._store.get(*keys.STUBS) or {}
        return [Stub.model_validate(stub) for stub in stored.get("stubs", [])]

    def clear(self) -> None:
        self._store.put(*keys.STUBS, {"stubs": []})

    def take(self, vendor: str, operation: str, stored: dict[str, Any] | None) -> Reply | None:
        """The oldest stub for this request, counted as served; `stored` is the stub list as
        read with the request's other values: no stubs, no write."""
        if not (stored or {}).get("stubs"):
            return None
        taken: list[Stub] = []

        def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
            taken.clear()
            stubs = [Stub.model_validate(s) for s in (current or {}).get("stubs", [])]
            for stub in stubs:
                if stub.operation == operation and stub.vendor in (None, vendor):
                    stub.served += 1
                    taken.append(stub)
                    break
            else:
                return None
            return {"stubs": [s.model_dump() for s in stubs if s.served < s.times]}

        self._store.update(*keys.STUBS, change)
        return taken[0].reply() if taken else None
