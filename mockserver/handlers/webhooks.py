"""When a run enters a state its lifecycle notifies about, queue the webhook, exactly once.

A run of a lifecycle that declares `webhooks` is watched from its creation (with the callback
its create request named — `Prefer: callback=`, or the body field the contract declares — and
where its client reached the server, for the body's URLs). Whoever
first sees it in a notifying state — a poll, a cancel, a forced state, or the sweep the clock's
advance and the background dispatcher run — stores that state and claims the notice in the
watch entry through `Store.update`; only the claimer renders the poll body and queues the
deliveries, so several workers looking at once queue one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contracts import pointers
from contracts.extensions import Lifecycle
from mockserver.engine.call import Call, VendorContext
from mockserver.engine.contract import Operation
from mockserver.engine.lifecycle import Run, advance
from mockserver.engine.preferences import NO_PREFERENCES
from mockserver.engine.validation import Inputs
from mockserver.storage import keys
from mockserver.storage.base import encode

__all__ = ["Render", "notify", "sweep", "watch", "watch_live"]

Render = Callable[[Call, Lifecycle, Run, Operation], Any]
"""How a run's poll body is made (`runs.run_body`, passed in: runs.py calls this module)."""


def watch(call: Call, lifecycle: Lifecycle, run: Run) -> None:
    """Start watching a new run of a lifecycle that notifies (called where runs are created),
    if anyone would be told: a subscription, or a callback the request names. A run created
    before the first subscription is watched from then on (`watch_live`)."""
    queue = call.vendor.webhooks
    if lifecycle.webhooks is None or queue is None:
        return
    callback = call.prefer.callback
    if callback is None and lifecycle.webhooks.callback is not None:
        named = pointers.get(call.inputs.body, lifecycle.webhooks.callback, None)
        callback = named if isinstance(named, str) and named else None
    if callback is None and not queue.has_subscriptions(call.vendor.name):
        return  # nobody to tell: creates pay no extra write
    _watch(call.vendor, lifecycle, run, call.root_url, call.prefix, callback)


def watch_live(vendor: VendorContext, root: str, prefix: str, now: float) -> int:
    """Watch every live run of the vendor's notifying lifecycles not watched yet (after a
    subscription is made); `root` and `prefix`: where a client reaches the vendor, for the
    URLs in the body. Returns how many."""
    watched = {v["id"] for v in vendor.store.values(keys.WEBHOOK_WATCH)
               if v["vendor"] == vendor.name}
    lifecycles = vendor.contract.extensions.lifecycles
    added = 0
    for value in vendor.store.values(keys.RUNS):
        run = Run.model_validate(value)
        lifecycle = lifecycles.get(run.resource)
        if run.vendor != vendor.name or run.id in watched or lifecycle is None \
                or lifecycle.webhooks is None \
                or advance(run, lifecycle, now).state in lifecycle.terminal:
            continue
        _watch(vendor, lifecycle, run, root, prefix, None)
        added += 1
    return added


def _watch(vendor: VendorContext, lifecycle: Lifecycle, run: Run, root: str, prefix: str,
           callback: str | None) -> None:
    # when it ends by time: as planned, or at the lifecycle's limit (a run planned by polls
    # ends only on a poll)
    limits = [s for s in (run.plan.seconds, lifecycle.max_seconds) if s is not None]
    due = run.created_at + min(limits) if limits else None
    vendor.store.put(keys.WEBHOOK_WATCH, run.key, {
        "vendor": run.vendor, "resource": run.resource, "id": run.id, "due": due,
        "root": root, "prefix": prefix, "callback": callback, "notified": []})


def notify(vendor: VendorContext, lifecycle: Lifecycle, run: Run, now: float, render: Render,
           call: Call | None = None) -> Run:
    """Queue the webhook for the state `run` is in at `now` unless someone already did; returns
    the run as stored. `call`: the request that found it, if any (its view renders the body)."""
    webhooks = lifecycle.webhooks
    if webhooks is None or vendor.webhooks is None:
        return run
    key = run.key
    stored = vendor.store.get(keys.WEBHOOK_WATCH, key)
    if stored is None:
        return run
    # the stored run brought up to `now`, so that polls show the state the webhook announced
    updated = vendor.store.update(keys.RUNS, key, lambda current: _advanced(
        lifecycle, current, now))
    run = Run.model_validate(updated) if updated else run
    event = webhooks.when.get(run.state)
    claimed: list[dict[str, Any]] = []

    def claim(current: dict[str, Any] | None) -> dict[str, Any] | None:
        claimed.clear()
        if current is None or event is None or run.state in current["notified"]:
            return None
        claimed.append(current)
        return {**current, "notified": [*current["notified"], run.state]}

    vendor.store.update(keys.WEBHOOK_WATCH, key, claim)
    if claimed:
        watched = claimed[0]
        poll = vendor.contract.operations[lifecycle.poll]
        seen = call if call is not None and call.operation.id == lifecycle.poll else \
            _synthetic_call(vendor, lifecycle, run, now, watched, call)
        body = render(seen, lifecycle, run, poll)
        assert event is not None
        vendor.webhooks.enqueue(
            vendor=vendor.name, tenant=run.owner, event=event, run_id=run.id,
            body=encode(body), now=now, callback=watched.get("callback"),
            headers={"signature": webhooks.signature.header, "id": webhooks.id_header,
                     "event": webhooks.event_header})
    if run.state in lifecycle.terminal:
        vendor.store.delete(keys.WEBHOOK_WATCH, key)
    return run


def sweep(vendor: VendorContext, now: float, render: Render) -> int:
    """Notify for every watched run of this vendor whose planned time has passed by `now`;
    returns how many runs were looked at."""
    looked = 0
    for watched in vendor.store.values(keys.WEBHOOK_WATCH):
        if watched["vendor"] != vendor.name or watched["due"] is None or watched["due"] > now:
            continue
        stored = vendor.store.get(keys.RUNS, keys.run_key(vendor.name, watched["id"]))
        lifecycle = vendor.contract.extensions.lifecycles.get(watched["resource"])
        if stored is None or lifecycle is None:
            vendor.store.delete(keys.WEBHOOK_WATCH, keys.run_key(vendor.name, watched["id"]))
            continue
        run = Run.model_validate(stored)
        if run.pinned:
            continue  # held in its state until forced on, which notifies by itself
        notify(vendor, lifecycle, advance(run, lifecycle, now), now, render)
        looked += 1
    return looked


def _advanced(lifecycle: Lifecycle, current: dict[str, Any] | None,
              now: float) -> dict[str, Any] | None:
    if current is None:
        return None
    run = Run.model_validate(current)
    moved = advance(run, lifecycle, now)
    return None if moved == run else moved.model_dump()


def _synthetic_call(vendor: VendorContext, lifecycle: Lifecycle, run: Run, now: float,
                    watched: dict[str, Any], call: Call | None) -> Call:
    """The poll the run's owner would make now, from where it reached the server."""
    root = call.root_url if call is not None else watched["root"]
    prefix = call.prefix if call is not None else watched["prefix"]
    request = Request(EnvironBuilder(base_url=root + prefix).get_environ())
    return Call(vendor, vendor.contract.operations[lifecycle.poll], Inputs(), run.owner,
                NO_PREFERENCES, now, request, prefix)


