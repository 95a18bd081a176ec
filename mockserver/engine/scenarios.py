"""Queued scenarios: how the next run(s) of a vendor go, whatever their requests ask.

The queue lives in the store, so a scenario queued through one worker's control API steers a run
another worker creates; taking one is an atomic update, so two runs never take the same one.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mockserver.engine.limits import MAX_RUN_SECONDS
from mockserver.engine.preferences import Preferences
from mockserver.storage import Store, keys

__all__ = ["Scenario", "ScenarioQueue"]


class Scenario(BaseModel):
    """How the next run(s) a vendor starts will go, whatever the request asks."""

    vendor: str | None = None
    resource: str | None = None
    outcome: str | None = None
    polls: int | None = Field(None, ge=0)
    seconds: float | None = Field(None, ge=0, le=MAX_RUN_SECONDS, allow_inf_nan=False)
    count: int = Field(1, ge=1)


class ScenarioQueue:
    """The scenarios queued in one store, oldest first."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(self, scenario: Scenario) -> None:
        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            queued = (current or {}).get("queue", [])
            return {"queue": [*queued, scenario.model_dump()]}

        self._store.update(*keys.SCENARIOS, change)

    def queued(self) -> list[dict[str, Any]]:
        """The scenarios still waiting for a run, oldest first."""
        return list((self._store.get(*keys.SCENARIOS) or {}).get("queue", []))

    def take(self, vendor: str, resource: str) -> Preferences | None:
        """The oldest scenario for this vendor and resource, counted as used; None if none."""
        taken: list[Scenario] = []

        def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
            taken.clear()
            queued = [Scenario.model_validate(s) for s in (current or {}).get("queue", [])]
            for scenario in queued:
                if scenario.vendor in (None, vendor) and scenario.resource in (None, resource):
                    taken.append(scenario.model_copy())
                    scenario.count -= 1
                    break
            else:
                return None
            return {"queue": [s.model_dump() for s in queued if s.count > 0]}

        if self._store.get(*keys.SCENARIOS) is None:
            return None
        self._store.update(*keys.SCENARIOS, change)
        if not taken:
            return None
        scenario = taken[0]
        return Preferences(outcome=scenario.outcome, polls=scenario.polls, seconds=scenario.seconds)
