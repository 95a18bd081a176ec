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
    verdict: str = Field(description="'conforms' or 'violates': does the request keep the contract "
                         "(through the proxy: does the exchange, see `side`)")
    violations: list[str] = Field(default_factory=list)
    response_problems: list[str] = Field(
        default_factory=list, description="Where the mock's own response broke the contract "
        "(through the proxy: the vendor's response, or its run across exchanges)."
    )
    fault: str | None = None
    prefer: str | None = None
    identity: str | None = None
    duration_ms: float = 0.0
    side: str | None = Field(
        None, description="Through the proxy, who broke the contract: 'client' (the request), "
        "'vendor' (the response or the run's lifecycle), 'both'; None when neither did.")
    source: str = Field(
        "mock", description="Who answered: 'mock', 'proxy' (the upstream, through the "
        "validation proxy) or 'recording' (`serve --from-recording`).")
