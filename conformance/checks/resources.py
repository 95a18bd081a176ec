"""Stored resources behave as `x-resources` says: what is created can be read back as created,
is listed (with consistent paging), shows its updates, is gone once deleted, and another tenant
can neither read nor list it."""

from __future__ import annotations

from typing import Any

import requests
import schemathesis

from conformance.checks.common import (
    fixed_parameters,
    judge,
    load_schema,
    operations_by_id,
    send,
)
from conformance.checks.generated import draw
from conformance.findings import Results
from conformance.profiles import Profile
from conformance.target import Target, json_or_none
from contracts import pointers
from contracts.extensions import Pagination, Resource

CHECK = "resources"
MAX_PAGES = 50


def run_resources(target: Target, results: Results, profile: Profile) -> None:
    described = target.extensions.resources
    if not described.items:
        return
    operations = operations_by_id(load_schema(target))
    for resource in described.items.values():
        if resource.parent is not None or not (resource.create and resource.read):
            continue
        for attempt in range(max(1, profile.lifecycle_runs // 2)):
            _round_trip(target, results, operations, resource, target.options.seed + attempt)


def _round_trip(target: Target, results: Results, operations: dict[str, Any],
                resource: Resource, seed: int) -> None:
    create = operations[resource.create]
    case = _valid(target, create, seed)
    response = _call(target, results, create, case)
    if response is None or not 200 <= response.status_code < 300:
        return
    created = pointers.get(json_or_none(response), resource.envelope, None)
    record_id = created.get(resource.id.field) if isinstance(created, dict) else None
    if not isinstance(record_id, str):
        results.failed(CHECK, create.label, "a created resource carries its id",
                       f"no {resource.id.field!r} at {resource.envelope}",
                       target.exchange(response))
        return
    results.did(CHECK, "resources created")
    read = operations[resource.read]
    item = _read(target, results, read, resource, record_id, expect_found=True)
    if item is None:
        return
    results.did(CHECK, "resources read back")
    sent = case.body if isinstance(case.body, dict) else {}
    for name, value in sent.items():
        if name in item and isinstance(value, str | int | float | bool) and item[name] != value:
            results.failed(CHECK, read.label, "what is created is read back as created",
                           f"{name} was created as {value!r} but reads {item[name]!r}")
    if resource.list and _listed(target, results, operations[resource.list], resource,
                                 record_id) is False:
        results.failed(CHECK, operations[resource.list].label, "a created resource is listed",
                       f"{record_id} is in no page of the list")
    if resource.update:
        _updated(target, results, operations, resource, record_id, seed)
    if target.options.other_token is not None:
        other = target.auth_headers(read.definition.raw, tenant="other")
        foreign = target.request("GET", _item_path(read, resource, record_id), headers=other)
        if 200 <= foreign.status_code < 300:
            results.failed(CHECK, read.label, "one client never sees another's resources",
                           "another tenant's token read this resource", target.exchange(foreign))
        if resource.list and _listed(target, results, operations[resource.list], resource,
                                     record_id, tenant="other"):
            results.failed(CHECK, operations[resource.list].label,
                           "one client never sees another's resources",
                           f"another tenant's list shows {record_id}")
    if resource.delete:
        remove = operations[resource.delete]
        removal = _call(target, results, remove, remove.Case(
            path_parameters={resource.id.parameter or "id": record_id}))
        if removal is not None and 200 <= removal.status_code < 300:
            _read(target, results, read, resource, record_id, expect_found=False)


def _read(target: Target, results: Results, read: Any, resource: Resource, record_id: str,
          expect_found: bool) -> dict[str, Any] | None:
    case = read.Case(path_parameters={resource.id.parameter or "id": record_id})
    response = _call(target, results, read, case)
    if response is None:
        return None
    if expect_found and response.status_code != 200:
        results.failed(CHECK, read.label, "what is created can be read",
                       f"reading {record_id} answered {response.status_code}",
                       target.exchange(response))
        return None
    if not expect_found and response.status_code != 404:
        results.failed(CHECK, read.label, "resources are unavailable after deletion",
                       f"reading deleted {record_id} answered {response.status_code}",
                       target.exchange(response))
        return None
    item = pointers.get(json_or_none(response), resource.envelope, None)
    return item if isinstance(item, dict) else None


def _listed(target: Target, results: Results, listing: Any, resource: Resource,
            record_id: str, tenant: str = "main") -> bool | None:
    """Whether `tenant`'s list shows the record; None if the list could not be read."""
    paging = target.extensions.resources.pagination
    pagination = paging if isinstance(paging, Pagination) else None  # cursor: one page read
    declared = {p.name for p in listing.query}
    offset, found = 0, False
    for _ in range(MAX_PAGES):
        query = {}
        if pagination is not None and pagination.offset in declared:
            query[pagination.offset] = offset
        response = _call(target, results, listing, listing.Case(query=query), tenant)
        if response is None or response.status_code != 200:
            return None
        body = json_or_none(response)
        page = pointers.get(body, resource.envelope, None) or []
        found = found or any(isinstance(i, dict) and i.get(resource.id.field) == record_id
                             for i in page)
        block = pointers.get(body, pagination.block, None) if pagination else None
        if not isinstance(block, dict) or pagination is None:
            break
        fields = {str(key): name for key, name in pagination.fields.items()}
        if not _consistent_page(target, results, listing, fields, block, len(page),
                                offset, response):
            return None
        if found or not block.get(pagination.fields["has_more"]) or not page:
            break
        offset += len(page)
    return found


def _consistent_page(target: Target, results: Results, listing: Any, fields: dict[str, str],
                     block: dict[str, Any], size: int, offset: int,
                     response: requests.Response) -> bool:
    total, more = block.get(fields["total"]), block.get(fields["has_more"])
    if not isinstance(total, int) or block.get(fields["offset"]) != offset or \
            more != (offset + size < total) or size > block.get(fields["limit"], size):
        results.failed(CHECK, listing.label, "the pagination block describes the page",
                       f"page of {size} at offset {offset}: {block}", target.exchange(response))
        return False
    return True


def _updated(target: Target, results: Results, operations: dict[str, Any], resource: Resource,
             record_id: str, seed: int) -> None:
    change = operations[resource.update]
    case = _valid(target, change, seed)
    case.path_parameters = {resource.id.parameter or "id": record_id}
    response = _call(target, results, change, case)
    if response is None or not 200 <= response.status_code < 300:
        return
    item = _read(target, results, operations[resource.read], resource, record_id, True)
    for name, value in (case.body if isinstance(case.body, dict) else {}).items():
        if item is not None and name in item and isinstance(value, str | int | bool) \
                and item[name] != value:
            results.failed(CHECK, change.label, "an update is reflected when read",
                           f"{name} was updated to {value!r} but reads {item[name]!r}")


def _valid(target: Target, operation: Any, seed: int) -> Any:
    case = draw(operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE), seed)
    case.path_parameters = fixed_parameters(target, case.path_parameters)
    return case


def _call(target: Target, results: Results, operation: Any, case: Any, tenant: str = "main"
          ) -> requests.Response | None:
    headers = target.auth_headers(operation.definition.raw, tenant)
    response = send(target, case, headers)
    if response is not None and not judge(target, results, CHECK, case, response, headers):
        return None
    return response


def _item_path(read: Any, resource: Resource, record_id: str) -> str:
    return read.path.replace("{" + (resource.id.parameter or "id") + "}", record_id)
