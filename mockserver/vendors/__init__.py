"""What is truly one vendor's: demo credentials, and the parts of its results no contract holds.

A contract without a module here still gets a working mock: auth, validation, lifecycles and
errors are all generic. A module adds realism — results derived from the input, growing logs, a
workflow graph executed node by node — through the three hooks of `Behaviour`.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockserver.config import Credentials

if TYPE_CHECKING:
    from contracts.extensions import Lifecycle
    from mockserver.call import Call, Handler
    from mockserver.lifecycle import Run

ConfigureHook = Callable[[dict[str, Any]], Any]
StartHook = Callable[["Call", "Run", random.Random], dict[str, Any]]
ViewHook = Callable[["Call", "Lifecycle", "Run", Any], Any]


@dataclass(frozen=True)
class Behaviour:
    demo: Credentials = field(default_factory=Credentials)
    configure: ConfigureHook | None = None
    """Called once when the mock starts, with the vendor's `vendor_settings`; returns them parsed
    (kept as `VendorRuntime.settings`) and raises on bad ones, so a mistake stops the start."""
    start: StartHook | None = None
    """Called when a run is created; returns vendor data stored with the run."""
    view: ViewHook | None = None
    """Called with a run's response body (create or poll); returns the body to send."""
    handlers: dict[str, Handler] = field(default_factory=dict)
    """operationId -> handler, for operations that are not a lifecycle's create or poll."""


def behaviour_for(name: str) -> Behaviour:
    module_name = f"mockserver.vendors.{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        return Behaviour()
    return module.BEHAVIOUR
