"""What a conformance run is told: the implementation, its credentials, and how hard to look."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

ProfileName = Literal["quick", "standard", "deep"]


__all__ = ["ProfileName", "RunOptions"]


class RunOptions(BaseModel):
    """Everything one run is told, validated before anything is sent."""

    model_config = ConfigDict(extra="forbid")

    contract: str = Field(description="A contract name (see `contracts.available()`) or a path.")
    base_url: str = Field(description="Where the implementation serves the contract's paths.")
    client_id: str | None = None
    client_secret: SecretStr | None = None
    token: SecretStr | None = Field(None, description="A bearer token or API key.")
    other_token: SecretStr | None = Field(
        None, description="A second tenant's token, to check that tenants are isolated.")
    other_client_id: str | None = Field(
        None, description="A second tenant's OAuth2 client, to check that tenants are isolated.")
    other_client_secret: SecretStr | None = None
    parameters: dict[str, str] = Field(
        default_factory=dict,
        description="Path parameter values that must be real on the server (workflow_id, ...).")
    profile: ProfileName = "standard"
    seed: int = 0
    checks: list[str] = Field(default_factory=list, description="Only these check families.")
    fast_forward: bool = Field(
        False, description="The target is this project's mock: move its clock instead of waiting.")
    control_url: str | None = Field(
        None, description="The mock's control API; default: <scheme://host>/__mock__.")
    time_budget: float = Field(600.0, gt=0, description="Seconds a run may take to finish.")
    timeout: float = Field(30.0, gt=0, description="Seconds one request may take.")
    rate_limit: float | None = Field(
        None, gt=0, description="Requests per second at most (`--rate-limit 10/s`).")
    webhooks: bool = Field(
        False, description="Also check webhooks: a local receiver subscribes and every run that "
        "ends must be notified with a signed delivery of the declared payload.")
    webhook_secret: SecretStr | None = Field(
        None, description="The secret the implementation signs callback deliveries with, where "
        "a run's create request names its webhook URL; default: asked of the mock's control API.")
    max_requests: int | None = Field(
        None, gt=0, description="Requests a run may send; it stops where it is once spent.")
    max_throttled: int | None = Field(
        None, ge=0, description="Requests the server may still refuse with 429/503 after every "
        "retry before the run fails for it; default: any number (each is reported, none "
        "judged), unless the throttling stopped a family before it finished.")
