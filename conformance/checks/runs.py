"""`runs`: what `x-lifecycles` says beyond create and poll. A cancel moves a live run to the
cancelled state and answers that run, a run that has ended answers the declared conflict and an
unknown id 404; a list of runs shows the runs the client created, newest first, through every
page of its paging without overlap or gap; the URLs a run's body hands out (`urls`) lead to that
run; created bodies echo the request."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import requests
import schemathesis

import contracts
from conformance.checks.common import (
    body_of,
    draw,
    fixed_parameters,
    judge,
    load_schema,
    operations_by_id,
    send,
)
from conformance.checks.parents import parent_ids
from conformance.findings import Results
from conformance.profiles import Profile
from conformance.target import Target, json_or_none
from contracts import invariants, pointers
from contracts.extensions import CursorPaging, Lifecycle, Pagination

__all__ = ["CHECK", "applies", "run_runs"]

CHECK = "runs"
MAX_PAGES = 50


def applies(target: Target) -> bool:
    """Only contracts whose lifecycles declare a cancel, a list or URLs give this family work."""
    return any(lc.cancel or lc.listing or lc.urls for lc in target.extensions.lifecycles.values())


def run_runs(target: Target, results: Results, profile: Profile) -> None:
    operations = operations_by_id(load_schema(target))
    for lifecycle in target.extensions.lifecycles.values():
        target.parameters.update(parent_ids(target, operations[lifecycle.create], operations))
        created = [_create(target, results, lifecycle, operations, target.options.seed + index)
                   for index in range(3)]
        runs = [run for run in created if run is not None]
        if not runs:
            continue
        poll = operations[lifecycle.poll].definition.raw
        for run_id, body in runs:
            _follow_urls(target, results, lifecycle, run_id, body, poll)
        if lifecycle.listing is not None:
            _listing(target, results, lifecycle, operations, [run_id for run_id, _ in runs])
        if lifecycle.cancel is not None:
            _cancel(target, results, lifecycle, operations, runs[0][0])


def _create(target: Target, results: Results, lifecycle: Lifecycle,
            operations: dict[str, Any], seed: int) -> tuple[str, Any] | None:
    create = operations[lifecycle.create]
    case = draw(create.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE), seed)
    case.path_parameters = fixed_parameters(target, case.path_parameters)
    headers = dict(target.auth_headers(create.definition.raw))
    response = send(target, case, headers)
    if response is None or not judge(target, results, CHECK, case, response, headers) \
            or not 200 <= response.status_code < 300:
        return None
    body = json_or_none(response)
    run_id = pointers.get(body, lifecycle.id.create, None)
    if not isinstance(run_id, str):
        return None
    results.did(CHECK, "runs created")
    request = {"path": dict(case.path_parameters or {}), "query": dict(case.query or {}),
               "body": body_of(case)}
    for problem in invariants.echo_problems(lifecycle, request, body):
        results.failed(CHECK, create.label, "a created run echoes its request", problem,
                       target.exchange(response))
    return run_id, body


def _path_of(target: Target, url: str) -> str | None:
    """The path below the base URL that `url` addresses; None if it is not below the base
    path. The origin is not compared: a server behind a proxy or a load balancer names its
    public host, which the suite may reach by another name (as in the hypermedia family, a URL
    is followed at the base URL by its path)."""
    base = urlsplit(target.base_url)
    parts = urlsplit(url)
    if not parts.path.startswith(base.path):
        return None
    return parts.path[len(base.path):] + (f"?{parts.query}" if parts.query else "")


def _follow_urls(target: Target, results: Results, lifecycle: Lifecycle, run_id: str,
                 body: Any, poll: dict[str, Any]) -> None:
    """A URL handed out for the client to follow leads to this run, at this implementation."""
    for pointer in lifecycle.urls:
        url = pointers.get(body, pointer, None)
        if not isinstance(url, str):
            results.failed(CHECK, lifecycle.create, "a run's body carries its declared URLs",
                           f"no URL at {pointer}")
            continue
        if pointer.endswith("cancel"):
            continue  # following it would cancel the run; _cancel uses it
        path = _path_of(target, url)
        if path is None:
            results.failed(CHECK, lifecycle.create, "a handed-out URL points at the server",
                           f"{pointer} is {url!r}, not below {target.base_url}")
            continue
        response = target.request("GET", path, headers=target.auth_headers(poll))
        if response.status_code != 200 or \
                pointers.get(json_or_none(response), lifecycle.id.poll, None) != run_id:
            results.failed(CHECK, lifecycle.create, "a handed-out URL addresses the run named",
                           f"{pointer} {url} answered {response.status_code} for another run "
                           f"than {run_id}", target.exchange(response))
            continue
        results.did(CHECK, "URLs followed")
        results.passed(CHECK, lifecycle.create)


def _listing(target: Target, results: Results, lifecycle: Lifecycle,
             operations: dict[str, Any], made: list[str]) -> None:
    listing = lifecycle.listing
    assert listing is not None
    operation = operations[listing.operation]
    path: str | None = operation.path
    seen: list[str] = []
    for _ in range(MAX_PAGES):
        if path is None:
            break
        response = target.request("GET", path, headers=target.auth_headers(
            operation.definition.raw))
        if response.status_code != 200:
            results.failed(CHECK, operation.label, "a list of runs answers 200",
                           f"answered {response.status_code}", target.exchange(response))
            return
        body = json_or_none(response)
        items = pointers.get(body, listing.items, None)
        if not isinstance(items, list):
            results.failed(CHECK, operation.label, "a list of runs carries them where declared",
                           f"no array at {listing.items}", target.exchange(response))
            return
        ids = [pointers.get(item, lifecycle.id.poll, None) for item in items]
        overlap = set(ids) & set(seen)
        if overlap:
            results.failed(CHECK, operation.label, "pages never repeat a run",
                           f"{sorted(map(str, overlap))} listed twice", target.exchange(response))
            return
        seen += [str(i) for i in ids]
        path = _next_page(target, results, operation, listing.paging, body, len(seen), response)
    missing = [run_id for run_id in made if run_id not in seen]
    if missing:
        results.failed(CHECK, operation.label, "a list of runs shows the runs created",
                       f"created {missing} are not listed")
        return
    order = [seen.index(run_id) for run_id in made]
    if order != sorted(order, reverse=True):
        results.failed(CHECK, operation.label, "runs are listed newest first",
                       f"created in the order {made}, listed in the order "
                       f"{[seen[i] for i in sorted(order)]}")
        return
    results.did(CHECK, "lists read")
    results.passed(CHECK, operation.label)


def _next_page(target: Target, results: Results, operation: Any,
               paging: Pagination | CursorPaging | None, body: Any, seen: int,
               response: requests.Response) -> str | None:
    if isinstance(paging, CursorPaging):
        url = pointers.get(body, paging.next, None)
        if url is None:
            return None
        path = _path_of(target, str(url))
        if path is None:
            results.failed(CHECK, operation.label, "a next page's URL points at the server",
                           f"next is {url!r}", target.exchange(response))
        return path
    if isinstance(paging, Pagination):
        block = pointers.get(body, paging.block, None)
        if isinstance(block, dict) and block.get(paging.fields["has_more"]):
            return f"{operation.path}?{paging.offset}={seen}"
    return None


def _cancel(target: Target, results: Results, lifecycle: Lifecycle,
            operations: dict[str, Any], run_id: str) -> None:
    cancel = operations[lifecycle.cancel or ""]
    link = contracts.link_parameters(target.document, lifecycle)
    id_name = next(name for name, expression in link.items()
                   if expression == f"$response.body#{lifecycle.id.create}")
    path_of = {**target.parameters, id_name: run_id}

    def cancel_path(identifier: str) -> str:
        path = cancel.path
        for name, value in {**path_of, id_name: identifier}.items():
            path = path.replace("{" + name + "}", requests.utils.quote(str(value), safe=""))
        return path

    headers = target.auth_headers(cancel.definition.raw)
    first = target.request(cancel.method.upper(), cancel_path(run_id), headers=headers)
    body = json_or_none(first)
    state = pointers.get(body, lifecycle.status.poll, None)
    if first.status_code == lifecycle.conflict:
        results.skipped(CHECK, cancel.label, "the run ended before it could be cancelled")
    elif not 200 <= first.status_code < 300 or state != lifecycle.cancelled or \
            pointers.get(body, lifecycle.id.poll, None) != run_id:
        results.failed(CHECK, cancel.label, "cancelling a live run answers it, cancelled",
                       f"answered {first.status_code} with status {state!r} for "
                       f"{pointers.get(body, lifecycle.id.poll, None)!r}; expected "
                       f"{lifecycle.cancelled!r} for {run_id!r}", target.exchange(first))
        return
    else:
        results.did(CHECK, "runs cancelled")
    again = target.request(cancel.method.upper(), cancel_path(run_id), headers=headers)
    if again.status_code != lifecycle.conflict:
        results.failed(CHECK, cancel.label, "cancelling a run that has ended answers the "
                       "declared conflict", f"answered {again.status_code}, expected "
                       f"{lifecycle.conflict}", target.exchange(again))
        return
    unknown = target.request(cancel.method.upper(), cancel_path(_unknown_id(run_id)),
                             headers=headers)
    if unknown.status_code != 404:
        results.failed(CHECK, cancel.label, "cancelling an unknown run answers 404",
                       f"answered {unknown.status_code}", target.exchange(unknown))
        return
    results.passed(CHECK, cancel.label)


def _unknown_id(like: str) -> str:
    """An id of the same shape as a real one that no run has."""
    fresh = uuid.uuid4().hex
    return "".join(fresh[i % len(fresh)] if c.isalnum() else c for i, c in enumerate(like))
