"""Every store key the mock writes, named in one place so no two parts can disagree on one."""

from __future__ import annotations

__all__ = [
    "CLOCK",
    "CONTROL",
    "DOWNLOADS",
    "FAULTS",
    "PROXY_RECORDS",
    "PROXY_RUNS",
    "PROXY_TOKENS",
    "REPLAYED",
    "RUNS",
    "SCENARIOS",
    "STUBS",
    "TOKENS",
    "WEBHOOK_DELIVERIES",
    "WEBHOOK_DUE",
    "WEBHOOK_FAULTS",
    "WEBHOOK_SUBSCRIPTIONS",
    "WEBHOOK_WATCH",
    "records",
    "results",
    "run_key",
]

RUNS = "run"
"""Runs of every lifecycle, keyed by `run_key`."""
TOKENS = "token"
"""Issued OAuth2 access tokens, keyed by the token itself."""
DOWNLOADS = "download"
"""Signed download links, keyed by the link's secret."""
CONTROL = "control"
CLOCK = (CONTROL, "clock")
FAULTS = (CONTROL, "faults")
SCENARIOS = (CONTROL, "scenarios")
WEBHOOK_FAULTS = (CONTROL, "webhook-faults")
"""Delivery faults waiting for the deliveries they apply to (drop, delay, duplicate, reorder)."""
WEBHOOK_SUBSCRIPTIONS = (CONTROL, "webhook-subscriptions")
"""Every webhook subscription, in one value: each create reads it."""
WEBHOOK_DELIVERIES = "webhook-delivery"
"""Every delivery with its attempts, keyed by its id (the `Webhook-Id`)."""
WEBHOOK_DUE = "webhook-due"
"""Deliveries not yet finished, keyed by delivery id: what a dispatcher looks at."""
WEBHOOK_WATCH = "webhook-watch"
"""Live runs whose lifecycle notifies, keyed by `run_key`, until every notice is queued."""
STUBS = (CONTROL, "stubs")
"""One-off answers a test set for an operation, served before its handler."""


def results(vendor: str) -> tuple[str, str]:
    """A test's own results for one vendor's runs."""
    return (CONTROL, f"results:{vendor}")


def run_key(vendor: str, run_id: str) -> str:
    """Run ids are only unique per vendor."""
    return f"{vendor}:{run_id}"


def records(vendor: str, resource: str) -> str:
    """The kind under which one vendor's records of one resource are stored."""
    return f"record:{vendor}:{resource}"


PROXY_RUNS = "proxy-run"
"""Runs the validation proxy has seen (`contracts.observer`): last status, create request, owner."""
PROXY_RECORDS = "proxy-record"
"""Records the proxy has seen created: owner, deleted."""
PROXY_TOKENS = "proxy-token"
"""The OAuth2 client each token the proxy saw issued belongs to, by the token's hash."""
REPLAYED = "replayed"
"""How many of a recorded request's answers `serve --from-recording` has given, by request."""
