"""The contract's verdict on an exchange seen from outside (the validation proxy, answers from a
recording): the request is the client's side, the response and the run's lifecycle across
exchanges are the vendor's.

The request is judged by the mock's own request validation and the response by its strict
response check, so the proxy and the mock can never disagree on a rule.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request

import contracts
from contracts import invariants, pointers
from contracts.extensions import Lifecycle
from mockserver.engine.auth import credentials_problem
from mockserver.engine.call import ApiError
from mockserver.engine.contract import Contract, Operation
from mockserver.engine.errors import describe, error_body
from mockserver.engine.strict import response_problems
from mockserver.engine.validation import UnsupportedMediaType, Violation, parse_request
from mockserver.storage import Store, keys

__all__ = ["Judged", "judge_request", "judge_response", "refusal", "watch_lifecycle"]


@dataclass
class Judged:
    """A request as the contract sees it: its operation, inputs and the rules it broke."""

    operation: Operation | None
    path_params: dict[str, str] = field(default_factory=dict)
    request: dict[str, Any] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    refusal_status: int = 400


def judge_request(contract: Contract, route: Any, request: Request, path: str) -> Judged:
    """Route and validate a request as the mock would: unknown operations, the form of the
    credentials, parameters, the body's media type and schema."""
    try:
        operation, path_params = route(request.method, path)
    except ApiError as error:
        where = ("path",) if error.status == 404 else ("method",)
        return Judged(None, violations=[Violation(where, "not_found", error.message)],
                      refusal_status=error.status)
    judged = Judged(operation, path_params, refusal_status=operation.error_format.validation.status)
    problem = credentials_problem(operation, request)
    if problem:
        judged.violations.append(Violation(("header", "Authorization"), "value_error", problem))
        judged.refusal_status = 401
    try:
        inputs, found = parse_request(operation, request, path_params)
    except UnsupportedMediaType as error:
        judged.violations.append(Violation(("header", "content-type"), "unsupported_media_type",
                                           str(error), error.received))
        if operation.declares(415):
            judged.refusal_status = 415
        return judged
    judged.violations += found
    judged.request = {"path": path_params, "query": inputs.query, "header": inputs.header,
                      "body": inputs.body}
    return judged


def refusal(contract: Contract, judged: Judged) -> tuple[int, Any]:
    """What `--strict-client` answers instead of forwarding: the vendor's own error."""
    error_format = judged.operation.error_format if judged.operation else \
        contract.extensions.error_format
    status = judged.refusal_status
    return status, error_body(error_format, status, describe(judged.violations),
                              judged.violations)


def judge_response(operation: Operation | None, method: str, status: int,
                   headers: dict[str, str], raw: bytes | None) -> tuple[list[str], Any]:
    """The rules the response broke, and its body as JSON (None when it is none); `raw` None
    means the body was too large to judge, so only its status and media type are."""
    if operation is None:
        return [], None
    content_type = headers.get("content-type")
    if method == "HEAD" or raw is None or status == 204:
        return _status_and_type(operation, status, content_type), None
    try:
        body = _decoded(raw, headers.get("content-encoding", ""))
    except zlib.error as error:
        return [f"{operation.id} {status}: the body is not valid "
                f"{headers.get('content-encoding')}: {error}"], None
    if not body:
        return response_problems(operation, status, content_type, None), None
    if "json" in (content_type or ""):
        try:
            value = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return [f"{operation.id} {status}: the body is not valid JSON"], None
        return response_problems(operation, status, content_type, value), value
    return response_problems(operation, status, content_type, body.decode("latin-1")), None


def _status_and_type(operation: Operation, status: int, content_type: str | None) -> list[str]:
    response = operation.response_for(status)
    if response is None:
        return [f"status {status} is not declared for {operation.id}"]
    media = (content_type or "").split(";")[0].strip()
    if response.media and media not in response.media:
        return [f"content type {content_type!r} is not declared for {operation.id} {status}"]
    return []


def _decoded(raw: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding == "gzip":
        return zlib.decompress(raw, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompress(raw)
    return raw


def watch_lifecycle(store: Store, contract: Contract, judged: Judged, status: int,
                    body: Any) -> list[str]:
    """Hold a lifecycle operation's answer to its run's rules across exchanges: declared
    states, allowed transitions, terminal states kept, per-state fields, ids, echoed input,
    and the URLs a create body gives the client to follow."""
    operation = judged.operation
    if operation is None or not 200 <= status < 300 or not isinstance(body, dict):
        return []
    problems: list[str] = []
    for role, lifecycle in operation.lifecycle_roles:
        if role == "create":
            problems += _created(store, contract, lifecycle, judged, body)
        elif role == "poll":
            problems += _polled(store, contract, lifecycle, judged, body)
        else:
            state = pointers.get(body, lifecycle.status.poll, None)
            problems += invariants.state_problems(lifecycle, None, state, body)
            if state in lifecycle.states and state not in lifecycle.terminal:
                problems.append(f"a synchronous run answered {state!r}, not a terminal state")
    return [f"{operation.id} {status} lifecycle: {problem}" for problem in problems]


def _created(store: Store, contract: Contract, lifecycle: Lifecycle, judged: Judged,
             body: dict[str, Any]) -> list[str]:
    run_id = pointers.get(body, lifecycle.id.create, None)
    state = pointers.get(body, lifecycle.status.create, None)
    if not isinstance(run_id, str) or not run_id:
        return [f"the create body carries no run id at {lifecycle.id.create}"]
    problems = []
    if state not in lifecycle.states:
        problems.append(f"status {state!r} is not a declared state of {lifecycle.resource} "
                        f"(declared: {', '.join(lifecycle.states)})")
    link = contracts.link_parameters(contract.document, lifecycle)
    poll_path = contract.operations[lifecycle.poll].path
    problems += invariants.hypermedia_problems(poll_path, link, judged.request, body)
    store.put(keys.PROXY_RUNS, keys.run_key(contract.vendor, run_id),
              {"status": state, "request": judged.request})
    return problems


def _polled(store: Store, contract: Contract, lifecycle: Lifecycle, judged: Judged,
            body: dict[str, Any]) -> list[str]:
    link = contracts.link_parameters(contract.document, lifecycle)
    id_parameter = next((name for name, expression in link.items()
                         if expression == f"$response.body#{lifecycle.id.create}"), None)
    run_id = judged.path_params.get(id_parameter or "") or \
        pointers.get(body, lifecycle.id.poll, None)
    if not isinstance(run_id, str):
        return [f"the poll body carries no run id at {lifecycle.id.poll}"]
    state = pointers.get(body, lifecycle.status.poll, None)
    problems = invariants.id_problems(lifecycle, run_id, body) if id_parameter else []
    key = keys.run_key(contract.vendor, run_id)
    seen = store.get(keys.PROXY_RUNS, key)
    before = seen["status"] if seen else None
    problems += invariants.state_problems(lifecycle, before, state, body)
    if seen is not None:
        problems += invariants.echo_problems(lifecycle, seen["request"], body)
    moved = state != before and before not in lifecycle.terminal
    if state in lifecycle.states and (seen is None or moved):  # a poll that sees no change
        store.put(keys.PROXY_RUNS, key, {"status": state,  # writes nothing
                                         "request": seen["request"] if seen else {}})
    return problems

