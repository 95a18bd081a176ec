"""Authentication is enforced: every secured operation refuses missing, malformed and unknown
credentials with its documented error; a token endpoint refuses bad client credentials; and, on
the mock, a token stops working once it has expired."""

from __future__ import annotations

import schemathesis
from schemathesis import APIOperation, Case
from schemathesis.core.jsonschema.types import JsonValue

import contracts
from conformance.checks.common import (
    draw,
    fixed_parameters,
    judge,
    load_schema,
    operations_by_id,
    send,
)
from conformance.findings import Results
from conformance.profiles import Profile
from conformance.target import Target

__all__ = ["BAD_CREDENTIALS", "run_auth"]

CHECK = "auth"
BAD_CREDENTIALS = {
    "no credentials": {},
    "a malformed Authorization header": {"Authorization": "Bearer"},
    "another scheme": {"Authorization": "Basic Y29uZm9ybWFuY2U6Y2hlY2s="},
    "an unknown token": {"Authorization": "Bearer conformance-unknown-token-0000"},
}


def run_auth(target: Target, results: Results, profile: Profile) -> None:
    """Every secured operation with bad credentials, then the token endpoint and expiry."""
    operations = operations_by_id(load_schema(target))
    for operation in operations.values():
        raw = operation.definition.raw
        if not target.secured(raw):
            continue
        case = _valid_case(target, operation)
        for what, headers in BAD_CREDENTIALS.items():
            response = send(target, case, headers)
            if response is None:
                continue
            if response.status_code != 401:
                results.failed(CHECK, operation.label, "secured operations refuse bad credentials",
                               f"a request with {what} was answered {response.status_code}, "
                               "not 401", target.exchange(response))
                continue
            results.did(CHECK, "bad credentials refused")
            judge(target, results, CHECK, case, response, headers)
    _token_endpoint(target, results, operations)


def _token_endpoint(target: Target, results: Results, operations: dict[str, APIOperation]) -> None:
    endpoint = target.token_operation()
    if endpoint is None:
        return
    path, _ = endpoint
    token_op = next(op for op in operations.values() if op.path == path and op.method == "post")
    bodies: dict[str, dict[str, JsonValue]] = {
        "a wrong secret": {"client_id": target.options.client_id or "client",
                           "client_secret": "conformance-wrong-secret"},
        "an unknown client": {"client_id": "conformance-unknown-client",
                              "client_secret": "secret"}}
    for what, body in bodies.items():
        case = token_op.Case(body=body, media_type="application/json")
        response = send(target, case, {})
        if response is None:
            continue
        if response.status_code < 400 or response.status_code >= 500:
            results.failed(CHECK, token_op.label, "the token endpoint refuses bad credentials",
                           f"{what} was answered {response.status_code}",
                           target.exchange(response))
            continue
        judge(target, results, CHECK, case, response, {})
    declared = contracts.token_endpoint(target.document)
    lifetime = declared.declared_lifetime if declared else None
    secured = next((op for op in operations.values() if target.secured(op.definition.raw)), None)
    if lifetime is None or secured is None or not target.can_authenticate():
        return
    if not target.options.fast_forward:
        results.skipped(CHECK, token_op.label, "token expiry is checked only with --fast-forward")
        return
    token = target.issue_token(fresh=True)
    target.wait(float(lifetime) + 1)
    case = _valid_case(target, secured)
    response = send(target, case, {"Authorization": f"Bearer {token}"})
    target.issue_token(fresh=True)
    if response is not None and response.status_code != 401:
        results.failed(CHECK, secured.label, "expired tokens are refused",
                       f"a token {lifetime}s old was answered {response.status_code}",
                       target.exchange(response))
    elif response is not None:
        results.passed(CHECK, secured.label)


def _valid_case(target: Target, operation: APIOperation) -> Case:
    case = draw(operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE),
                target.options.seed)
    case.path_parameters = fixed_parameters(target, case.path_parameters)
    return case
