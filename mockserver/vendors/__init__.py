"""What is truly one vendor's: demo credentials, and the parts of its results no contract holds.

Rule: a vendor module imports `contracts`, `mockserver.config`, `mockserver.engine` and
`mockserver.handlers`, never the mock, the web layer or another vendor.

A contract without a module here still gets a working mock: auth, validation, lifecycles and
errors are all generic. A module adds realism (results derived from the input, growing logs, a
workflow graph executed node by node) through the hooks of `engine.behaviour.Behaviour`, which
it exports as `BEHAVIOUR`.
"""

from __future__ import annotations

import importlib

from mockserver.engine.behaviour import Behaviour

__all__ = ["MODULES", "behaviour_for"]

MODULES = {
    "flowflow": "mockserver.vendors.flowflow",
    "further": "mockserver.vendors.further",
    "futurity": "mockserver.vendors.futurity",
    "phinite": "mockserver.vendors.phinite",
}
"""Vendor id -> the module holding its `BEHAVIOUR`; a vendor not listed is served generically."""


def behaviour_for(vendor: str) -> Behaviour:
    """The vendor's behaviour, imported only when the vendor is served."""
    module = MODULES.get(vendor)
    if module is None:
        return Behaviour()
    behaviour: Behaviour = importlib.import_module(module).BEHAVIOUR
    return behaviour
