"""Webhook subscriptions and the delivery queue, kept in the store so every worker shares them.

A delivery is queued once (the caller claims the run's notice atomically), claimed by exactly one
dispatcher through `Store.update` (pending -> sending, with a lease in real time so that a worker
that dies mid-send does not lose it), and finished by the answer: delivered on a 2xx, else due
again after an exponential backoff on the mock's clock, until its attempts are spent. Faults
(drop, delay, duplicate, reorder) wait in the store for the deliveries they apply to.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from mockserver.config import Webhooks, WebhookSubscription
from mockserver.engine.journal import JournalEntry
from mockserver.storage import Store, keys

__all__ = ["Attempt", "Delivery", "Subscription", "WebhookFault", "WebhookQueue", "same_tenant"]

LEASE_SECONDS = 5.0
"""How long past its timeout a claimed delivery stays with the worker that claimed it."""


def tenant_secret(seed: int, vendor: str, tenant: str | None) -> str:
    """A tenant's default signing secret: stable for a seed, different for every tenant."""
    digest = hashlib.sha256(f"{seed}:{vendor}:{tenant or ''}".encode()).hexdigest()
    return f"whsec_{digest[:32]}"


class Subscription(WebhookSubscription):
    """A subscription with its id (`config-N` for those of the configuration); its URL may
    also name an in-process receiver (`python:...`)."""

    id: str
    url: str


class Attempt(BaseModel):
    """One try at a delivery: what the receiver answered (status None: no answer) and when."""

    number: int
    at: float = Field(description="The mock's time when it was sent.")
    status: int | None
    latency_ms: float
    signature: str
    error: str | None = None


class Delivery(BaseModel):
    """One webhook to one receiver, with every attempt made so far."""

    id: str
    webhook_id: str = Field(description="The `Webhook-Id` header: a duplicate repeats it.")
    vendor: str
    tenant: str | None
    event: str
    run_id: str
    url: str
    secret: str
    body: str = Field(description="The JSON body exactly as sent (and signed).")
    headers: dict[str, str] = Field(description="Header names: signature, id, event.")
    state: Literal["held", "pending", "sending", "delivered", "failed", "dropped"] = "pending"
    created_at: float
    next_at: float
    order: int = 0
    lease_until: float | None = None
    attempts: list[Attempt] = Field(default_factory=list)


class WebhookFault(BaseModel):
    """Faults for the next `count` deliveries (of a vendor / webhook, or any): `drop` them,
    `delay` them by `seconds` of mock time, `duplicate` them, or `reorder` them (held until
    `count` have been queued, then sent newest first)."""

    kind: Literal["drop", "delay", "duplicate", "reorder"]
    vendor: str | None = None
    event: str | None = None
    count: int = Field(1, ge=1)
    seconds: float = Field(0.0, ge=0, allow_inf_nan=False)
    held: list[str] = Field(default_factory=list, description="reorder: deliveries held so far.")

    def matches(self, vendor: str, event: str) -> bool:
        return self.vendor in (None, vendor) and self.event in (None, event)


def same_tenant(named: str, identity: str | None) -> bool:
    """Whether a tenant as a user names it (`YOUR_CLIENT_ID`, or the mock's own identity
    `client:YOUR_CLIENT_ID` / `key:...`) is the caller `identity`."""
    return identity is not None and named in (identity, identity.partition(":")[2])


class WebhookQueue:
    """Subscriptions, queued deliveries and delivery faults of one mock."""

    def __init__(self, store: Store, config: Webhooks, seed: int) -> None:
        self._store = store
        self.config = config
        self._seed = seed

    # -- subscriptions -----------------------------------------------------------------------

    def subscribe(self, subscription: WebhookSubscription) -> Subscription:
        return self._add(Subscription(**subscription.model_dump(),
                                      id=f"whs_{uuid.uuid4().hex[:12]}"))

    def add_receiver(self, vendor: str, url: str, *, tenant: str | None = None,
                     events: list[str] | None = None, secret: str | None = None) -> Subscription:
        """A subscription to a URL no http(s) pattern allows (an in-process receiver's)."""
        return self._add(Subscription(vendor=vendor, url=url, tenant=tenant, events=events or [],
                                      secret=secret, id=f"whs_{uuid.uuid4().hex[:12]}"))

    def _add(self, subscription: Subscription) -> Subscription:
        # one value for all: every create asks whether anyone listens, and a single key is
        # served from the store's read cache
        self._store.update(*keys.WEBHOOK_SUBSCRIPTIONS, lambda current: {"subscriptions": [
            *(current or {}).get("subscriptions", []), subscription.model_dump()]})
        return subscription

    def unsubscribe(self, subscription_id: str) -> None:
        found: list[bool] = []

        def remove(current: dict[str, Any] | None) -> dict[str, Any] | None:
            found.clear()
            kept = [s for s in (current or {}).get("subscriptions", [])
                    if s["id"] != subscription_id]
            if len(kept) == len((current or {}).get("subscriptions", [])):
                return None
            found.append(True)
            return {"subscriptions": kept}

        self._store.update(*keys.WEBHOOK_SUBSCRIPTIONS, remove)
        if not found:
            raise LookupError(f"no webhook subscription {subscription_id!r} (those of the "
                              "configuration cannot be removed)")

    def _stored(self) -> list[dict[str, Any]]:
        return list((self._store.get(*keys.WEBHOOK_SUBSCRIPTIONS) or {}).get("subscriptions", []))

    def subscriptions(self, vendor: str | None = None) -> list[Subscription]:
        configured = [Subscription(**s.model_dump(), id=f"config-{i}")
                      for i, s in enumerate(self.config.subscriptions)]
        stored = [Subscription.model_validate(v) for v in self._stored()]
        return [s for s in configured + stored if vendor in (None, s.vendor)]

    def has_subscriptions(self, vendor: str) -> bool:
        """Whether anyone subscribed to this vendor's webhooks (so new runs must be watched)."""
        return any(s.vendor == vendor for s in self.config.subscriptions) or any(
            v["vendor"] == vendor for v in self._stored())

    def secret(self, vendor: str, tenant: str | None) -> str:
        """The tenant's signing secret: configured, else derived from the seed."""
        bare = (tenant or "").partition(":")[2] or (tenant or "")
        configured = self.config.secrets.get(tenant or "") or self.config.secrets.get(bare)
        return configured or tenant_secret(self._seed, vendor, bare)

    # -- queueing ----------------------------------------------------------------------------

    def enqueue(self, *, vendor: str, tenant: str | None, event: str, run_id: str, body: str,
                headers: dict[str, str], now: float, callback: str | None = None
                ) -> list[Delivery]:
        """Queue `event` for every subscription of the tenant that wants it, and `callback`."""
        targets = [(s.url, s.secret or self.secret(vendor, tenant))
                   for s in self.subscriptions(vendor)
                   if (s.tenant is None or same_tenant(s.tenant, tenant))
                   and (not s.events or event in s.events)]
        if callback:
            targets.append((callback, self.secret(vendor, tenant)))
        queued = []
        for url, secret in targets:
            webhook_id = f"whd_{uuid.uuid4().hex}"
            delivery = Delivery(id=webhook_id, webhook_id=webhook_id, vendor=vendor,
                                tenant=tenant, event=event, run_id=run_id, url=url,
                                secret=secret, body=body, headers=headers, created_at=now,
                                next_at=now, order=time.time_ns())
            queued += self._with_faults(delivery, now)
        return queued

    def _with_faults(self, delivery: Delivery, now: float) -> list[Delivery]:
        applied: list[WebhookFault] = []
        released: list[str] = []

        def take(current: dict[str, Any] | None) -> dict[str, Any] | None:
            applied.clear()
            released.clear()
            rules = [WebhookFault.model_validate(r) for r in (current or {}).get("rules", [])]
            rule = next((r for r in rules if r.matches(delivery.vendor, delivery.event)), None)
            if rule is None:
                return None
            applied.append(rule.model_copy())
            if rule.kind == "reorder":
                rule.held.append(delivery.id)
                if len(rule.held) >= rule.count:
                    released.extend(rule.held)
                    rules.remove(rule)
            else:
                rule.count -= 1
                if rule.count == 0:
                    rules.remove(rule)
            return {"rules": [r.model_dump() for r in rules]}

        self._store.update(*keys.WEBHOOK_FAULTS, take)
        fault = applied[0] if applied else None
        copies = [delivery]
        if fault is not None and fault.kind == "drop":
            delivery.state = "dropped"
            self._store.append_journal(JournalEntry(  # seen, though never sent
                time=now, vendor=delivery.vendor, method="POST", path=delivery.url,
                operation=delivery.event, status=0, verdict="conforms", identity=delivery.tenant,
                kind="webhook", delivery=delivery.webhook_id, attempt=0,
                error="dropped by a webhook fault").model_dump_json())
        elif fault is not None and fault.kind == "delay":
            delivery.next_at = now + fault.seconds
        elif fault is not None and fault.kind == "duplicate":
            copies.append(delivery.model_copy(update={"id": f"{delivery.id}-copy",
                                                      "order": delivery.order + 1}))
        elif fault is not None and fault.kind == "reorder":
            delivery.state = "held"
        for copy in copies:
            self._store.put(keys.WEBHOOK_DELIVERIES, copy.id, copy.model_dump())
            if copy.state != "dropped":
                self._store.put(keys.WEBHOOK_DUE, copy.id, {"id": copy.id})
        if released:
            self._release(released, now)
        return copies

    def _release(self, held: list[str], now: float) -> None:
        """Held deliveries due now, the newest first."""
        for rank, delivery_id in enumerate(reversed(held)):
            def release(current: dict[str, Any] | None, rank: int = rank) -> dict[str, Any] | None:
                return {**current, "state": "pending", "next_at": now, "order": rank} \
                    if current else None

            self._store.update(keys.WEBHOOK_DELIVERIES, delivery_id, release)

    # -- dispatching -------------------------------------------------------------------------

    def due(self, now: float) -> list[Delivery]:
        """Deliveries that may be sent at `now`, in the order to send them."""
        ids = [(keys.WEBHOOK_DELIVERIES, v["id"]) for v in self._store.values(keys.WEBHOOK_DUE)]
        found = [Delivery.model_validate(v) for v in self._store.get_many(ids).values() if v]
        wall = time.time()
        ready = [d for d in found if (d.state == "pending" and d.next_at <= now)
                 or (d.state == "sending" and (d.lease_until or 0) < wall)]
        return sorted(ready, key=lambda d: (d.next_at, d.order))

    def claim(self, delivery_id: str, now: float) -> Delivery | None:
        """Take a due delivery for this worker alone; None if another took it first."""
        mine: list[Delivery] = []
        wall = time.time()

        def take(current: dict[str, Any] | None) -> dict[str, Any] | None:
            mine.clear()
            if current is None:
                return None
            delivery = Delivery.model_validate(current)
            free = (delivery.state == "pending" and delivery.next_at <= now) or \
                (delivery.state == "sending" and (delivery.lease_until or 0) < wall)
            if not free:
                return None
            delivery.state = "sending"
            delivery.lease_until = wall + self.config.timeout_seconds + LEASE_SECONDS
            mine.append(delivery)
            return delivery.model_dump()

        self._store.update(keys.WEBHOOK_DELIVERIES, delivery_id, take)
        return mine[0] if mine else None

    def record(self, delivery: Delivery, attempt: Attempt, now: float) -> Delivery:
        """Finish an attempt: delivered on a 2xx, else due again after the backoff, or failed
        once the attempts are spent."""
        delivery.attempts.append(attempt)
        delivery.lease_until = None
        if attempt.status is not None and 200 <= attempt.status < 300:
            delivery.state = "delivered"
        elif len(delivery.attempts) >= self.config.attempts:
            delivery.state = "failed"
        else:
            delivery.state = "pending"
            delivery.next_at = now + self.config.backoff_seconds * 2 ** (len(delivery.attempts) - 1)
        self._store.put(keys.WEBHOOK_DELIVERIES, delivery.id, delivery.model_dump())
        if delivery.state in ("delivered", "failed"):
            self._store.delete(keys.WEBHOOK_DUE, delivery.id)
        return delivery

    def deliveries(self, vendor: str | None = None) -> list[Delivery]:
        """Every delivery queued so far, oldest first."""
        found = [Delivery.model_validate(v) for v in self._store.values(keys.WEBHOOK_DELIVERIES)]
        return [d for d in found if vendor in (None, d.vendor)]

    # -- faults ------------------------------------------------------------------------------

    def add_fault(self, fault: WebhookFault) -> None:
        self._store.update(*keys.WEBHOOK_FAULTS, lambda current: {
            "rules": [*(current or {}).get("rules", []), fault.model_dump()]})

    def faults(self) -> list[WebhookFault]:
        stored = self._store.get(*keys.WEBHOOK_FAULTS) or {}
        return [WebhookFault.model_validate(r) for r in stored.get("rules", [])]

    def clear_faults(self) -> None:
        self._store.put(*keys.WEBHOOK_FAULTS, {"rules": []})
