"""The hooks a vendor module fills in: what no contract can say about one vendor."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mockserver.engine.call import Handler, StartHook, ViewHook
from mockserver.engine.results import ResultSlot

__all__ = ["Behaviour", "ConfigureHook"]

ConfigureHook = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Behaviour:
    """One vendor's realism beyond its contract; every field is optional."""

    configure: ConfigureHook | None = None
    """Called once when the mock starts, with the vendor's `vendor_settings`; returns them parsed
    (kept as `VendorContext.settings`) and raises on bad ones, so a mistake stops the start."""
    start: StartHook | None = None
    """Called when a run is created; returns vendor data stored with the run."""
    view: ViewHook | None = None
    """Called with a run's response body (create or poll); returns the body to send."""
    handlers: dict[str, Handler] = field(default_factory=dict)
    """operationId -> handler; these take precedence over the generic ones."""
    results: dict[str, ResultSlot] = field(default_factory=dict)
    """Result name -> where it goes: what `vendor_settings` and a test may set runs to return
    (read through `VendorContext.results`)."""
