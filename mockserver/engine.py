"""The request pipeline one vendor's requests go through.

route, fault, preferences, auth, validation, known ids, handler, strict check, journal.

Each step is generic: what it checks and how it answers comes from the vendor's contract, and the
vendor module only supplies what its documents say that no contract can (see `vendors/`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic_core import to_json
from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request

from mockserver import clock, faults, resources
from mockserver.auth import TOKENS, Authenticator, AuthError, MalformedCredentials, presented_token
from mockserver.call import ApiError, Call, Handler, Reply
from mockserver.clock import Clock
from mockserver.contract import Contract, Operation
from mockserver.errors import describe, error_body
from mockserver.faults import Fault
from mockserver.journal import JournalEntry
from mockserver.operations import default_handler
from mockserver.scenarios import PreferenceError, parse_prefer
from mockserver.strict import ResponseContractError, response_problems
from mockserver.validation import Inputs, UnsupportedMediaType, Violation, parse_request

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from mockserver.mock import Mock
    from mockserver.vendors import Behaviour


_ROUTE_CACHE_SIZE = 4096


class VendorRuntime:
    """One vendor's contract, credentials and behaviour, bound to a mock's store and clock."""

    def __init__(self, mock: Mock, contract: Contract, behaviour: Behaviour) -> None:
        self.mock = mock
        self.contract = contract
        self.behaviour = behaviour
        self.name = contract.vendor
        credentials = mock.config.credentials.get(self.name, behaviour.demo)
        self.auth = Authenticator(contract, credentials, mock.store, mock.clock)
        settings = mock.config.vendor_settings.get(self.name, {})
        self.settings: Any = behaviour.configure(settings) if behaviour.configure else None
        self._routes: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
        self.handlers: dict[str, Handler] = {
            operation_id: resources.guarded(self, operation, (
                behaviour.handlers.get(operation_id)
                or resources.handler_for(self, operation)
                or default_handler(self, operation)))
            for operation_id, operation in contract.operations.items()
        }

    def handle(self, request: Request, prefix: str) -> WireResponse:
        """Answer one request; `prefix` is where this vendor is mounted on the server."""
        path = request.path[len(prefix):]
        started = time.perf_counter()
        token = presented_token(request)
        keys = [clock.KEY, faults.KEY] + ([(TOKENS, token)] if token else [])
        read = self.mock.store.get_many(keys)  # one read for what every request needs
        now = Clock.reading(read[clock.KEY])
        known_tokens = {token: read[(TOKENS, token)]} if token else {}
        operation: Operation | None = None
        violations: list[Violation] = []
        problems: list[str] = []
        identity: str | None = None
        fault: Fault | None = None
        prefer_header = request.environ.get("HTTP_PREFER")
        try:
            operation, path_params = self._route(request.method, path)
            fault = self.mock.faults.pick(self.name, operation.id, read[faults.KEY])
            reply, identity = self._answer(operation, path_params, request, prefix, now,
                                           known_tokens, fault, prefer_header, violations)
        except ApiError as error:
            reply = self._error_reply(operation, error)
        if operation is not None and self.mock.config.strict_responses:
            problems = response_problems(operation, reply.status, reply.content_type, reply.body)
        response = WireResponse.of(reply)
        self.mock.record(JournalEntry.model_construct(  # the engine's own, valid values
            time=now, vendor=self.name, method=request.method,
            path=request.full_path.rstrip("?"), operation=operation.id if operation else None,
            status=reply.status, verdict="violates" if violations else "conforms",
            violations=[str(v) for v in violations], response_problems=problems,
            fault=fault.kind if fault else None, prefer=prefer_header, identity=identity,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
        ))
        if problems:
            raise ResponseContractError(
                f"the mock's {reply.status} response to {request.method} {path} breaks the "
                f"contract: {'; '.join(problems)}"
            )
        return response

    def unavailable(self, request: Request, prefix: str) -> WireResponse:
        """The vendor's own 503 while the store is out of reach; nothing is read or recorded."""
        try:
            operation: Operation | None = self._route(request.method,
                                                      request.path[len(prefix):])[0]
        except ApiError:
            operation = None
        error = ApiError(503, "Service temporarily unavailable: the mock's store is unreachable",
                         headers={"Retry-After": "1"})
        return WireResponse.of(self._error_reply(operation, error))

    def _route(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
        """Match by the contract's paths; polls repeat one URL, so matches are remembered."""
        known = self._routes.get((method, path))
        if known is not None:
            return self.contract.operations[known[0]], dict(known[1])
        adapter = self.contract.url_map.bind("mock", "/")
        try:
            operation_id, params = adapter.match(path or "/", method=method)
        except MethodNotAllowed as error:
            allowed = ", ".join(sorted(error.valid_methods or []))
            raise ApiError(405, f"Method {method} is not allowed here; allowed: {allowed}",
                           headers={"Allow": allowed}) from None
        except NotFound:
            raise ApiError(404, f"No such endpoint: {method} {path}") from None
        if len(self._routes) >= _ROUTE_CACHE_SIZE:
            self._routes.clear()
        self._routes[(method, path)] = (operation_id, params)
        return self.contract.operations[operation_id], dict(params)

    def _answer(self, operation: Operation, path_params: dict[str, str], request: Request,
                prefix: str, now: float,
                known_tokens: dict[str, dict[str, Any] | None], fault: Fault | None,
                prefer_header: str | None, violations: list[Violation]
                ) -> tuple[Reply, str | None]:
        error_format = operation.error_format
        try:
            prefer = parse_prefer(prefer_header)
        except PreferenceError as error:
            raise ApiError(error_format.validation.status, str(error)) from None
        if prefer.latency:
            time.sleep(prefer.latency / 1000)
        if fault is not None:
            _apply_fault(fault, operation)
        try:
            identity = self.auth.identify(operation, request, now, known_tokens)
        except AuthError as error:
            if isinstance(error, MalformedCredentials):
                violations.append(Violation(("header", "Authorization"), "value_error", str(error)))
            raise ApiError(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None
        self._check_size(operation, request)
        try:
            inputs, found = parse_request(operation, request, path_params)
        except UnsupportedMediaType as error:
            violations.append(Violation(("header", "content-type"), "unsupported_media_type",
                                        str(error), error.received))
            status = 415 if operation.declares(415) else error_format.validation.status
            raise ApiError(status, str(error), violations) from None
        except RequestEntityTooLarge:
            raise self._too_large(operation) from None
        violations += found
        if violations:
            raise ApiError(_rejection_status(operation, violations), describe(violations),
                           violations)
        self._check_known_ids(operation, inputs)
        if prefer.code is not None and prefer.code >= 400:
            if not operation.declares(prefer.code):
                raise ApiError(error_format.validation.status,
                               f"Prefer: code={prefer.code} is not a status {operation.id} "
                               "declares")
            raise ApiError(prefer.code, f"Forced by 'Prefer: code={prefer.code}'")
        call = Call(self, operation, inputs, identity, prefer, now, request, prefix)
        reply = self.handlers[operation.id](call)
        if prefer.applied():
            reply.headers.setdefault("Preference-Applied", prefer.applied())
        return reply, identity

    def _check_size(self, operation: Operation, request: Request) -> None:
        if not operation.body:
            return  # the body of an operation that takes none is never read
        length = request.content_length or 0
        if length > self.mock.config.max_upload_bytes:
            raise self._too_large(operation)

    def _too_large(self, operation: Operation) -> ApiError:
        limit = self.mock.config.max_upload_bytes
        status = 413 if operation.declares(413) else operation.error_format.validation.status
        return ApiError(status, f"The request body is larger than the limit of {limit} bytes")

    def _check_known_ids(self, operation: Operation, inputs: Inputs) -> None:
        for name, value in inputs.path.items():
            known = self.mock.config.known_ids.get(name)
            if known is not None and value not in known:
                raise ApiError(404, f"Unknown {name} {value!r}")

    def _error_reply(self, operation: Operation | None, error: ApiError) -> Reply:
        error_format = operation.error_format if operation else \
            self.contract.extensions.error_format
        body = error_body(error_format, error.status, error.message, error.violations)
        return Reply(error.status, body, error.headers)


def _rejection_status(operation: Operation, violations: list[Violation]) -> int:
    """The vendor's validation status; for a malformed id on an operation that declares no
    validation error, 404: no resource can have that id."""
    status = operation.error_format.validation.status
    only_path = all(v.loc[0] == "path" for v in violations)
    if only_path and not operation.declares(status) and operation.declares(404):
        return 404
    return status


def _apply_fault(fault: Fault, operation: Operation) -> None:
    if fault.kind == "latency":
        time.sleep(fault.latency_ms / 1000)
        return
    status = int(fault.kind)
    headers = {"Retry-After": str(fault.retry_after)} if status in (429, 503) else {}
    messages = {429: "Too many requests: retry later", 500: "Internal server error (injected)",
                503: "Service temporarily unavailable (injected)"}
    raise ApiError(status, messages[status], headers=headers)


class WireResponse(NamedTuple):
    """A reply as it goes out: built directly, since a poll loop cannot afford a full
    `werkzeug.Response` for every small JSON body."""

    status: int
    headers: list[tuple[str, str]]
    data: bytes

    @classmethod
    def of(cls, reply: Reply) -> WireResponse:
        if reply.raw is not None:
            data = reply.raw
        elif reply.body is None:
            data = b""
        else:
            data = to_json(reply.body)
        headers = [(name, value) for name, value in reply.headers.items()
                   if name.lower() not in ("content-type", "content-length")]
        if reply.body is not None or reply.raw is not None:
            headers.append(("Content-Type", reply.content_type))
        if reply.status not in (204, 304):
            headers.append(("Content-Length", str(len(data))))
        return cls(reply.status, headers, data)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        start_response(f"{self.status} {HTTP_STATUS_CODES.get(self.status, 'Unknown')}",
                       self.headers)
        if environ.get("REQUEST_METHOD") == "HEAD" or self.status in (204, 304):
            return []
        return [self.data]
