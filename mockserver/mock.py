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
from mockserver.engine.limits import Pauses
from mockserver.engine.names import UnknownName, check_name, check_outcome
from mockserver.engine.pipeline import VendorPipeline
from mockserver.engine.results import OwnResults
from mockserver.engine.scenarios import Scenario, ScenarioQueue
from mockserver.engine.stubs import Stub, StubBook
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
        self.pauses = Pauses(self.config.max_latency_seconds)
        self.webhooks = WebhookQueue(self.store, self.config.webhooks, self.config.seed)
        self.dispatcher = Dispatcher(self.webhooks, self.clock, self.store, self.config.webhooks)
        names = self.config.contracts or contracts.available()
        for name in names:
            try:
                contracts.path(name)
            except LookupError:
                check_name("contract", name, contracts.available(), "in contracts")
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
        self._check_vendor_keys()
        with suppress(StoreUnavailable):  # a worker started while Redis is away: 503s until back
            if self.store.get(*keys.FAULTS) is None:
                self._install_default_faults()

    def _check_vendor_keys(self) -> None:
        """Per-vendor config sections name vendors that exist (a typo would be ignored)."""
        known = sorted({*contracts.available(), *self.vendors})
        for section in ("vendor_settings", "credentials", "mounts"):
            for vendor in getattr(self.config, section):
                check_name("vendor", vendor, known, f"in {section}")

    def _pipeline(self, contract: Contract, behaviour: Behaviour) -> VendorPipeline:
        name = contract.vendor
        declared = contract.extensions.demo_credentials
        demo = Credentials(clients=declared.clients, keys=declared.keys) if declared \
            else Credentials()
        credentials = self.config.credentials.get(name, demo)
        given = self.config.vendor_settings.get(name, {})
        settings = {key: value for key, value in given.items() if key not in behaviour.results}
        own = {key: value for key, value in given.items() if key in behaviour.results}
        if settings and behaviour.configure is None:
            raise UnknownName(f"{name} setting", next(iter(settings)), behaviour.results,
                              "in vendor_settings")
        results = OwnResults(name, contract, behaviour.results, self.store, own) \
            if behaviour.results else None
        context = VendorContext(
            name=name, contract=contract,
            settings=behaviour.configure(settings) if behaviour.configure else None,
            store=self.store, clock=self.clock,
            auth=Authenticator(contract, credentials, self.store, self.clock),
            scenarios=self.scenarios, seed=self.config.seed, timing=self.config.timing,
            start=behaviour.start, view=behaviour.view, results=results,
            webhooks=self.webhooks)
        return VendorPipeline(context, handlers_for(contract, behaviour.handlers), self.faults,
                              self.config, self.pauses)

    def _install_default_faults(self) -> None:
        self.faults.set_rules([FaultRule.model_validate(r)
                               for r in default_rules(self.config.faults)])

    def mount_prefix(self, vendor: str) -> str:
        """The URL prefix a vendor is served under: its documented paths work below it."""
        if vendor in self.config.mounts:
            return self.config.mounts[vendor].rstrip("/")
        return f"/{vendor}{self.vendors[vendor].contract.server_path}"

    def stop(self) -> None:
        """The server is stopping: end every delay a request is waiting out, now and later."""
        self.pauses.stop()

    # -- names -------------------------------------------------------------------------------

    def check_vendor(self, vendor: str | None) -> None:
        """A vendor this mock serves (None: any)."""
        if vendor is not None:
            check_name("vendor", vendor, self.vendors, "served by this mock")

    def check_operation(self, operation: str | None, vendor: str | None = None) -> None:
        """An operationId of that vendor, or of any vendor served (None: any)."""
        self.check_vendor(vendor)
        if operation is None:
            return
        served = [self.vendors[vendor]] if vendor else list(self.vendors.values())
        check_name("operation", operation,
                   [op for runtime in served for op in runtime.contract.operations],
                   f"of {vendor}" if vendor else "of the vendors served")

    def check_scenario(self, scenario: Scenario) -> None:
        """A scenario's vendor, resource and outcome are ones some served lifecycle has."""
        self.check_vendor(scenario.vendor)
        lifecycles = [lifecycle for name, runtime in self.vendors.items()
                      if scenario.vendor in (None, name)
                      for lifecycle in runtime.contract.extensions.lifecycles.values()]
        if scenario.resource is not None:
            check_name("resource", scenario.resource,
                       [lifecycle.resource for lifecycle in lifecycles], "with a lifecycle")
            lifecycles = [lc for lc in lifecycles if lc.resource == scenario.resource]
        if scenario.outcome is not None:
            check_outcome(lifecycles, scenario.outcome)

    def add_stub(self, stub: Stub) -> Stub:
        """Answer the next `stub.times` calls of an operation with the stub's status and body,
        checked against the contract now (unless `stub.allow_violation`)."""
        self.check_operation(stub.operation, stub.vendor)
        owners = [name for name, runtime in self.vendors.items()
                  if stub.vendor in (None, name) and stub.operation in runtime.contract.operations]
        if len(owners) > 1:
            raise ValueError(f"{stub.operation} is an operation of {' and '.join(owners)}: "
                             "name the vendor")
        stub = stub.model_copy(update={"vendor": owners[0]})
        operation = self.vendors[owners[0]].contract.operations[stub.operation]
        return StubBook(self.store).add(stub, operation)

    def set_results(self, vendor: str, values: dict[str, Any], *,
                    allow_violation: bool = False) -> None:
        """What the vendor's runs started from now on return (its module's result slots)."""
        self.check_vendor(vendor)
        results = self.vendors[vendor].vendor.results
        if results is None:
            raise UnknownName(f"{vendor} result", next(iter(values), ""), [])
        results.set(values, allow_violation=allow_violation)

    def add_fault(self, rule: FaultRule) -> None:
        """Add a fault rule whose vendor and operation exist."""
        self.check_operation(rule.operation, rule.vendor)
        self.faults.add(rule)

    # -- state -------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every token, run, record, journal entry and fault; the clock runs real time."""
        self.store.clear()
        for runtime in self.vendors.values():
            if runtime.vendor.results is not None:
                runtime.vendor.results.forget()
        self._install_default_faults()

    def journal(self, limit: int = 100) -> list[JournalEntry]:
        return [JournalEntry.model_validate(e) for e in self.store.journal(limit)]

    def lifecycle(self, vendor: str, resource: str) -> Lifecycle:
        return self.vendors[vendor].contract.extensions.lifecycles[resource]

    def runs(self, vendor: str | None = None) -> list[Run]:
        """Every run of the vendors served, brought up to date with the clock (without counting
        as a poll); a store shared with an earlier server may hold runs of others."""
        self.check_vendor(vendor)
        now = self.clock.now()
        found = [Run.model_validate(value) for value in self.store.values(keys.RUNS)]
        return [advance(run, self.lifecycle(run.vendor, run.resource), now) for run in found
                if run.vendor in self.vendors and vendor in (None, run.vendor)]

    def run(self, vendor: str, run_id: str) -> Run:
        self.check_vendor(vendor)
        stored = self.store.get(keys.RUNS, keys.run_key(vendor, run_id))
        if stored is None:
            raise LookupError(f"no run {run_id!r} of {vendor}")
        run = Run.model_validate(stored)
        return advance(run, self.lifecycle(vendor, run.resource), self.clock.now())

    def force(self, vendor: str, run_id: str, state: str) -> Run:
        """Put a run in a state (and keep it there); a terminal run cannot be moved."""
        current = self.run(vendor, run_id)
        check_name("state", state, self.lifecycle(vendor, current.resource).states,
                   f"of {vendor}'s {current.resource}")
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

    def check_webhooks(self, events: list[str], vendor: str | None = None) -> None:
        """Webhook names the vendor's lifecycles send (None: any vendor served), so that a
        misspelled event in a subscription or a delivery fault is refused, not never matched."""
        served = [self.vendors[vendor]] if vendor in self.vendors else self.vendors.values()
        sent = {name for runtime in served
                for lifecycle in runtime.contract.extensions.lifecycles.values()
                if lifecycle.webhooks is not None for name in lifecycle.webhooks.when.values()}
        for event in events:
            check_name("webhook", event, sorted(sent),
                       f"sent by {vendor}" if vendor else "sent by the vendors served")

    def subscribe(self, subscription: WebhookSubscription, *, root: str = "http://localhost",
                  receiver_url: bool = False) -> Subscription:
        """Subscribe (`receiver_url`: to an in-process receiver's URL) and watch the vendor's
        live runs from now on; `root`: the server as its clients reach it (for body URLs)."""
        if subscription.vendor not in self.vendors:
            raise LookupError(f"no vendor {subscription.vendor!r}; this mock serves "
                              f"{', '.join(self.vendors)}")
        self.check_webhooks(subscription.events, subscription.vendor)
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
        self.check_scenario(scenario)
        self.scenarios.add(scenario)
