"""Stored resources behave as `x-resources` says: what is created can be read back as created,
is listed (with consistent paging), shows its updates, is gone once deleted, and another tenant
can neither read nor list it."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis import APIOperation, Case, Response

from conformance.checks import listing as listing_checks
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
from contracts.extensions import Resource

__all__ = ["run_resources"]

CHECK = "resources"
LISTED_AT_LEAST = 3  # items a list needs before paging through it one by one shows anything


def run_resources(target: Target, results: Results, profile: Profile) -> None:
    """Round trips for every top-level resource, then its list, then its deletion."""
    described = target.extensions.resources
    if not described.items:
        return
    operations = operations_by_id(load_schema(target))
    for resource in described.items.values():
        if resource.parent is not None or not (resource.create and resource.read):
            continue
        created = [record for attempt in range(max(1, profile.lifecycle_runs // 2))
                   if (record := _round_trip(target, results, operations, resource,
                                             target.options.seed + attempt)) is not None]
        if resource.list:
            created += _lists(target, results, operations, resource, created)
        if resource.delete:
            _deletes(target, results, operations, resource, created)


def _round_trip(target: Target, results: Results, operations: dict[str, APIOperation],
                resource: Resource, seed: int) -> str | None:
    """Create one resource, read it back as created, update it, and keep other tenants out;
    its id, or None if it could not be created."""
    made = _create(target, results, operations, resource, seed)
    if made is None:
        return None
    record_id, case = made
    read = operations[resource.read or ""]
    item, response = _read(target, results, read, resource, record_id, expect_found=True)
    if item is None or response is None:
        return record_id
    results.did(CHECK, "resources read back")
    for name, value in (case.body if isinstance(case.body, dict) else {}).items():
        if name in item and isinstance(value, str | int | float | bool) and item[name] != value:
            results.failed(CHECK, read.label, "what is created is read back as created",
                           f"{name} was created as {value!r} but reads {item[name]!r}",
                           target.exchange(response))
    if resource.update:
        _updated(target, results, operations, resource, record_id, seed)
    if target.options.other_token is not None:
        other = target.auth_headers(read.definition.raw, tenant="other")
        foreign = target.request("GET", _item_path(read, resource, record_id), headers=other)
        if 200 <= foreign.status_code < 300:
            results.failed(CHECK, read.label, "one client never sees another's resources",
                           "another tenant's token read this resource", target.exchange(foreign))
    return record_id


def _create(target: Target, results: Results, operations: dict[str, APIOperation],
            resource: Resource, seed: int) -> tuple[str, Case] | None:
    """A new resource from generated valid input: its id and the case that created it."""
    create = operations[resource.create or ""]
    case = _valid(target, create, seed)
    response = _call(target, results, create, case)
    if response is None or not 200 <= response.status_code < 300:
        return None
    created = pointers.get(json_or_none(response), resource.envelope, None)
    record_id = created.get(resource.id.field) if isinstance(created, dict) else None
    if not isinstance(record_id, str):
        results.failed(CHECK, create.label, "a created resource carries its id",
                       f"no {resource.id.field!r} at {resource.envelope}",
                       target.exchange(response))
        return None
    results.did(CHECK, "resources created")
    return record_id, case


def _lists(target: Target, results: Results, operations: dict[str, APIOperation],
           resource: Resource, created: list[str]) -> list[str]:
    """List checks over what was created (creating a few more so that paging shows something);
    the ids of the extra resources."""
    listing = operations[resource.list or ""]
    whole = listing_checks.walk(target, results, listing, resource)
    extra: list[str] = []
    while whole is not None and len(whole.items) < LISTED_AT_LEAST and len(extra) < 3:
        made = _create(target, results, operations, resource,
                       target.options.seed + 1000 + len(extra))
        if made is None:
            break
        extra.append(made[0])
        whole = listing_checks.walk(target, results, listing, resource)
    if whole is None:
        return extra
    listed = set(map(str, whole.ids(resource.id.field)))
    missing = [record_id for record_id in [*created, *extra] if record_id not in listed]
    if missing:
        results.failed(CHECK, listing.label, "a created resource is listed",
                       f"{missing[0]} is in no page of the list", target.exchange(whole.last))
    listing_checks.check_paging(target, results, listing, resource, whole)
    listing_checks.check_filters(target, results, listing, resource, whole)
    if target.options.other_token is not None:
        foreign = listing_checks.walk(target, results, listing, resource, tenant="other")
        leaked = [i for i in map(str, foreign.ids(resource.id.field)) if i in listed] \
            if foreign is not None else []
        if foreign is not None and leaked:
            results.failed(CHECK, listing.label, "one client never sees another's resources",
                           f"another tenant's list shows {leaked[0]}",
                           target.exchange(foreign.last))
    return extra


def _deletes(target: Target, results: Results, operations: dict[str, APIOperation],
             resource: Resource, created: list[str]) -> None:
    """What is deleted can be neither read nor listed any more."""
    remove, read = operations[resource.delete or ""], operations[resource.read or ""]
    gone = []
    for record_id in created:
        removal = _call(target, results, remove, remove.Case(
            path_parameters={resource.id.parameter or "id": record_id}))
        if removal is not None and 200 <= removal.status_code < 300:
            gone.append(record_id)
            _read(target, results, read, resource, record_id, expect_found=False)
    if not gone or not resource.list:
        return
    listing = operations[resource.list]
    whole = listing_checks.walk(target, results, listing, resource)
    if whole is None:
        return
    still = [i for i in map(str, whole.ids(resource.id.field)) if i in gone]
    if still:
        results.failed(CHECK, listing.label, "what was deleted is no longer listed",
                       f"{still[0]} was deleted but is still listed", target.exchange(whole.last))
    else:
        results.did(CHECK, "deletions confirmed")


def _read(target: Target, results: Results, read: APIOperation, resource: Resource,
          record_id: str, expect_found: bool) -> tuple[dict[str, Any] | None, Response | None]:
    """Read one resource; (the item, the response), or Nones where it broke a rule."""
    case = read.Case(path_parameters={resource.id.parameter or "id": record_id})
    response = _call(target, results, read, case)
    if response is None:
        return None, None
    if expect_found and response.status_code != 200:
        results.failed(CHECK, read.label, "what is created can be read",
                       f"reading {record_id} answered {response.status_code}",
                       target.exchange(response))
        return None, None
    if not expect_found and response.status_code != 404:
        results.failed(CHECK, read.label, "resources are unavailable after deletion",
                       f"reading deleted {record_id} answered {response.status_code}",
                       target.exchange(response))
        return None, None
    item = pointers.get(json_or_none(response), resource.envelope, None)
    return (item if isinstance(item, dict) else None), response


def _updated(target: Target, results: Results, operations: dict[str, APIOperation],
             resource: Resource, record_id: str, seed: int) -> None:
    change = operations[resource.update or ""]
    case = _valid(target, change, seed)
    case.path_parameters = {resource.id.parameter or "id": record_id}
    response = _call(target, results, change, case)
    if response is None or not 200 <= response.status_code < 300:
        return
    item, read = _read(target, results, operations[resource.read or ""], resource, record_id,
                       True)
    if item is None or read is None:
        return
    for name, value in (case.body if isinstance(case.body, dict) else {}).items():
        if name in item and isinstance(value, str | int | bool) \
                and item[name] != value:
            results.failed(CHECK, change.label, "an update is reflected when read",
                           f"{name} was updated to {value!r} but reads {item[name]!r}",
                           target.exchange(read))


def _valid(target: Target, operation: APIOperation, seed: int) -> Case:
    case = draw(operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE), seed)
    case.path_parameters = fixed_parameters(target, case.path_parameters)
    return case


def _call(target: Target, results: Results, operation: APIOperation, case: Case,
          tenant: str = "main") -> Response | None:
    headers = target.auth_headers(operation.definition.raw, tenant)
    response = send(target, case, headers)
    if response is not None and not judge(target, results, CHECK, case, response, headers):
        return None
    return response


def _item_path(read: APIOperation, resource: Resource, record_id: str) -> str:
    return read.path.replace("{" + (resource.id.parameter or "id") + "}", record_id)
