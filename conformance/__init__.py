"""Check any implementation of the contracts at a base URL: `run(RunOptions(...))` gives the
`Results` (findings, and what each family in `FAMILIES` exercised); `conformance_test` wraps the
same for a pytest suite, and `python -m conformance` for CI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.findings import Exchange, Finding, Results
from conformance.options import RunOptions
from conformance.runner import FAMILIES, Family, run
from conformance.target import TargetError

if TYPE_CHECKING:
    from conformance.testing import conformance_test

__all__ = ["FAMILIES", "Exchange", "Family", "Finding", "Results", "RunOptions", "TargetError",
           "conformance_test", "run"]


def __getattr__(name: str) -> Any:
    """`conformance_test` is imported on first use: the CLI need not import pytest."""
    if name == "conformance_test":
        from conformance.testing import conformance_test

        return conformance_test
    raise AttributeError(f"module 'conformance' has no attribute {name!r}")
