"""Everything a mock instance can be told, as one validated model."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

__all__ = [
    "ALL_FAULT_KINDS",
    "Credentials",
    "Faults",
    "JournalSettings",
    "MockConfig",
    "StoreLocation",
    "Timing",
    "WebhookSubscription",
    "Webhooks",
]

FaultKind = Literal["latency", "429", "500", "503"]
ALL_FAULT_KINDS: tuple[FaultKind, ...] = ("latency", "429", "500", "503")
RedisURL = Annotated[str, StringConstraints(pattern=r"^rediss?://")]
StoreLocation = Annotated[Literal["memory"] | RedisURL | Path, Field(union_mode="left_to_right")]
"""Where state lives: 'memory', a SQLite file, or a Redis URL (tried in that order: a Redis URL
is not a file name)."""


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

    @field_validator("kinds", mode="before")
    @classmethod
    def _known_kinds(cls, value: Any) -> Any:
        """A misspelt kind names the closest valid one (`500` may be given as a number)."""
        if not isinstance(value, list):
            return value
        for kind in map(str, value):
            if kind not in ALL_FAULT_KINDS:
                close = difflib.get_close_matches(kind, ALL_FAULT_KINDS, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"unknown fault kind {kind!r}{hint} (valid: "
                                 f"{', '.join(ALL_FAULT_KINDS)})")
        return [str(kind) for kind in value]


class JournalSettings(BaseModel):
    """How much of each request the journal keeps for tests to verify."""

    model_config = ConfigDict(extra="forbid")

    detail: bool = Field(True, description="Keep query, headers, bodies and uploaded parts' "
                         "digests of each request and the response body; off: the verdict only.")
    max_body_bytes: int = Field(64 * 1024, ge=0,
                                description="A larger request or response body is left out.")


class WebhookSubscription(BaseModel):
    """Where one tenant's webhooks go: a URL, the webhooks (all if none named), the secret."""

    model_config = ConfigDict(extra="forbid")

    vendor: str
    url: str = Field(pattern=r"^https?://", description="The receiver's http(s) URL.")
    tenant: str | None = Field(None, description="The tenant (client id or key) whose runs "
                               "notify; None: every tenant of the vendor.")
    events: list[str] = Field(default_factory=list, description="Webhook names; empty: all.")
    secret: str | None = Field(None, description="Signing secret; default: the tenant's.")


class Webhooks(BaseModel):
    """How the mock delivers the webhooks its contracts declare (`x-lifecycles.*.webhooks`)."""

    model_config = ConfigDict(extra="forbid")

    subscriptions: list[WebhookSubscription] = Field(default_factory=list)
    secrets: dict[str, str] = Field(
        default_factory=dict, description="Tenant -> signing secret; a tenant not named here "
        "gets one derived from the seed (shown by the control API and the handle).")
    attempts: int = Field(5, ge=1, description="Attempts per delivery, the first included.")
    backoff_seconds: float = Field(
        1.0, ge=0, description="Wait before the first retry, doubled for each next one (mock "
        "time: a frozen clock holds retries until it is advanced).")
    timeout_seconds: float = Field(10.0, gt=0, description="How long a receiver may take.")
    interval_seconds: float = Field(
        0.2, gt=0, description="How often the background dispatcher looks for due work.")


class MockConfig(BaseModel):
    """Everything one mock instance is told; a config file or `--config` is this model."""

    model_config = ConfigDict(extra="forbid")

    contracts: list[str] = Field(default_factory=list, description="Vendors to serve; empty = all.")
    seed: int = 0
    store: StoreLocation = Field(
        "memory",
        description="'memory', a SQLite file, or a Redis URL shared by several replicas: "
        "redis://HOST:PORT/DB or rediss://..., with ?prefix=NAME to keep apart several mocks "
        "that share one Redis.",
    )
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
    max_json_depth: int = Field(
        64, ge=1, le=128,
        description="How deeply a JSON body may nest; deeper ones are refused with the vendor's "
        "validation error. At most 128: the store cannot keep values much deeper.",
    )
    max_latency_seconds: float = Field(
        5.0, ge=0, le=600, allow_inf_nan=False,
        description="The longest delay a request can get, asked for (`Prefer: latency`) or "
        "injected (a latency fault); longer ones are cut to this.",
    )
    timing: Timing = Field(default_factory=Timing)
    faults: Faults = Field(default_factory=Faults)
    journal: JournalSettings = Field(default_factory=JournalSettings)
    vendor_settings: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per vendor: settings only that vendor's module reads (e.g. FlowFlow's "
        "workflow definitions).",
    )
    recording: Path | None = Field(
        None, description="A recording (`mockserver proxy --record`) whose answers are given to "
        "matching requests before the mock's own.")
    webhooks: Webhooks = Field(default_factory=Webhooks)
    mounts: dict[str, str] = Field(
        default_factory=dict,
        description="Vendor -> URL prefix. Default: /<vendor> followed by the path of the "
        "contract's first server URL.",
    )

    @field_validator("known_ids")
    @classmethod
    def _no_empty_lists(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {name: ids for name, ids in value.items() if ids}
