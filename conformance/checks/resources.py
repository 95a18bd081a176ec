"""Stored resources behave as `x-resources` says: what is created can be read back as created,
is listed (with consistent paging), shows its updates, is gone once deleted, and another tenant
can neither read nor list it. An update is read back in full: the fields it sent changed, the
ones it did not are as they were. A resource kept inside its parent (a chat's messages) shows in
the parent once created, and the lists the contract says only grow lose and rewrite nothing."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import schemathesis
from schemathesis import APIOperation, Case, Response

from conformance.checks import listing as listing_checks
from conformance.checks.common import (
    draw,
    fixed_parameters,
    judge,
    load_schema,
    operations_by_id,
    send,
)
from conformance.checks.examples import request_examples
from conformance.findings import Results
from conformance.profiles import Profile
from conformance.target import Target, json_or_none
from contracts import invariants, pointers
from contracts.body_rules import accumulation_problems
from contracts.extensions import Resource

__all__ = ["run_resources"]

CHECK = "resources"
LISTED_AT_LEAST = 3  # items a list needs before paging through it one by one shows anything
UPDATE_DRAWS = 30  # generated update bodies looked through for one that changes a field
CHILDREN = 2  # resources created inside one parent, each read back through it
GROWS = "a list documented to grow loses or rewrites nothing between reads (x-accumulating)"


def run_resources(target: Target, results: Results, profile: Profile) -> None:
    """Round trips for every top-level resource, then its list, then its deletion."""
    described = target.extensions.resources
    if not described.items:
        return
    operations = operations_by_id(load_schema(target))
    for resource in described.items.values():
        if resource.parent is not None and resource.create:
            _children(target, results, operations, resource)
        if resource.parent is not None or not (resource.create and resource.read):
            continue
        created = [record for attempt in range(max(1, profile.lifecycle_runs // 2))
                   if (record := _round_trip(target, results, operations, resource,
                                             target.options.seed + attempt,
                                             documented=attempt == 0)) is not None]
        if resource.list:
            created += _lists(target, results, operations, resource, created)
        if resource.delete:
            _deletes(target, results, operations, resource, created)


def _round_trip(target: Target, results: Results, operations: dict[str, APIOperation],
                resource: Resource, seed: int, documented: bool) -> str | None:
    """Create one resource (from the documented example if `documented`: the fields a real
    record has), read it back as created, update it, and keep other tenants out; its id, or
    None if it could not be created."""
    made = _create(target, results, operations, resource, seed, documented)
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
        _updated(target, results, operations, resource, record_id, seed, item, response)
    if target.has_other_tenant():
        other = target.auth_headers(read.definition.raw, tenant="other")
        foreign = target.request("GET", _item_path(read, resource, record_id), headers=other)
        if 200 <= foreign.status_code < 300:
            results.failed(CHECK, read.label, "one client never sees another's resources",
                           "another tenant's token read this resource", target.exchange(foreign))
    return record_id


def _create(target: Target, results: Results, operations: dict[str, APIOperation],
            resource: Resource, seed: int, documented: bool = False) -> tuple[str, Case] | None:
    """A new resource from generated valid input (or the first documented example): its id and
    the case that created it."""
    create = operations[resource.create or ""]
    case = _valid(target, create, seed)
    examples = request_examples(target, create) if documented else []
    if examples:
        case.media_type, case.body = examples[0]
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
    if target.has_other_tenant():
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
             resource: Resource, record_id: str, seed: int, before: dict[str, Any],
             read_before: Response) -> None:
    """Update a field the record has, leave the others out, and read the whole record back."""
    change, read = operations[resource.update or ""], operations[resource.read or ""]
    body = _update_body(target, change, before, seed)
    if body is None:
        results.skipped(CHECK, change.label, "no valid update body changes a field the record "
                        "has")
        return
    case = change.Case(path_parameters={resource.id.parameter or "id": record_id}, body=body,
                       media_type="application/json")
    response = _call(target, results, change, case)
    if response is None or not 200 <= response.status_code < 300:
        return
    after, read_after = _read(target, results, read, resource, record_id, True)
    if after is None or read_after is None:
        return
    broken = invariants.update_problems(resource, before, body, after)
    if broken:
        results.failed(CHECK, change.label, "an update reads back in full: the fields sent as "
                       "sent, the others as before", broken[0], target.exchange(read_after))
        return
    _grown(target, results, read, read_before, read_after)
    results.did(CHECK, "updates read back")


def _update_body(target: Target, change: APIOperation, before: dict[str, Any], seed: int
                 ) -> dict[str, Any] | None:
    """A valid update body that changes one field the record has and leaves the others out,
    its value from the documented examples first, then generated ones; None if none is found."""
    schema = target.operations()[change.definition.raw["operationId"]][2].get(
        "requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    validator = jsonschema_rs.validator_for(schema)
    strategy = change.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE)
    offered = [value for _, value in request_examples(target, change)]
    offered += [draw(strategy, seed + attempt).body for attempt in range(UPDATE_DRAWS)]
    for body in offered:
        for name, value in (body if isinstance(body, dict) else {}).items():
            if name in before and value != before[name] and validator.is_valid({name: value}):
                return {name: value}
    return None


def _children(target: Target, results: Results, operations: dict[str, APIOperation],
              resource: Resource) -> None:
    """Resources kept inside a parent are created in one and read back through it, the parent's
    lists never losing what they held."""
    held_in = resource.parent
    parent = target.extensions.resources.items.get(held_in.resource) if held_in else None
    if held_in is None or parent is None or not (parent.create and parent.read):
        return
    made = _create(target, results, operations, parent, target.options.seed + 2000)
    if made is None:
        return
    parent_id, read = made[0], operations[parent.read]
    create = operations[resource.create or ""]
    _, last = _read(target, results, read, parent, parent_id, expect_found=True)
    for attempt in range(CHILDREN):
        case = _valid(target, create, target.options.seed + 3000 + attempt)
        case.path_parameters = {**(case.path_parameters or {}),
                                parent.id.parameter or "id": parent_id}
        response = _call(target, results, create, case)
        if response is None or not 200 <= response.status_code < 300 or last is None:
            return
        child = pointers.get(json_or_none(response), resource.envelope, None)
        child_id = child.get(resource.id.field) if isinstance(child, dict) else None
        item, now = _read(target, results, read, parent, parent_id, expect_found=True)
        if item is None or now is None:
            return
        held = item.get(held_in.field)
        held_ids = [entry.get(resource.id.field) for entry in held if isinstance(entry, dict)] \
            if isinstance(held, list) else []
        if child_id not in held_ids:
            results.failed(CHECK, create.label, "a resource created in its parent shows there",
                           f"{resource.name} {child_id!r} is not in {parent.name} "
                           f"{parent_id!r}'s {held_in.field}", target.exchange(now))
            return
        _grown(target, results, read, last, now)
        results.did(CHECK, "children read back")
        last = now


def _grown(target: Target, results: Results, read: APIOperation, earlier: Response,
           later: Response) -> None:
    schema = target.response_schema(read.definition.raw["operationId"], 200) or {}
    lost = accumulation_problems(schema, json_or_none(earlier), json_or_none(later))
    if lost:
        results.failed(CHECK, read.label, GROWS, lost[0], target.exchange(later))


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
