"""One mock instance: its configuration, store, clock, fault rules and vendors.

The Flask app, the control API, the CLI and the pytest plugin all drive the mock through this
object; it holds no per-request state of its own, so several worker processes sharing one SQLite
store behave as one server.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import contracts
from contracts.extensions import Lifecycle
from mockserver.config import Credentials, MockConfig, WebhookSubscription
from mockserver.engine.auth import Authenticator
from mockserver.engine.behaviour import Behaviour
from mockserver.engine.call import VendorContext
from mockserver.engine.clock import Clock
from mockserver.engine.contract import Contract
from mockserver.engine.deliveries import Delivery, Subscription, WebhookQueue
from mockserver.engine.dispatcher import Dispatcher
from mockserver.engine.faults import FaultInjector, FaultRule, default_rules
from mockserver.engine.journal import JournalEntry
from mockserver.engine.lifecycle import Run, advance, force
from mockserver.engine.pipeline import VendorPipeline
from mockserver.engine.scenarios import Scenario, ScenarioQueue
from mockserver.handlers import handlers_for
from mockserver.handlers.runs import run_body
from mockserver.handlers.webhooks import notify, sweep, watch_live
from mockserver.storage import StoreUnavailable, keys, open_store
from mockserver.vendors import behaviour_for

__all__ = ["Mock"]


class Mock:
    """One mock instance; build it from a `MockConfig` (all vendors, in memory, by default)."""

    def __init__(self, config: MockConfig | None = None, *,
                 behaviours: dict[str, Behaviour] | None = None) -> None:
        """`behaviours`: vendor id -> the behaviour to use instead of its vendor module's (a
        vendor module of your own, or none: `Behaviour()`)."""
        own = behaviours or {}
        self.config = config or MockConfig()
        self.store = open_store(self.config.store)
        self.clock = Clock(self.store)
        self.faults = FaultInjector(self.store, self.config.seed)
        self.scenarios = ScenarioQueue(self.store)
        self.webhooks = WebhookQueue(self.store, self.config.webhooks, self.config.seed)
        self.dispatcher = Dispatcher(self.webhooks, self.clock, self.store, self.config.webhooks)
        names = self.config.contracts or contracts.available()
        self.vendors: dict[str, VendorPipeline] = {}
        for name in names:
            contract = Contract(name)
            if contract.vendor in self.vendors:
                raise ValueError(f"two contracts name the vendor {contract.vendor!r} "
                                 f"(x-vendor.id); the second is {name!r}: give each its own id")
            # A vendor module is bound to the shipped contract it was written for, never to a
            # user's contract whose id happens to match.
            module = behaviour_for(contract.vendor) if contracts.shipped(name) else Behaviour()
            self.vendors[contract.vendor] = self._pipeline(contract,
                                                           own.get(contract.vendor) or module)
        with suppress(StoreUnavailable):  # a worker started while Redis is away: 503s until back
            if self.store.get(*keys.FAULTS) is None:
                self._install_default_faults()

    def _pipeline(self, contract: Contract, behaviour: Behaviour) -> VendorPipeline:
        name = contract.vendor
        declared = contract.extensions.demo_credentials
        demo = Credentials(clients=declared.clients, keys=declared.keys) if declared \
            else behaviour.demo
        credentials = self.config.credentials.get(name, demo)
        settings = self.config.vendor_settings.get(name, {})
        context = VendorContext(
            name=name, contract=contract,
            settings=behaviour.configure(settings) if behaviour.configure else None,
            store=self.store, clock=self.clock,
            auth=Authenticator(contract, credentials, self.store, self.clock),
            scenarios=self.scenarios, seed=self.config.seed, timing=self.config.timing,
            start=behaviour.start, view=behaviour.view, webhooks=self.webhooks)
        return VendorPipeline(context, handlers_for(contract, behaviour.handlers), self.faults,
                              self.config)

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

    def journal(self, limit: int = 100) -> list[JournalEntry]:
        return [JournalEntry.model_validate(e) for e in self.store.journal(limit)]

    def lifecycle(self, vendor: str, resource: str) -> Lifecycle:
        return self.vendors[vendor].contract.extensions.lifecycles[resource]

    def runs(self, vendor: str | None = None) -> list[Run]:
        """Every run, brought up to date with the clock (without counting as a poll)."""
        now = self.clock.now()
        found = [Run.model_validate(value) for value in self.store.values(keys.RUNS)]
        return [advance(run, self.lifecycle(run.vendor, run.resource), now) for run in found
                if vendor in (None, run.vendor)]

    def run(self, vendor: str, run_id: str) -> Run:
        stored = self.store.get(keys.RUNS, keys.run_key(vendor, run_id))
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

        updated = self.store.update(keys.RUNS, keys.run_key(vendor, run_id), change)
        if failure:
            raise failure[0]
        run = Run.model_validate(updated)
        return notify(self.vendors[vendor].vendor, self.lifecycle(vendor, run.resource), run,
                      self.clock.now(), run_body)

    # -- webhooks ----------------------------------------------------------------------------

    @property
    def sends_webhooks(self) -> bool:
        """Whether any lifecycle this mock serves declares webhooks."""
        return any(lifecycle.webhooks is not None for runtime in self.vendors.values()
                   for lifecycle in runtime.contract.extensions.lifecycles.values())

    def subscribe(self, subscription: WebhookSubscription, *, root: str = "http://localhost",
                  receiver_url: bool = False) -> Subscription:
        """Subscribe (`receiver_url`: to an in-process receiver's URL) and watch the vendor's
        live runs from now on; `root`: the server as its clients reach it (for body URLs)."""
        if subscription.vendor not in self.vendors:
            raise LookupError(f"no vendor {subscription.vendor!r}; this mock serves "
                              f"{', '.join(self.vendors)}")
        stored = self.webhooks.add_receiver(
            subscription.vendor, subscription.url, tenant=subscription.tenant,
            events=subscription.events, secret=subscription.secret) if receiver_url \
            else self.webhooks.subscribe(subscription)
        watch_live(self.vendors[subscription.vendor].vendor, root.rstrip("/"),
                   self.mount_prefix(subscription.vendor), self.clock.now())
        return stored

    def notify_due(self) -> None:
        """Queue the webhooks of runs whose planned time has passed (after the clock moved)."""
        if self.sends_webhooks:
            now = self.clock.now()
            for runtime in self.vendors.values():
                sweep(runtime.vendor, now, run_body)

    def deliver_due(self) -> list[Delivery]:
        """Queue what is due, then send every due delivery now, in this thread."""
        self.notify_due()
        return self.dispatcher.send_due()

    def start_dispatcher(self) -> None:
        """Deliver webhooks from a background thread (once per process; `stop_dispatcher` as
        often as started). Nothing is started for contracts that declare no webhooks."""
        if self.sends_webhooks:
            self.dispatcher.start(self.deliver_due)

    def stop_dispatcher(self) -> None:
        if self.sends_webhooks:
            self.dispatcher.stop()

    def queue(self, scenario: Scenario) -> None:
        """Make the next `count` runs (of a vendor / resource, or any) go as the scenario says."""
        if scenario.vendor is not None and scenario.vendor not in self.vendors:
            raise LookupError(f"no vendor {scenario.vendor!r}")
        self.scenarios.add(scenario)
