"""Stored resources with real CRUD, as the contract's `x-resources` describes them.

What a client creates it can read, list, page through, update and delete; each caller sees only
its own. Response bodies carry exactly the fields the operation's response schema declares, so
one stored record serves the list, create and detail views that show different fields of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from typing import Any

from pydantic import BaseModel

import contracts
from contracts import pointers
from contracts.extensions import Resource
from mockserver.engine.call import ApiError, Call, Handler, Prefetching, Reply
from mockserver.engine.contract import Contract, Operation
from mockserver.handlers.paging import page
from mockserver.storage import keys

__all__ = [
    "Record",
    "change",
    "create",
    "delete",
    "find",
    "guarded",
    "list_records",
    "read",
    "resource_handler",
    "save",
    "single",
    "stored_at",
    "timestamp",
    "update",
]


class Record(BaseModel):
    """One stored resource."""

    resource: str
    id: str
    owner: str | None
    fields: dict[str, Any]


def resource_handler(contract: Contract, operation: Operation) -> Handler | None:
    """The generic handler of an operation that creates, reads, lists, updates or deletes."""
    roles = {"create": create, "read": read, "list": list_records, "update": update,
             "delete": delete}
    for resource in contract.extensions.resources.items.values():
        for role, operation_id in resource.operations().items():
            if operation_id == operation.id:
                return partial(roles[role], resource=resource)
    return None


def guarded(contract: Contract, operation: Operation, handler: Handler) -> Handler:
    """Operations below a resource's own path (`/workflows/{id}/run`) need that resource."""
    owners = []
    for resource in contract.extensions.resources.items.values():
        if resource.read and resource.id.parameter:
            item_path = contract.operations[resource.read].path
            if contracts.is_below(operation.path, item_path):
                owners.append(resource)
    if not owners:
        return handler

    def guard(call: Call) -> Reply:
        for resource in owners:
            find(call, resource, call.inputs.path[resource.id.parameter or "id"])
        return handler(call)

    if isinstance(handler, Prefetching):  # still reads what it declared up front
        return Prefetching(guard, handler.keys)
    return guard


def find(call: Call, resource: Resource, record_id: str) -> Record:
    """The caller's record: 404 if there is none, 403 if it is someone else's."""
    return _owned(call, resource, record_id, call.vendor.store.get(_kind(call, resource),
                                                                  record_id))


def change(call: Call, resource: Resource, record_id: str,
           edit: Callable[[Record], None]) -> Record:
    """Edit the caller's record in one atomic read-modify-write of the store (404/403 as
    `find`), so that no change made in parallel, in any worker process, is lost; and a record
    deleted meanwhile is not brought back."""
    def apply(stored: dict[str, Any] | None) -> dict[str, Any]:
        record = _owned(call, resource, record_id, stored)
        edit(record)
        return record.model_dump()

    return Record.model_validate(call.vendor.store.update(_kind(call, resource), record_id,
                                                          apply))


def save(call: Call, resource: Resource, record: Record) -> None:
    """Store a new record (an existing one is changed with `change`)."""
    call.vendor.store.put(_kind(call, resource), record.id, record.model_dump())


def timestamp(now: float) -> str:
    """Mock time as the ISO 8601 UTC text the contracts' timestamps use."""
    return datetime.fromtimestamp(now, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def create(call: Call, resource: Resource, fields: dict[str, Any] | None = None, *,
           then: Callable[[Record, dict[str, Any]], None] | None = None) -> Reply:
    """Store a new resource from the request body (or `fields` a vendor computed). A resource
    kept inside its parent is added to it atomically; `then(parent, fields)` may change the
    parent further in the same step (a chat's reply after the message)."""
    given = fields if fields is not None else dict(call.inputs.body or {})
    record_id = f"{resource.id.prefix}{uuid.uuid4().hex[:12]}"
    values = {**resource.defaults, **given, resource.id.field: record_id}
    for stamp in (resource.timestamps.created, resource.timestamps.updated):
        if stamp:
            values[stamp] = timestamp(call.now)
    record = Record(resource=resource.name, id=record_id, owner=call.identity,
                    fields=_derive(resource, values))
    if resource.parent is None:
        save(call, resource, record)
    else:
        parent_resource = call.vendor.contract.extensions.resources.items[resource.parent.resource]
        field = resource.parent.field

        def attach(parent: Record) -> None:
            parent.fields.setdefault(field, []).append(record.fields)
            if then is not None:
                then(parent, record.fields)
            _touch(parent_resource, parent, call.now)

        change(call, parent_resource, call.inputs.path[parent_resource.id.parameter or "id"],
               attach)
    return single(call, resource, record.fields)


def read(call: Call, resource: Resource) -> Reply:
    """The caller's record by the path's id."""
    record = find(call, resource, call.inputs.path[resource.id.parameter or "id"])
    return single(call, resource, record.fields)


def update(call: Call, resource: Resource) -> Reply:
    """Merge the body into the caller's record and stamp the update, atomically."""
    def merge(record: Record) -> None:
        record.fields.update(call.inputs.body or {})
        record.fields = _derive(resource, record.fields)
        _touch(resource, record, call.now)

    record = change(call, resource, call.inputs.path[resource.id.parameter or "id"], merge)
    return single(call, resource, record.fields)


def delete(call: Call, resource: Resource) -> Reply:
    """Delete the caller's record (404/403 as `find`) and the runs started below it (a
    workflow's executions). Operations below it answer 404 from now on (`guarded`), and links
    issued for it stop working (`engine.downloads`)."""
    record = find(call, resource, call.inputs.path[resource.id.parameter or "id"])
    call.vendor.store.delete(_kind(call, resource), record.id)
    _delete_runs_below(call, resource, record.id)
    return Reply(call.operation.success_status())


def stored_at(call: Call, resource: Resource, record_id: str) -> tuple[str, str]:
    """Where a record lives in the store: (kind, key)."""
    return _kind(call, resource), record_id


def _delete_runs_below(call: Call, resource: Resource, record_id: str) -> None:
    contract = call.vendor.contract
    if not resource.read or not resource.id.parameter:
        return
    item_path = contract.operations[resource.read].path
    below = {lifecycle.resource for lifecycle in contract.extensions.lifecycles.values()
             if contracts.is_below(contract.operations[lifecycle.create].path, item_path)}
    if not below:
        return
    for value in call.vendor.store.values(keys.RUNS):
        if value["vendor"] == call.vendor.name and value["resource"] in below and \
                value["request"].get("path", {}).get(resource.id.parameter) == record_id:
            call.vendor.store.delete(keys.RUNS, keys.run_key(call.vendor.name, value["id"]))


def list_records(call: Call, resource: Resource) -> Reply:
    """The caller's records that pass the query's filters, paged as the contract says."""
    records = [Record.model_validate(value)
               for value in call.vendor.store.values(_kind(call, resource))]
    mine = [r.fields for r in records if r.owner == call.identity]
    selected = [fields for fields in mine if _passes(call, resource, fields)]
    status = call.operation.success_status()
    schema = _response_schema(call.operation, status)
    item_schema = (pointers.subschema(schema, resource.envelope) or {}).get("items", {})
    body: dict[str, Any] = {}
    shown = page(call, selected, call.vendor.contract.extensions.resources.pagination, body)
    pointers.put(body, resource.envelope, [project(fields, item_schema) for fields in shown])
    return Reply(status, body)


def single(call: Call, resource: Resource, fields: dict[str, Any]) -> Reply:
    """A response carrying one resource, shaped by the operation's response schema."""
    status = call.operation.success_status()
    schema = pointers.subschema(_response_schema(call.operation, status), resource.envelope)
    body: dict[str, Any] = {}
    pointers.put(body, resource.envelope, project(fields, schema or {}))
    return Reply(status, body)


def project(value: Any, schema: dict[str, Any]) -> Any:
    """Keep the fields a schema declares (all of them where it declares none)."""
    declared = pointers.declared_properties(schema)
    if not isinstance(value, dict) or not declared:
        return value
    return {name: project(item, declared[name]) for name, item in value.items()
            if name in declared}


def _owned(call: Call, resource: Resource, record_id: str,
           stored: dict[str, Any] | None) -> Record:
    if stored is None:
        raise ApiError(404, f"No {resource.name.replace('_', ' ')} {record_id!r}")
    record = Record.model_validate(stored)
    if record.owner != call.identity:
        raise ApiError(403, f"The {resource.name.replace('_', ' ')} {record_id!r} is not yours")
    return record


def _kind(call: Call, resource: Resource) -> str:
    return keys.records(call.vendor.name, resource.name)


def _derive(resource: Resource, values: dict[str, Any]) -> dict[str, Any]:
    for name, pointer in resource.derived.items():
        derived = pointers.get(values, pointer, None)
        if derived is not None:
            values[name] = derived
    return values


def _touch(resource: Resource, record: Record, now: float) -> None:
    if resource.timestamps.updated:
        record.fields[resource.timestamps.updated] = timestamp(now)


def _passes(call: Call, resource: Resource, fields: dict[str, Any]) -> bool:
    for parameter, rule in resource.filters.items():
        wanted = call.inputs.query.get(parameter)
        value = fields.get(rule.field)
        if rule.match == "include":
            if value is True and wanted is not True:
                return False
        elif wanted is None:
            continue
        elif rule.match == "contains":
            if str(wanted).lower() not in str(value or "").lower():
                return False
        elif value != wanted:
            return False
    return True


def _response_schema(operation: Operation, status: int) -> dict[str, Any]:
    response = operation.response_for(status)
    media = response.media.get("application/json") if response else None
    return media.schema if media else {}
