"""Everything a mock instance can be told, as one validated model."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["ALL_FAULT_KINDS", "Credentials", "Faults", "MockConfig", "Timing"]

FaultKind = Literal["latency", "429", "500", "503"]
ALL_FAULT_KINDS: tuple[FaultKind, ...] = ("latency", "429", "500", "503")


class Credentials(BaseModel):
    """Who may call one vendor. Each client id or key is its own tenant."""

    model_config = ConfigDict(extra="forbid")

    clients: dict[str, str] = Field(
        default_factory=dict, description="OAuth2 client credentials: client_id -> client_secret."
    )
    keys: list[str] = Field(default_factory=list, description="Static bearer tokens / API keys.")


class Timing(BaseModel):
    """How long a run takes unless a request says otherwise."""

    model_config = ConfigDict(extra="forbid")

    min_seconds: float = Field(2.0, ge=0)
    max_seconds: float = Field(6.0, ge=0)
    polls: int | None = Field(
        None, ge=0, description="If set, a run is terminal after this many polls instead of time."
    )
    failure_rate: float = Field(0.0, ge=0, le=1)


class Faults(BaseModel):
    """Faults injected into vendor requests at a seeded rate."""

    model_config = ConfigDict(extra="forbid")

    rate: float = Field(0.0, ge=0, le=1)
    kinds: list[FaultKind] = Field(default_factory=lambda: list(ALL_FAULT_KINDS))
    latency_ms: int = Field(800, ge=0)
    retry_after: int = Field(1, ge=0)


class MockConfig(BaseModel):
    """Everything one mock instance is told; a config file or `--config` is this model."""

    model_config = ConfigDict(extra="forbid")

    contracts: list[str] = Field(default_factory=list, description="Vendors to serve; empty = all.")
    seed: int = 0
    store: Literal["memory"] | Path = "memory"
    strict_responses: bool = Field(
        True, description="Check every response against the contract; a mismatch is a server error."
    )
    credentials: dict[str, Credentials] = Field(
        default_factory=dict, description="Per vendor; a vendor not named here uses its demo ones."
    )
    known_ids: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Strict mode: path parameter name -> the only ids that exist. Empty: any "
        "well-formed id exists.",
    )
    max_upload_bytes: int = Field(25 * 1024 * 1024, ge=1)
    timing: Timing = Field(default_factory=Timing)
    faults: Faults = Field(default_factory=Faults)
    vendor_settings: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per vendor: settings only that vendor's module reads (e.g. FlowFlow's "
        "workflow definitions).",
    )
    recording: Path | None = Field(
        None, description="A recording (`mockserver proxy --record`) whose answers are given to "
        "matching requests before the mock's own.")
    mounts: dict[str, str] = Field(
        default_factory=dict,
        description="Vendor -> URL prefix. Default: /<vendor> followed by the path of the "
        "contract's first server URL.",
    )

    @field_validator("known_ids")
    @classmethod
    def _no_empty_lists(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {name: ids for name, ids in value.items() if ids}
