"""`examples`: the contract's own request examples, sent as a reader of the docs would send them
against their own account.

Docs print placeholders (`YOUR_CLIENT_ID`, `workspace_api_key`, an id such as `file_abc`) where a
reader puts their own values, so an example is sent with the run's credentials and ids in their
place: the contract's `x-demo-credentials`, the client credentials of a token request, and every
`--param` (or id this run created) under the field of the same name. An example that still
cannot apply to this server (it needs credentials the run was not given, or ids it does not know)
is reported not applicable, with the reason; the family fails only when an example that could
apply was not answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis import APIOperation, CheckFunction
from schemathesis.checks import positive_data_acceptance

from conformance.checks.common import (
    RESPONSE_CHECKS,
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
from conformance.target import Target

__all__ = ["ANSWERED", "Placeholders", "placeholders", "request_examples", "run_examples"]

CHECK = "examples"
ANSWERED = "examples answered"
TRIED = "examples that applied"
REFERENCE_SUFFIXES = ("_id", "Id")


@dataclass
class Placeholders:
    """The docs' placeholder values, each with the run's own value or the reason it has none."""

    values: dict[str, str] = field(default_factory=dict)
    """placeholder -> the run's value"""
    missing: dict[str, str] = field(default_factory=dict)
    """placeholder -> what the run would need to be given to replace it"""
    fields: dict[str, str] = field(default_factory=dict)
    """body field name -> the run's value, whatever the example holds there (`--param`, ids)"""


def placeholders(target: Target) -> Placeholders:
    """What this run puts where the docs print a credential or an id."""
    found = Placeholders()
    demo = target.extensions.demo_credentials
    options = target.options
    tenants = [("main", "--client-id/--client-secret", options.token, "--token"),
               ("other", "--other-client-id/--other-client-secret", options.other_token,
                "--other-token")]
    for (client_id, secret), (tenant, client_flags, _, _) in zip(
            (demo.clients.items() if demo else []), tenants, strict=False):
        client = target.client(tenant)
        _pair(found, client_id, client[0] if client else None, client_flags)
        _pair(found, secret, client[1] if client else None, client_flags)
    for key, (_, _, token, token_flag) in zip(demo.keys if demo else [], tenants, strict=False):
        _pair(found, key, token.get_secret_value() if token else None, token_flag)
    found.fields.update(target.parameters)
    return found


def _pair(found: Placeholders, placeholder: str, value: str | None, flags: str) -> None:
    if value:
        found.values[placeholder] = value
    else:
        found.missing[placeholder] = flags


def run_examples(target: Target, results: Results, profile: Profile) -> None:
    """Every documented request example is sent with the run's own values; one whose ids are all
    real on the server must succeed."""
    operations = operations_by_id(load_schema(target))
    inapplicable: list[str] = []
    for operation in operations.values():
        examples = request_examples(target, operation)
        if not examples:
            results.skipped(CHECK, operation.label, "the contract has no request example")
            continue
        target.parameters.update(parent_ids(target, operation, operations))
        known = placeholders(target)
        for media_type, value in examples:
            why = _example(target, results, operation, known, media_type, value)
            if why is not None:
                results.skipped(CHECK, operation.label, f"not applicable: {why}")
                inapplicable.append(f"{operation.label}: {why}")
    done = results.exercised[CHECK]
    if inapplicable and not done[ANSWERED] and not done[TRIED]:
        results.inapplicable(CHECK, "; ".join(inapplicable))


def _example(target: Target, results: Results, operation: APIOperation, known: Placeholders,
             media_type: str, value: Any) -> str | None:
    """Send one example; why it does not apply to this server, or None when it was sent."""
    body, needs, references = _substituted(value, known, target, operation)
    if needs:
        return (f"it carries the docs' {', '.join(sorted(needs))}, and this run has no own "
                f"value for it (give {', '.join(sorted(set(needs.values())))})")
    guessed = [p.name for p in operation.path_parameters if p.name not in target.parameters]
    positive = operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE)
    base = draw(positive, target.options.seed)
    case = operation.Case(path_parameters=fixed_parameters(target, base.path_parameters),
                          query=base.query, body=body, media_type=media_type)
    checks: list[CheckFunction] = list(RESPONSE_CHECKS)
    if not guessed and not references:
        checks.append(positive_data_acceptance)
    headers = target.auth_headers(operation.definition.raw)
    response = send(target, case, headers)
    if response is None:
        return "HTTP cannot carry it"
    judge(target, results, CHECK, case, response, headers, checks)
    status = response.status_code
    if target.session.throttled(response):
        return None  # the transport reports it as the server throttling
    if 200 <= status < 300:
        results.did(CHECK, ANSWERED)
        return None
    if status != 401 and status < 500 and (guessed or references):
        unknown = [f"path parameter {name}" for name in guessed] + \
            [f"{name}={shown!r}" for name, shown in references]
        flags = " ".join(f"--param {name}=VALUE"
                         for name in [*guessed, *(name for name, _ in references)])
        return (f"answered {status}: it names {', '.join(unknown)}, which this run cannot make "
                f"real here (give {flags})")
    results.did(CHECK, TRIED)
    return None


def _substituted(value: Any, known: Placeholders, target: Target, operation: APIOperation
                 ) -> tuple[Any, dict[str, str], list[tuple[str, str]]]:
    """The example with the run's values in place of the docs' placeholders; the placeholders
    left (-> the flags that would replace them) and the references to records (`*_id` fields)
    the run has no value for."""
    needs: dict[str, str] = {}
    references: list[tuple[str, str]] = []
    token = target.token_operation()
    is_token_request = token is not None and operation.path == token[0]

    def walk(item: Any, name: str | None) -> Any:
        if isinstance(item, dict):
            return {key: walk(inner, key) for key, inner in item.items()}
        if isinstance(item, list):
            return [walk(inner, name) for inner in item]
        if not isinstance(item, str):
            return item
        if name is not None and name in known.fields:
            return known.fields[name]
        if is_token_request and name in ("client_id", "client_secret"):
            client = target.client()
            if client is None:
                needs[f"client {name}"] = "--client-id/--client-secret"
                return item
            return client[0] if name == "client_id" else client[1]
        if item in known.values:
            return known.values[item]
        if item in known.missing:
            needs[f"credential {item!r}"] = known.missing[item]
        elif name is not None and (name == "id" or name.endswith(REFERENCE_SUFFIXES)):
            references.append((name, item))
        return item

    return walk(value, None), needs, references


def request_examples(target: Target, operation: APIOperation) -> list[tuple[str, Any]]:
    """(media type, value) of every request body example, wherever the contract puts it: the
    media type's `example` or `examples`, or the body schema's `example` or `examples`, with
    every `$ref` on the way resolved."""
    raw = target.operations()[operation.definition.raw["operationId"]][2]
    found: list[tuple[str, Any]] = []
    for media, spec in raw.get("requestBody", {}).get("content", {}).items():
        values = [example["value"] for example in spec.get("examples", {}).values()
                  if isinstance(example, dict) and "value" in example]
        schema = spec.get("schema", {})
        values += [spec["example"]] if "example" in spec else []
        values += [schema["example"]] if "example" in schema else []
        values += list(schema.get("examples", []))
        found += [(media, value) for value in values]
    return found
