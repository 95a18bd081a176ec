"""Every name a user gives the mock is checked, so a typo fails loudly instead of doing nothing.

Outcomes, operation ids, vendors, resources, settings keys and fault kinds all enter as plain
strings; a misspelt one would otherwise be ignored and the test would pass for the wrong reason.
A wrong name raises `UnknownName` listing the valid names and the closest one (difflib).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, cast

from contracts.extensions import Lifecycle
from mockserver.config import ALL_FAULT_KINDS, FaultKind
from mockserver.engine.lifecycle import outcome_state

__all__ = [
    "OUTCOME_ALIASES",
    "UnknownName",
    "check_fault_kinds",
    "check_name",
    "check_outcome",
    "check_settings",
    "outcome_names",
]

OUTCOME_ALIASES = ("completed", "failed", "success", "failure")
"""Outcome names every lifecycle accepts besides its own terminal states: the first and third
mean its success state, the others its failure state."""


class UnknownName(ValueError, LookupError):
    """A name the mock does not know; says which names it does know and the likeliest one.
    Both a `ValueError` (a bad argument) and a `LookupError` (what earlier releases raised)."""

    def __init__(self, kind: str, name: object, valid: Iterable[str], where: str = "") -> None:
        self.kind = kind
        self.name = name
        self.valid = sorted(set(valid))
        self.suggestion = _closest(name, self.valid)
        place = f" {where}" if where else ""
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        listed = ", ".join(self.valid) if self.valid else "none"
        super().__init__(f"unknown {kind} {name!r}{place}{hint} (valid: {listed})")

    def as_dict(self) -> dict[str, Any]:
        """The error as a JSON body says it."""
        return {"error": str(self), "kind": self.kind, "name": self.name, "valid": self.valid,
                "did_you_mean": self.suggestion}


def _closest(name: object, valid: list[str]) -> str | None:
    if not isinstance(name, str):
        return None
    by_lower = {candidate.lower(): candidate for candidate in valid}
    found = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.5)
    return by_lower[found[0]] if found else None


def check_name(kind: str, name: str, valid: Iterable[str], where: str = "") -> str:
    """`name` itself if it is one of `valid`, else `UnknownName`."""
    known = list(valid)
    if name not in known:
        raise UnknownName(kind, name, known, where)
    return name


def outcome_names(lifecycles: Iterable[Lifecycle]) -> list[str]:
    """What `outcome` may say for runs of these lifecycles: aliases and terminal states (any
    letter case is accepted, see `lifecycle.outcome_state`)."""
    names = set(OUTCOME_ALIASES)
    for lifecycle in lifecycles:
        names.update(lifecycle.terminal)
    return sorted(names)


def check_settings(vendor: str, settings: dict[str, Any], fields: Iterable[str]) -> None:
    """Every key of one vendor's `vendor_settings` is a setting its module reads."""
    known = list(fields)
    for key in settings:
        check_name(f"{vendor} setting", key, known, "in vendor_settings")


def check_outcome(lifecycles: list[Lifecycle], wanted: str, where: str = "") -> str:
    """`wanted` if it names an outcome of at least one of these lifecycles."""
    if not any(outcome_state(lifecycle, wanted) for lifecycle in lifecycles) and \
            wanted.lower() not in OUTCOME_ALIASES:
        raise UnknownName("outcome", wanted, outcome_names(lifecycles), where)
    return wanted


def check_fault_kinds(kinds: Iterable[object]) -> list[FaultKind]:
    """Fault kinds as the rules store them (`500` may be given as a number)."""
    return [cast(FaultKind, check_name("fault kind", str(kind), ALL_FAULT_KINDS))
            for kind in kinds]
