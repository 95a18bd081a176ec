"""A lifecycle's create, poll and synchronous operations: they start, read and finish runs.

Bodies are built from the contract's own examples, with the run's id, status and echoed input
written in at the places the lifecycle description names.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from pydantic_core import from_json, to_json

import contracts
from contracts import pointers
from contracts.extensions import Lifecycle
from mockserver.engine.call import ApiError, Call, Handler, Key, Prefetching, Reply, VendorContext
from mockserver.engine.contract import Contract, Operation
from mockserver.engine.lifecycle import Run, advance, fingerprint, finish, make_plan, seeded_random
from mockserver.handlers.ended import EndedView, EndedViews
from mockserver.handlers.ids import IdMaker
from mockserver.handlers.paging import page
from mockserver.handlers.resources import timestamp
from mockserver.handlers.webhooks import notify, watch
from mockserver.storage import keys

__all__ = [
    "cancel_run",
    "lifecycle_handler",
    "list_runs",
    "poll_run",
    "run_body",
    "run_keys",
    "start_run",
]


def lifecycle_handler(contract: Contract, operation: Operation) -> Handler | None:
    """The handler of a lifecycle's create, synchronous, poll, cancel or list operation."""
    for role, lifecycle in operation.lifecycle_roles:
        if role in ("create", "synchronous"):
            return partial(start_run, lifecycle=lifecycle, synchronous=role == "synchronous",
                           new_id=IdMaker(_id_schema(operation, lifecycle),
                                          f"{operation.id}'s {lifecycle.id.create}"))
        link = contracts.link_parameters(contract.document, lifecycle)
        if role == "poll":  # reads its run in the request's first read
            return Prefetching(partial(poll_run, lifecycle=lifecycle, link=link,
                                       ended=EndedViews()),
                               partial(run_keys, lifecycle=lifecycle, link=link))
        if role == "cancel":
            return partial(cancel_run, lifecycle=lifecycle, link=link)
        if role == "list":
            return partial(list_runs, lifecycle=lifecycle)
    return None


def start_run(call: Call, *, lifecycle: Lifecycle, synchronous: bool, new_id: IdMaker) -> Reply:
    """Create a run whose plan (outcome, duration) is fixed now; answer its first view."""
    vendor = call.vendor
    wanted = vendor.scenarios.take(vendor.name, lifecycle.resource) or call.prefer
    request = {"path": call.inputs.path, "query": call.inputs.query, "body": call.inputs.body}
    uploads = [fingerprint(upload.filename, upload.data.hex()) for upload in call.inputs.uploads]
    rng = seeded_random(vendor.seed, vendor.name, call.operation.id, request, uploads)
    run = Run(vendor=vendor.name, resource=lifecycle.resource, id=new_id(),
              owner=call.identity, created_at=call.now,
              plan=make_plan(lifecycle, vendor.timing, wanted, rng),
              state=lifecycle.initial, request=request)
    if vendor.start is not None:
        run.data = vendor.start(call, run, rng)
    if synchronous:
        run = finish(run, run.plan.outcome, call.now, _failure_reason(run, lifecycle))
    vendor.store.put(keys.RUNS, run.key, run.model_dump())
    watch(call, lifecycle, run)
    status = call.operation.success_status()
    if synchronous:
        notify(vendor, lifecycle, run, call.now, run_body, call)
        return Reply(status, run_body(call, lifecycle, run, call.operation), run=run.id)
    body = call.operation.example(status) or {}
    pointers.put(body, lifecycle.id.create, run.id)
    pointers.put(body, lifecycle.status.create, run.state)
    response = call.operation.response_for(status)
    media = response.media.get("application/json") if response else None
    _fill(call, lifecycle, run, body, media.schema if media else {})
    if vendor.view is not None:
        body = vendor.view(call, lifecycle, run, body)
    return Reply(status, body, run=run.id)


def _id_schema(operation: Operation, lifecycle: Lifecycle) -> dict[str, Any] | None:
    """The schema of the run id in the create's success body, if it declares one."""
    response = operation.response_for(operation.success_status())
    media = response.media.get("application/json") if response else None
    return pointers.subschema(media.schema, lifecycle.id.create) if media else None


def poll_run(call: Call, *, lifecycle: Lifecycle, link: dict[str, str],
             ended: EndedViews) -> Reply:
    """The run as of now; `link`: the poll's path parameters as the create's link fills them;
    `ended`: the views of ended runs this worker has built."""
    vendor = call.vendor
    key, stored = _stored_run(call, lifecycle, link)
    if stored.get("state") in lifecycle.terminal:
        known = ended.find(call.operation.id, key, call.base_url, stored)
        if known is not None:
            _check_owner(call, lifecycle, known.run, link)
            return Reply(call.operation.success_status(), known.body, run=known.run.id,
                         encoded=known.encoded)
    run = _owned_run(call, lifecycle, stored, link)
    if run.state in lifecycle.terminal:
        snapshot = from_json(to_json(stored))  # the view below may share the stored values
        body = run_body(call, lifecycle, run, call.operation)
        view = EndedView(snapshot, run, body, to_json(body))
        ended.keep(call.operation.id, key, call.base_url, view)
        return Reply(call.operation.success_status(), body, run=run.id, encoded=view.encoded)
    seen = _polled(lifecycle, run, call.now)
    if run.plan.polls is not None or seen.state != run.state:
        # Only a poll that changes a live run writes, atomically: a GET stays a read otherwise.
        updated = vendor.store.update(keys.RUNS, key, lambda current: _polled(
            lifecycle, Run.model_validate(current), call.now).model_dump())
        seen = Run.model_validate(updated)
    if lifecycle.webhooks is not None and seen.state != run.state \
            and seen.state in lifecycle.webhooks.when:  # whoever stored a state notified it
        seen = notify(vendor, lifecycle, seen, call.now, run_body, call)
    return Reply(call.operation.success_status(),
                 run_body(call, lifecycle, seen, call.operation), run=seen.id)


def run_keys(path: dict[str, str], vendor: VendorContext, *, lifecycle: Lifecycle,
             link: dict[str, str]) -> list[Key]:
    """The store key of the run a poll's path names, so the pipeline reads it up front."""
    return [(keys.RUNS, keys.run_key(vendor.name, _run_id(path, lifecycle, link)))]


def cancel_run(call: Call, *, lifecycle: Lifecycle, link: dict[str, str]) -> Reply:
    """Move a live run to the cancelled state; a run that has ended answers the conflict."""
    key, _ = _find_run(call, lifecycle, link)
    cancelled = lifecycle.cancelled or lifecycle.failure
    ended: list[Run] = []

    def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
        run = advance(Run.model_validate(current), lifecycle, call.now)
        if run.state in lifecycle.terminal:
            ended.append(run)
            return None
        return finish(run, cancelled, call.now, "Cancelled by the client").model_dump()

    updated = call.vendor.store.update(keys.RUNS, key, change)
    if ended:
        raise ApiError(lifecycle.conflict, f"The {lifecycle.resource} {ended[0].id!r} has "
                                           f"already ended ({ended[0].state}); it cannot be "
                                           "cancelled")
    run = notify(call.vendor, lifecycle, Run.model_validate(updated), call.now, run_body, call)
    return Reply(call.operation.success_status(),
                 run_body(call, lifecycle, run, call.operation))


def list_runs(call: Call, *, lifecycle: Lifecycle) -> Reply:
    """The caller's runs of this lifecycle, newest first, paged as the contract says."""
    vendor, listing = call.vendor, lifecycle.listing
    assert listing is not None  # only list operations get this handler
    mine = [Run.model_validate(value) for value in vendor.store.values(keys.RUNS)]
    mine = [advance(run, lifecycle, call.now) for run in reversed(mine)
            if run.vendor == vendor.name and run.resource == lifecycle.resource
            and run.owner == call.identity]
    status = call.operation.success_status()
    body = call.operation.example(status) or {}
    shown = page(call, mine, listing.paging, body)
    poll = vendor.contract.operations[lifecycle.poll]
    pointers.put(body, listing.items, [run_body(call, lifecycle, run, poll) for run in shown])
    return Reply(status, body)


def _find_run(call: Call, lifecycle: Lifecycle, link: dict[str, str]) -> tuple[str, Run]:
    """The caller's run the path names: 404 for an unknown id, another tenant's, or one under
    another parent."""
    key, stored = _stored_run(call, lifecycle, link)
    return key, _owned_run(call, lifecycle, stored, link)


def _stored_run(call: Call, lifecycle: Lifecycle, link: dict[str, str]
                ) -> tuple[str, dict[str, Any]]:
    """The store key and stored value of the run the path names; 404 if there is none."""
    run_id = _run_id(call.inputs.path, lifecycle, link)
    key = keys.run_key(call.vendor.name, run_id)
    stored = call.read(keys.RUNS, key)
    if not isinstance(stored, dict):
        raise ApiError(404, f"No {lifecycle.resource} {run_id!r} here")
    return key, stored


def _owned_run(call: Call, lifecycle: Lifecycle, stored: dict[str, Any],
               link: dict[str, str]) -> Run:
    run = Run.model_validate(stored)
    _check_owner(call, lifecycle, run, link)
    return run


def _check_owner(call: Call, lifecycle: Lifecycle, run: Run, link: dict[str, str]) -> None:
    """Another tenant's run, or one under another parent, is not found: 404 as for no run."""
    if run.owner != call.identity or not _same_parent(call, run, link):
        raise ApiError(404, f"No {lifecycle.resource} {run.id!r} here")


def _run_id(path: dict[str, Any], lifecycle: Lifecycle, link: dict[str, str]) -> str:
    """The run id among a poll's or cancel's path parameters (a plain loop: every poll asks
    twice, once for the pipeline's first read and once in the handler)."""
    created = "$response.body#" + lifecycle.id.create
    run_id = None
    for name, expression in link.items():
        if expression == created:
            run_id = path.get(name)
            break
    if run_id is None and len(path) == 1:
        run_id = next(iter(path.values()))
    return str(run_id)


def _polled(lifecycle: Lifecycle, run: Run, now: float) -> Run:
    """The run as one more poll at `now` finds it."""
    counted = run.model_copy(update={"polls": run.polls + 1})
    moved = advance(counted, lifecycle, now)
    if moved.state == lifecycle.failure and moved.reason is None:
        moved.reason = _failure_reason(moved, lifecycle)
    return moved


def run_body(call: Call, lifecycle: Lifecycle, run: Run, operation: Operation) -> Any:
    """The poll view of a run: the contract's example for its state, made true for this run."""
    status = operation.success_status()
    poll = call.vendor.contract.operations[lifecycle.poll]
    body = operation.example(status, lifecycle.status.poll, run.state)
    if body is None:
        body = poll.example(poll.success_status(), lifecycle.status.poll, run.state) or {}
    pointers.put(body, lifecycle.id.poll, run.id)
    pointers.put(body, lifecycle.status.poll, run.state)
    _fill(call, lifecycle, run, body)
    rule = lifecycle.fields.get(run.state)
    for pointer in rule.absent if rule else []:
        pointers.remove(body, pointer)
    if call.vendor.view is not None:
        body = call.vendor.view(call, lifecycle, run, body)
    return body


def _fill(call: Call, lifecycle: Lifecycle, run: Run, body: Any,
          schema: dict[str, Any] | None = None) -> None:
    """Make an example body this run's: echoed input, timestamps, links back at the server.
    With the create response's `schema`, an echo goes only where that schema declares it (the
    echo is the poll's rule; a create body carries no field its schema leaves out)."""
    for echo in lifecycle.echo:
        if schema is not None and pointers.subschema(schema, echo.response) is None:
            continue
        value = pointers.evaluate(echo.expression, run.request)
        parent = pointers.get(body, pointers.parent(echo.response), None)
        if not isinstance(parent, dict):
            continue  # e.g. a result that is still null while the run is going
        if value is pointers.MISSING and echo.has_default:
            pointers.put(body, echo.response, echo.default)
        elif value is pointers.MISSING:
            pointers.remove(body, echo.response)
        else:
            pointers.put(body, echo.response, value)
    stamps = lifecycle.timestamps
    for pointer, moment in ((stamps.created, run.created_at), (stamps.started, run.started_at),
                            (stamps.finished, run.finished_at)):
        if pointer and isinstance(pointers.get(body, pointers.parent(pointer), None), dict):
            pointers.put(body, pointer, None if moment is None else timestamp(moment))
    for pointer, template in lifecycle.urls.items():
        if isinstance(pointers.get(body, pointers.parent(pointer), None), dict):
            pointers.put(body, pointer, template.format(base_url=call.base_url, id=run.id))


def _same_parent(call: Call, run: Run, link: dict[str, str]) -> bool:
    """A run is only found under the same parent ids (e.g. workflow) it was created under."""
    for name, expression in link.items():
        if expression.startswith("$request."):
            expected = pointers.evaluate(expression, run.request)
            if expected is not pointers.MISSING and call.inputs.path.get(name) != expected:
                return False
    return True


def _failure_reason(run: Run, lifecycle: Lifecycle) -> str | None:
    if run.plan.outcome != lifecycle.failure:
        return None
    return "The workflow failed while processing the input (simulated failure)"
