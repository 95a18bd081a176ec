"""The generic handlers every contract gets without vendor code.

An OAuth2 token endpoint issues tokens; a lifecycle's create, poll and synchronous operations
start, read and finish runs; any other operation answers its first documented example. Bodies are
built from the contract's own examples, with the run's id, status and echoed input written in at
the places the lifecycle description names.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import contracts
from contracts import pointers
from contracts.extensions import Lifecycle
from mockserver.auth import AuthError
from mockserver.call import ApiError, Call, Handler, Reply
from mockserver.contract import Operation
from mockserver.lifecycle import (
    Run,
    advance,
    fingerprint,
    finish,
    make_plan,
    run_key,
    seeded_random,
)

if TYPE_CHECKING:
    from mockserver.engine import VendorRuntime

RUNS = "run"


def default_handler(vendor: VendorRuntime, operation: Operation) -> Handler:
    token = vendor.contract.token_operation()
    if token is not None and token[0] is operation:
        scheme = token[1]
        return lambda call: issue_token(call, scheme)
    for role, lifecycle in operation.lifecycle_roles:
        if role == "create":
            return lambda call, lc=lifecycle: start_run(call, lc, synchronous=False)
        if role == "synchronous":
            return lambda call, lc=lifecycle: start_run(call, lc, synchronous=True)
        if role == "poll":
            link = contracts.link_parameters(vendor.contract.document, lifecycle)
            return lambda call, lc=lifecycle: poll_run(call, lc, link)
    return documented_example


def issue_token(call: Call, scheme: dict[str, Any]) -> Reply:
    body = call.inputs.body
    try:
        token, lifetime = call.vendor.auth.issue_token(body["client_id"], body["client_secret"],
                                                       scheme)
    except AuthError as error:
        raise ApiError(401, str(error)) from None
    return Reply(200, {"access_token": token, "token_type": "Bearer",
                       "expires_in": int(lifetime)})


def documented_example(call: Call) -> Reply:
    status = call.operation.success_status()
    return Reply(status, call.operation.example(status))


def start_run(call: Call, lifecycle: Lifecycle, *, synchronous: bool) -> Reply:
    mock, vendor = call.mock, call.vendor
    wanted = mock.take_scenario(vendor.name, lifecycle.resource) or call.prefer
    request = {"path": call.inputs.path, "query": call.inputs.query, "body": call.inputs.body}
    uploads = [fingerprint(upload.filename, upload.data.hex()) for upload in call.inputs.uploads]
    rng = seeded_random(mock.config.seed, vendor.name, call.operation.id, request, uploads)
    run = Run(vendor=vendor.name, resource=lifecycle.resource, id=str(uuid.uuid4()),
              owner=call.identity, created_at=call.now,
              plan=make_plan(lifecycle, mock.config.timing, wanted, rng),
              state=lifecycle.initial, request=request)
    if vendor.behaviour.start is not None:
        run.data = vendor.behaviour.start(call, run, rng)
    if synchronous:
        run = finish(run, run.plan.outcome, call.now, _failure_reason(run, lifecycle))
    mock.store.put(RUNS, run.key, run.model_dump())
    status = call.operation.success_status()
    if synchronous:
        return Reply(status, run_body(call, lifecycle, run, call.operation))
    body = call.operation.example(status) or {}
    pointers.put(body, lifecycle.id.create, run.id)
    pointers.put(body, lifecycle.status.create, run.state)
    if vendor.behaviour.view is not None:
        body = vendor.behaviour.view(call, lifecycle, run, body)
    return Reply(status, body)


def poll_run(call: Call, lifecycle: Lifecycle, link: dict[str, str]) -> Reply:
    """`link`: the poll's path parameters as the create operation's link fills them."""
    mock, vendor = call.mock, call.vendor
    run_id = next(call.inputs.path[name] for name, expression in link.items()
                  if expression == f"$response.body#{lifecycle.id.create}")
    key = run_key(vendor.name, run_id)
    stored = mock.store.get(RUNS, key)
    run = Run.model_validate(stored) if stored else None
    if run is None or run.owner != call.identity or not _same_parent(call, run, link):
        raise ApiError(404, f"No {lifecycle.resource} {run_id!r} here")
    seen = run if run.state in lifecycle.terminal else _polled(lifecycle, run, call.now)
    if seen is not run and (run.plan.polls is not None or seen.state != run.state):
        # Only a poll that changes a live run writes, atomically: a GET stays a read otherwise.
        updated = mock.store.update(RUNS, key, lambda current: _polled(
            lifecycle, Run.model_validate(current), call.now).model_dump())
        seen = Run.model_validate(updated)
    return Reply(call.operation.success_status(),
                 run_body(call, lifecycle, seen, call.operation))


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
    for echo in lifecycle.echo:
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
    rule = lifecycle.fields.get(run.state)
    for pointer in rule.absent if rule else []:
        pointers.remove(body, pointer)
    if call.vendor.behaviour.view is not None:
        body = call.vendor.behaviour.view(call, lifecycle, run, body)
    return body


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
