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

from contracts import invariants
from mockserver.engine.auth import credentials_problem
from mockserver.engine.call import ApiError
from mockserver.engine.contract import Contract, Operation
from mockserver.engine.errors import describe, error_body
from mockserver.engine.strict import response_problems
from mockserver.engine.validation import UnsupportedMediaType, Violation, parse_request

__all__ = ["Judged", "decoded", "judge_request", "judge_response", "refusal", "rejection_problems"]


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
        body = decoded(raw, headers.get("content-encoding", ""))
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


def rejection_problems(judged: Judged, status: int, body: Any) -> list[str]:
    """The vendor's side of a request that breaks the contract: it must be refused with the
    documented error, in the vendor's error format, never accepted or answered with a crash."""
    operation = judged.operation
    if operation is None:
        return []
    problems = [f"{operation.id} {status} error body: {problem}" for problem in
                invariants.error_body_problems(operation.error_format, status, body)]
    if not judged.violations:
        return problems
    if 200 <= status < 300:
        problems.append(f"{operation.id} accepted ({status}) a request that breaks the contract "
                        f"({judged.violations[0]})")
    elif status >= 500:
        problems.append(f"{operation.id} answered {status} to a request that breaks the "
                        f"contract, not its documented error ({judged.refusal_status})")
    return problems


def _status_and_type(operation: Operation, status: int, content_type: str | None) -> list[str]:
    response = operation.response_for(status)
    if response is None:
        return [f"status {status} is not declared for {operation.id}"]
    media = (content_type or "").split(";")[0].strip()
    if response.media and media not in response.media:
        return [f"content type {content_type!r} is not declared for {operation.id} {status}"]
    return []


def decoded(raw: bytes, encoding: str) -> bytes:
    """A body without its gzip or deflate content coding; raises zlib.error if it is broken."""
    encoding = encoding.strip().lower()
    if encoding == "gzip":
        return zlib.decompress(raw, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompress(raw)
    return raw
