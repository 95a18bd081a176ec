"""Fault injection: rules that make matching requests slow, rate-limited or failing.

A rule can fire at a seeded rate, or exactly on the n-th matching request ("fail the third
poll"), a bounded number of times. Rules live in the store so every worker process applies the
same ones, and decisions are seeded so a run with the same seed fails in the same places.
"""

from __future__ import annotations

import random
from typing import Any

from pydantic import BaseModel, Field

from mockserver.config import FaultKind, Faults
from mockserver.storage import Store, keys

__all__ = ["Fault", "FaultInjector", "FaultRule", "default_rules"]


class FaultRule(BaseModel):
    """Which requests a fault hits (vendor, operation, n-th, rate) and what it does."""

    kinds: list[FaultKind] = Field(min_length=1)
    rate: float = Field(1.0, ge=0, le=1)
    vendor: str | None = None
    operation: str | None = Field(None, description="operationId the rule applies to")
    after: int = Field(0, ge=0, description="Let this many matching requests through first.")
    times: int | None = Field(None, ge=1, description="Fire at most this many times.")
    latency_ms: int = Field(800, ge=0)
    retry_after: int = Field(1, ge=0)
    seen: int = 0
    fired: int = 0

    def matches(self, vendor: str, operation: str) -> bool:
        return self.vendor in (None, vendor) and self.operation in (None, operation)


class Fault(BaseModel):
    """The fault one request gets."""

    kind: FaultKind
    latency_ms: int
    retry_after: int


def default_rules(faults: Faults) -> list[dict[str, Any]]:
    """The configured seeded fault rate as a rule (none when the rate is 0)."""
    if faults.rate <= 0:
        return []
    rule = FaultRule(kinds=faults.kinds, rate=faults.rate, latency_ms=faults.latency_ms,
                     retry_after=faults.retry_after)
    return [rule.model_dump()]


class FaultInjector:
    """The fault rules in the store, and the seeded choice of which request they hit."""

    def __init__(self, store: Store, seed: int) -> None:
        self._store = store
        self._seed = seed

    def rules(self) -> list[FaultRule]:
        stored = self._store.get(*keys.FAULTS) or {"rules": []}
        return [FaultRule.model_validate(rule) for rule in stored["rules"]]

    def set_rules(self, rules: list[FaultRule]) -> None:
        self._store.put(*keys.FAULTS, {"rules": [rule.model_dump() for rule in rules]})

    def add(self, rule: FaultRule) -> None:
        """Append a rule atomically: two added at once are both kept."""
        def change(stored: dict[str, Any] | None) -> dict[str, Any]:
            return {"rules": [*(stored or {}).get("rules", []), rule.model_dump()]}

        self._store.update(*keys.FAULTS, change)

    def pick(self, vendor: str, operation: str, stored: dict[str, Any] | None) -> Fault | None:
        """Count this request against every matching rule; the first rule that fires wins.
        `stored` is the rule set as read with the request's other values: no rules, no write."""
        chosen: list[Fault] = []

        def change(stored: dict[str, Any] | None) -> dict[str, Any] | None:
            chosen.clear()
            rules = [FaultRule.model_validate(r) for r in (stored or {"rules": []})["rules"]]
            touched = False
            for index, rule in enumerate(rules):
                if not rule.matches(vendor, operation):
                    continue
                touched = True
                rule.seen += 1
                exhausted = rule.times is not None and rule.fired >= rule.times
                if chosen or exhausted or rule.seen <= rule.after:
                    continue
                rng = random.Random(f"{self._seed}:{index}:{rule.seen}")
                if rng.random() < rule.rate:
                    rule.fired += 1
                    chosen.append(Fault(kind=rng.choice(rule.kinds), latency_ms=rule.latency_ms,
                                        retry_after=rule.retry_after))
            return {"rules": [r.model_dump() for r in rules]} if touched else None

        if not (stored or {}).get("rules"):
            return None
        self._store.update(*keys.FAULTS, change)
        return chosen[0] if chosen else None
