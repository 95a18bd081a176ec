"""Everything one validation proxy is told: which contract goes to which upstream, and how."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mockserver.config import StoreLocation

__all__ = ["ProxyConfig", "Route"]


class Route(BaseModel):
    """One contract and the upstream that really implements it."""

    model_config = ConfigDict(extra="forbid")

    contract: str = Field(description="A contract name or path.")
    upstream: str = Field(description="The vendor's base URL: the contract's paths go below it.")

    @field_validator("upstream")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"the upstream must be an http(s) URL, got {value!r}")
        return value.rstrip("/")


class ProxyConfig(BaseModel):
    """A proxy's settings; the CLI's options fill it."""

    model_config = ConfigDict(extra="forbid")

    routes: list[Route] = Field(min_length=1)
    store: StoreLocation = "memory"
    connect_timeout: float = Field(5.0, gt=0, description="Seconds to reach the upstream.")
    read_timeout: float = Field(
        60.0, gt=0, description="Seconds the upstream may stay silent before a 504.")
    strict_client: bool = Field(
        False, description="Refuse a request that breaks the contract; it never reaches the "
        "upstream.")
    record: Path | None = Field(None, description="Directory to record every exchange into.")
    record_body_limit: int = Field(
        64 * 1024, ge=0, description="Bodies above this many bytes are stored by hash.")
    judge_body_limit: int = Field(
        8 * 1024 * 1024, ge=0, description="Response bodies above this are relayed unjudged.")
