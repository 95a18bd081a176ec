"""Real parents for operations below a stored resource: `POST /workflows/{id}/run` needs a
workflow that exists. Where `x-resources` says how to create that resource, the suite creates one,
so that the lifecycle below it is exercised without the user pinning an id."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis import APIOperation

import contracts
from conformance.checks.common import draw, fixed_parameters, send
from conformance.target import Target, json_or_none
from contracts import pointers

__all__ = ["parent_ids"]


def parent_ids(target: Target, operation: APIOperation, operations: dict[str, APIOperation],
               fields: dict[str, Any] | None = None) -> dict[str, str]:
    """Ids for the path parameters of `operation` that name a creatable resource it lies below,
    unless the user pinned them (`--param`); an empty dict where none applies or creation failed.
    `fields` are set in the create request's body (e.g. an upload's bytes, to recognise it)."""
    created: dict[str, str] = {}
    for resource in target.extensions.resources.items.values():
        parameter = resource.id.parameter
        if not (resource.read and resource.create and parameter) or \
                parameter in target.options.parameters:
            continue
        item_path = operations[resource.read].path
        if not contracts.is_below(operation.path, item_path):
            continue
        create = operations[resource.create]
        case = draw(create.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE),
                    target.options.seed)
        case.path_parameters = fixed_parameters(target, case.path_parameters)
        if fields and isinstance(case.body, dict):
            case.body = {**case.body, **fields}
        response = send(target, case, target.auth_headers(create.definition.raw))
        if response is None or not 200 <= response.status_code < 300:
            continue
        item = pointers.get(json_or_none(response), resource.envelope, None)
        if isinstance(item, dict) and isinstance(item.get(resource.id.field), str):
            created[parameter] = item[resource.id.field]
    return created
