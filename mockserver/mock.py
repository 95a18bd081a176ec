"""One mock instance: its configuration, store, clock, fault rules and vendors.

The Flask app, the control API, the CLI and the pytest plugin all drive the mock through this
object; it holds no per-request state of its own, so several worker processes sharing one SQLite
store behave as one server.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from pydantic import BaseModel, Field

import contracts
from contracts.extensions import Lifecycle
from mockserver.clock import Clock
from mockserver.config import MockConfig
from mockserver.contract import Contract
from mockserver.engine import VendorRuntime
from mockserver.faults import FaultInjector, FaultRule, default_rules
from mockserver.journal import JournalEntry
from mockserver.lifecycle import Run, advance, force, run_key
from mockserver.scenarios import Preferences
from mockserver.storage import StoreUnavailable, open_store
from mockserver.vendors import behaviour_for

_RUNS = "run"
_SCENARIOS = ("control", "scenarios")


class Scenario(BaseModel):
    """How the next run(s) a vendor starts will go, whatever the request asks."""

    vendor: str | None = None
    resource: str | None = None
    outcome: str | None = None
    polls: int | None = Field(None, ge=0)
    seconds: float | None = Field(None, ge=0)
    count: int = Field(1, ge=1)


class Mock:
    def __init__(self, config: MockConfig | None = None) -> None:
        self.config = config or MockConfig()
        self.store = open_store(self.config.store)
        self.clock = Clock(self.store)
        self.faults = FaultInjector(self.store, self.config.seed)
        names = self.config.contracts or contracts.available()
        self.vendors: dict[str, VendorRuntime] = {}
        for name in names:
            contract = Contract(name)
            self.vendors[contract.vendor] = VendorRuntime(self, contract,
                                                          behaviour_for(contract.vendor))
        with suppress(StoreUnavailable):  # a worker started while Redis is away: 503s until back
            if self.store.get("control", "faults") is None:
                self._install_default_faults()

    def _install_default_faults(self) -> None:
        self.faults.set_rules([FaultRule.model_validate(r)
                               for r in default_rules(self.config.faults)])

    def mount_prefix(self, vendor: str) -> str:
        """The URL prefix a vendor is served under: its documented paths work below it."""
        if vendor in self.config.mounts:
            return self.config.mounts[vendor].rstrip("/")
        return f"/{vendor}{self.vendors[vendor].contract.server_path}"

    # -- state -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every token, run, record, journal entry and fault; the clock runs real time."""
        self.store.clear()
        self._install_default_faults()

    def record(self, entry: JournalEntry) -> None:
        self.store.append_journal(entry.model_dump_json())

    def journal(self, limit: int = 100) -> list[JournalEntry]:
        return [JournalEntry.model_validate(e) for e in self.store.journal(limit)]

    def lifecycle(self, vendor: str, resource: str) -> Lifecycle:
        return self.vendors[vendor].contract.extensions.lifecycles[resource]

    def runs(self, vendor: str | None = None) -> list[Run]:
        """Every run, brought up to date with the clock (without counting as a poll)."""
        now = self.clock.now()
        found = [Run.model_validate(value) for value in self.store.values(_RUNS)]
        return [advance(run, self.lifecycle(run.vendor, run.resource), now) for run in found
                if vendor in (None, run.vendor)]

    def run(self, vendor: str, run_id: str) -> Run:
        stored = self.store.get(_RUNS, run_key(vendor, run_id))
        if stored is None:
            raise LookupError(f"no run {run_id!r} of {vendor}")
        run = Run.model_validate(stored)
        return advance(run, self.lifecycle(vendor, run.resource), self.clock.now())

    def force(self, vendor: str, run_id: str, state: str) -> Run:
        """Put a run in a state (and keep it there); a terminal run cannot be moved."""
        self.run(vendor, run_id)
        failure: list[ValueError] = []

        def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
            run = Run.model_validate(current)
            lifecycle = self.lifecycle(vendor, run.resource)
            try:
                return force(advance(run, lifecycle, self.clock.now()), lifecycle, state,
                             self.clock.now()).model_dump()
            except ValueError as error:
                failure.append(error)
                return None

        updated = self.store.update(_RUNS, run_key(vendor, run_id), change)
        if failure:
            raise failure[0]
        return Run.model_validate(updated)

    def queue(self, scenario: Scenario) -> None:
        """Make the next `count` runs (of a vendor / resource, or any) go as the scenario says."""
        if scenario.vendor is not None and scenario.vendor not in self.vendors:
            raise LookupError(f"no vendor {scenario.vendor!r}")

        def change(current: dict[str, Any] | None) -> dict[str, Any]:
            queued = (current or {}).get("queue", [])
            return {"queue": [*queued, scenario.model_dump()]}

        self.store.update(*_SCENARIOS, change)

    def take_scenario(self, vendor: str, resource: str) -> Preferences | None:
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

        if self.store.get(*_SCENARIOS) is None:
            return None
        self.store.update(*_SCENARIOS, change)
        if not taken:
            return None
        scenario = taken[0]
        return Preferences(outcome=scenario.outcome, polls=scenario.polls, seconds=scenario.seconds)
