"""A handle a test drives one mock with: its clock, how runs end, what vendors answer (own
results, stubs), faults, and what clients sent (the journal, `verify`).

It works on the `Mock` object itself, so the same calls steer in-process interception and a live
server of that mock alike. The pytest plugin gives each test one (`vendor_mock`); `intercept()`
exposes one as `.handle`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal

from werkzeug.test import Client

from contracts.signatures import verify_signature
from mockserver.config import FaultKind, WebhookSubscription
from mockserver.engine.deliveries import Delivery, Subscription, WebhookFault
from mockserver.engine.dispatcher import Receiver, WebhookRequest
from mockserver.engine.faults import FaultRule
from mockserver.engine.journal import JournalEntry
from mockserver.engine.lifecycle import Run
from mockserver.engine.names import check_fault_kinds
from mockserver.engine.scenarios import Scenario
from mockserver.engine.stubs import Stub
from mockserver.mock import Mock
from mockserver.storage import JOURNAL_LIMIT
from mockserver.testing.verify import UNSET, RequestPattern, VerificationError
from mockserver.testing.virtual_time import VirtualTime, real_sleep

__all__ = ["ContractViolation", "MockHandle", "VerificationError", "describe"]


class ContractViolation(AssertionError):
    """A client sent requests that break the vendor's contract, and the test did not expect it."""


class MockHandle:
    """Drives one `Mock` from a test: clock, scenarios, results, stubs, faults, the journal."""

    def __init__(self, mock: Mock) -> None:
        self.mock = mock
        self._expected: set[int] = set()
        self._virtual: VirtualTime | None = None

    def reset(self) -> None:
        """Forget every token, run, fault and journal entry; the clock runs real time again."""
        self.mock.reset()
        self._expected.clear()

    # -- the clock ---------------------------------------------------------------------------

    def now(self) -> float:
        return self.mock.clock.now()

    def advance(self, seconds: float) -> float:
        """Move the mock's clock forward: runs progress and tokens age by that much (and,
        under virtual sleep, the process's clocks with it); runs that ended meanwhile queue
        their webhooks now."""
        if self._virtual is not None:
            now = self._virtual.advance(seconds)
        else:
            now = self.mock.clock.advance(seconds)
        self.mock.notify_due()
        return now

    def freeze(self) -> float:
        return self.mock.clock.freeze()

    def resume(self) -> float:
        return self.mock.clock.resume()

    @contextmanager
    def virtual_sleep(self, *, watchdog_seconds: float | None = 30.0
                      ) -> Iterator[VirtualTime]:
        """Freeze the mock's clock; inside, `time.time()`, `time.monotonic()` and
        `datetime.now()` read it, and `time.sleep(s)` / `asyncio.sleep(s)` (however imported)
        move it by `s` instead of waiting, as do the delays of `Prefer: latency` and latency
        faults, so a client's poll loop goes through a run's whole lifecycle at once. A block
        taking more than `watchdog_seconds` of real time fails with `VirtualTimeout`, naming
        where it was blocked (None: no watchdog)."""
        with VirtualTime(self.mock.clock, watchdog_seconds=watchdog_seconds) as virtual, \
                self.mock.pauses.waiting_with(virtual.advance):
            self._virtual = virtual
            try:
                yield virtual
            finally:
                self._virtual = None

    def expire_tokens(self) -> float:
        """Move the clock past the lifetime of every token issued so far, so the next call with
        one gets a 401; runs move on by the same time. Returns the seconds advanced."""
        lifetimes = [endpoint.lifetime_seconds for runtime in self.mock.vendors.values()
                     if (endpoint := runtime.contract.token_endpoint) is not None]
        if not lifetimes:
            raise LookupError("no vendor this mock serves issues expiring tokens")
        self.advance(max(lifetimes))
        return max(lifetimes)

    # -- runs --------------------------------------------------------------------------------

    def force_next(self, outcome: str | None = None, *, vendor: str | None = None,
                   resource: str | None = None, polls: int | None = None,
                   seconds: float | None = None, count: int = 1) -> None:
        """Make the next `count` runs end in `outcome` (`completed`/`success`, `failed`/`failure`
        or a terminal state's name), after `polls` polls or `seconds` of mock time, whatever
        clients ask. A name no lifecycle has raises `UnknownName`."""
        self.mock.queue(Scenario(vendor=vendor, resource=resource, outcome=outcome, polls=polls,
                                 seconds=seconds, count=count))

    def force(self, run_id: str, state: str, *, vendor: str | None = None) -> Run:
        """Put an existing run in `state` now (a terminal run cannot be moved)."""
        return self.mock.force(vendor or self.run(run_id).vendor, run_id, state)

    def runs(self, vendor: str | None = None) -> list[Run]:
        return self.mock.runs(vendor)

    def run(self, run_id: str, *, vendor: str | None = None) -> Run:
        if vendor is not None:
            return self.mock.run(vendor, run_id)
        found = [run for run in self.mock.runs() if run.id == run_id]
        if not found:
            raise LookupError(f"no run {run_id!r}")
        return found[0]

    # -- what vendors answer -----------------------------------------------------------------

    def results(self, vendor: str, *, allow_violation: bool = False, **values: Any) -> None:
        """What the vendor's runs started from now on return, e.g. `results("further",
        rows=[{"policy_number": {"value": "P-1", "confidence_score": 0.41}}])`: a value, or a
        function of the run's input. Checked against the contract now (a function's output
        when it is called); `allow_violation=True` lets a contract-breaking result through."""
        self.mock.set_results(vendor, values, allow_violation=allow_violation)

    def stub(self, operation: str, status: int, body: Any = None, *, times: int = 1,
             vendor: str | None = None, headers: dict[str, str] | None = None,
             allow_violation: bool = False) -> Stub:
        """Answer the next `times` calls of `operation` with `status` and `body` (after auth
        and validation, instead of the handler). Checked against the operation's declared
        responses now, unless `allow_violation=True`."""
        return self.mock.add_stub(Stub(operation=operation, vendor=vendor, status=status,
                                       body=body, headers=headers or {}, times=times,
                                       allow_violation=allow_violation))

    # -- faults ------------------------------------------------------------------------------

    def fault(self, *kinds: FaultKind | int, vendor: str | None = None,
              operation: str | None = None,
              nth: int | None = None, after: int = 0, times: int | None = None,
              rate: float = 1.0, retry_after: int = 1, latency_ms: int = 800) -> FaultRule:
        """Inject a fault into matching requests (`operation` is an operationId, e.g.
        `getWorkflowExecution`); `nth=3` fails exactly the third one."""
        if nth is not None:
            if after or times is not None:
                raise ValueError("give nth, or after/times, not both")
            after, times = nth - 1, 1
        rule = FaultRule(kinds=check_fault_kinds(kinds), vendor=vendor, operation=operation,
                         after=after, times=times, rate=rate, retry_after=retry_after,
                         latency_ms=latency_ms)
        self.mock.add_fault(rule)
        return rule

    # -- what clients sent -------------------------------------------------------------------

    def journal(self, *, vendor: str | None = None, operation: str | None = None
                ) -> list[JournalEntry]:
        """Every vendor request so far, oldest first, each with the contract's verdict."""
        self.mock.check_operation(operation, vendor)
        return [entry for _, entry in self._recorded()
                if vendor in (None, entry.vendor) and operation in (None, entry.operation)]

    def requests(self, vendor: str | None = None, operation: str | None = None
                 ) -> list[JournalEntry]:
        """What clients sent (and were answered), oldest first: query, headers with
        credentials masked, JSON or form body, uploaded parts' digests, response body."""
        return self.journal(vendor=vendor, operation=operation)

    def verify(self, operation: str | None = None, *, vendor: str | None = None,
               count: int | None = None, at_least: int | None = None,
               method: str | None = None, path: str | None = None, body: Any = UNSET,
               query: dict[str, Any] | None = None, headers: dict[str, Any] | None = None,
               where: Callable[[JournalEntry], bool] | None = None) -> list[JournalEntry]:
        """Assert clients sent matching requests: `count` exactly, `at_least` that many, or
        (neither given) at least one. `body`, `query` and `headers` match partially (a dict's
        keys given must match, a callable is a predicate); the failure shows the closest
        requests received. Returns the matching entries."""
        self.mock.check_operation(operation, vendor)
        pattern = RequestPattern(vendor=vendor, operation=operation, method=method, path=path,
                                 body=body, query=query, headers=headers, where=where)
        return pattern.verify([entry for _, entry in self._recorded()], count, at_least)

    def violations(self) -> list[JournalEntry]:
        """Requests that broke the contract and were not expected to."""
        return [entry for seq, entry in self._recorded()
                if entry.verdict == "violates" and seq not in self._expected]

    @contextmanager
    def expect_violations(self, match: str | None = None) -> Iterator[list[JournalEntry]]:
        """Requests made inside may break the contract, and at least one must (one whose broken
        rule matches the regex `match`, if given); yields the list of them once the block ends."""
        start = max((seq for seq, _ in self._recorded()), default=0)
        caught: list[JournalEntry] = []
        yield caught
        found = [(seq, entry) for seq, entry in self._recorded()
                 if seq > start and entry.verdict == "violates"]
        self._expected.update(seq for seq, _ in found)
        caught.extend(entry for _, entry in found)
        rules = [rule for entry in caught for rule in entry.violations]
        if not caught or (match and not any(re.search(match, rule) for rule in rules)):
            wanted = f" breaking a rule matching {match!r}" if match else ""
            seen = f"; broken rules seen: {rules}" if rules else ""
            raise ContractViolation(f"expected a request{wanted}, none was sent{seen}")

    def check_contract(self) -> None:
        """Raise ContractViolation naming every broken rule of unexpected violating requests."""
        unexpected = self.violations()
        if unexpected:
            raise ContractViolation(describe(unexpected))

    # -- webhooks ----------------------------------------------------------------------------

    def subscribe(self, target: str | Receiver, *, events: list[str] | None = None,
                  secret: str | None = None, tenant: str | None = None,
                  vendor: str | None = None) -> Subscription:
        """Send the webhooks of runs of `tenant` (a client id or key; every tenant if None) to
        `target`: an http(s) URL, or a callable taking a `WebhookRequest` and returning the
        status it answers (None: 200), called in this process."""
        name = vendor or self._webhook_vendor()
        if isinstance(target, str):
            return self.mock.subscribe(WebhookSubscription(
                vendor=name, url=target, events=events or [], secret=secret, tenant=tenant))
        url = f"python:{getattr(target, '__name__', 'receiver')}-{uuid.uuid4().hex[:8]}"
        self.mock.dispatcher.receivers[url] = target
        return self.mock.subscribe(WebhookSubscription.model_construct(
            vendor=name, url=url, tenant=tenant, events=events or [], secret=secret),
            receiver_url=True)

    def receive_webhooks(self, url_prefix: str, app: Any) -> None:
        """Deliver webhooks to URLs below `url_prefix` to a WSGI `app` (your own webhook
        receiver, e.g. a Flask app) in this process instead of over the network."""
        client = Client(app)

        def receiver(request: WebhookRequest) -> int:
            return client.post(request.url, data=request.body, headers=request.headers).status_code

        self.mock.dispatcher.receivers[url_prefix] = receiver

    def webhook_secret(self, tenant: str, *, vendor: str | None = None) -> str:
        """The secret `tenant`'s deliveries are signed with (unless a subscription sets one)."""
        return self.mock.webhooks.secret(vendor or self._webhook_vendor(), tenant)

    def dispatch(self) -> list[Delivery]:
        """Queue the webhooks of runs that ended by now and send every due delivery, in this
        thread, waiting for those the background dispatcher is sending; returns the deliveries
        attempted here."""
        sent = self.mock.deliver_due()
        # real waiting, bounded by count: under virtual time the clocks and sleeps are the mock's
        for _ in range(int((self.mock.config.webhooks.timeout_seconds + 1) / 0.01)):
            if not any(d.state == "sending" for d in self.mock.webhooks.deliveries()):
                break
            real_sleep(0.01)
            sent += self.mock.dispatcher.send_due()
        return sent

    def deliveries(self, *, vendor: str | None = None, event: str | None = None,
                   run_id: str | None = None) -> list[Delivery]:
        """Every delivery queued so far (oldest first), each with its attempts."""
        return [d for d in self.mock.webhooks.deliveries(vendor)
                if event in (None, d.event) and run_id in (None, d.run_id)]

    def webhook_fault(self, kind: Literal["drop", "delay", "duplicate", "reorder"], *,
                      count: int = 1, seconds: float = 0.0, vendor: str | None = None,
                      event: str | None = None) -> WebhookFault:
        """Drop, delay (by `seconds` of mock time), duplicate, or reorder (hold `count`, then
        send them newest first) the next `count` deliveries."""
        self.mock.check_vendor(vendor)
        self.mock.check_webhooks([event] if event else [], vendor)
        fault = WebhookFault(kind=kind, count=count, seconds=seconds, vendor=vendor, event=event)
        self.mock.webhooks.add_fault(fault)
        return fault

    verify_signature = staticmethod(verify_signature)

    def _webhook_vendor(self) -> str:
        sending = [name for name, runtime in self.mock.vendors.items()
                   if any(lc.webhooks for lc in runtime.contract.extensions.lifecycles.values())]
        if len(sending) != 1:
            raise ValueError(f"name the vendor (vendor=...): webhooks are sent by {sending}")
        return sending[0]

    def _recorded(self) -> list[tuple[int, JournalEntry]]:
        return [(value["seq"], JournalEntry.model_validate(value))
                for value in self.mock.store.journal(JOURNAL_LIMIT)]


def describe(entries: list[JournalEntry]) -> str:
    """One paragraph per request: what was sent and which rules of the contract it broke."""
    lines = [f"{len(entries)} request(s) broke the vendor's contract:"]
    for entry in entries:
        lines.append(f"  {entry.method} {entry.path} ({entry.vendor} "
                     f"{entry.operation or 'unknown operation'}) -> {entry.status}")
        lines += [f"    broke {rule}" for rule in entry.violations]
    lines.append("If the test means to send them, wrap the calls in `expect_violations()` or "
                 "mark the test `@pytest.mark.mock_allows_violations`.")
    return "\n".join(lines)
