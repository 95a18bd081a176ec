"""The request journal: every vendor request with the contract's verdict on it."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["JournalEntry"]


class JournalEntry(BaseModel):
    """One vendor request as the journal keeps it, with the contract's verdict."""

    time: float
    vendor: str | None
    method: str
    path: str
    operation: str | None
    status: int
    verdict: str = Field(description="'conforms' or 'violates': does the request keep the contract")
    violations: list[str] = Field(default_factory=list)
    response_problems: list[str] = Field(
        default_factory=list, description="Where the mock's own response broke the contract."
    )
    fault: str | None = None
    prefer: str | None = None
    identity: str | None = None
    duration_ms: float = 0.0
    kind: str = Field("request", description="'request' (to the mock) or 'webhook' (a delivery "
                      "attempt by the mock: `path` is the receiver's URL, `operation` the "
                      "webhook, `status` its answer, 0 for none)")
    delivery: str | None = Field(None, description="webhook: the delivery's Webhook-Id")
    attempt: int | None = Field(None, description="webhook: 1 for the first try")
    signature: str | None = Field(None, description="webhook: the signature header sent")
    error: str | None = Field(None, description="webhook: why no answer came")
