"""The request pipeline one vendor's requests go through.

route, fault, preferences, auth, validation, known ids, a test's stub or the handler, strict
check, journal.

Each step is generic: what it checks and how it answers comes from the vendor's contract, and the
vendor module only supplies what its documents say that no contract can (see `vendors/`).
"""

from __future__ import annotations

import time
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.wrappers import Request

from mockserver.config import MockConfig
from mockserver.engine.auth import AuthError, MalformedCredentials, presented_token
from mockserver.engine.call import ApiError, Call, Handler, Key, Prefetching, Reply, VendorContext
from mockserver.engine.clock import Clock
from mockserver.engine.contract import Operation
from mockserver.engine.errors import describe, error_body
from mockserver.engine.faults import Fault, FaultInjector
from mockserver.engine.journal import (
    entry_text,
    masked_identity,
    request_detail,
    response_detail,
)
from mockserver.engine.limits import Pauses
from mockserver.engine.names import UnknownName, check_outcome
from mockserver.engine.preferences import PreferenceError, parse_prefer
from mockserver.engine.strict import CheckedResponses, ResponseContractError
from mockserver.engine.stubs import StubBook
from mockserver.engine.validation import Inputs, UnsupportedMediaType, Violation, parse_request
from mockserver.engine.wire import WireResponse
from mockserver.storage import Value, keys

__all__ = ["VendorPipeline", "declared_status"]


_ROUTE_CACHE_SIZE = 4096


class VendorPipeline:
    """One vendor's requests, from the raw request to the reply on the wire."""

    def __init__(self, vendor: VendorContext, handlers: dict[str, Handler],
                 faults: FaultInjector, config: MockConfig, pauses: Pauses | None = None) -> None:
        self.vendor = vendor
        self.contract = vendor.contract
        self.name = vendor.name
        self.handlers = handlers
        self._faults = faults
        self._store = vendor.store
        self._config = config
        self._pauses = pauses or Pauses(config.max_latency_seconds)
        self._routes: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
        self._stubs = StubBook(vendor.store)
        self._checked = CheckedResponses()

    def handle(self, request: Request, prefix: str) -> WireResponse:
        """Answer one request; `prefix` is where this vendor is mounted on the server."""
        path = request.path[len(prefix):]
        started = time.perf_counter()
        token = presented_token(request)
        try:
            routed: tuple[Operation, dict[str, str]] | ApiError = self.route(request.method, path)
        except ApiError as refused:  # answered below, once the clock is read for the journal
            routed = refused
        prefetch = self._prefetch(routed)
        needed = [keys.CLOCK, keys.FAULTS, keys.STUBS] + \
            ([(keys.TOKENS, token)] if token else []) + prefetch
        read = self._store.get_many(needed)  # one read for what this request needs
        now = Clock.reading(read[keys.CLOCK])
        known_tokens = {token: read[(keys.TOKENS, token)]} if token else {}
        operation: Operation | None = None
        violations: list[Violation] = []
        problems: list[str] = []
        refuse = False
        identity: str | None = None
        fault: Fault | None = None
        prefer_header = request.environ.get("HTTP_PREFER")
        handled = False  # by a handler, rather than refused on the way
        parsed: list[Inputs] = []
        try:
            if isinstance(routed, ApiError):
                raise routed
            operation, path_params = routed
            fault = _declared_fault(operation,
                                    self._faults.pick(self.name, operation.id, read[keys.FAULTS]))
            reply, identity = self._answer(operation, path_params, request, prefix, now,
                                           known_tokens, fault, prefer_header, violations,
                                           parsed, read[keys.STUBS],
                                           {key: read[key] for key in prefetch})
            handled = True
        except ApiError as error:
            reply = self._error_reply(operation, error)
        response = WireResponse.of(reply)
        if operation is not None and self._config.strict_responses:
            encoded = response.data if reply.raw is None and reply.body is not None else None
            problems = self._checked.problems(operation, reply.status, reply.content_type,
                                              reply.body, encoded)
            # a contract-breaking answer the test asked for is journaled and sent, not refused
            # a refusal the contract does not declare is the contract's own gap, not the mock's
            refuse = handled and bool(problems) and not (reply.breaks_contract
                                                         or self._results_allow_violation())
        entry = {
            "time": now, "vendor": self.name, "method": request.method,
            "path": request.full_path.rstrip("?"), "operation": operation.id if operation else None,
            "status": reply.status, "verdict": "violates" if violations else "conforms",
            "violations": [str(v) for v in violations], "response_problems": problems,
            "fault": fault.kind if fault else None, "prefer": prefer_header,
            "identity": masked_identity(identity),
            "duration_ms": round((time.perf_counter() - started) * 1000, 3), "run": reply.run,
        }
        response_json: str | None = None
        journal = self._config.journal
        if journal.detail:
            entry.update(request_detail(request, parsed[0] if parsed else None, journal))
            answered, response_json = response_detail(reply.body, response.data, journal)
            entry["omitted"] = entry.get("omitted", []) + answered.pop("omitted", [])
            entry.update(answered)
        self._store.append_journal(entry_text(entry, response_json))
        if refuse:
            raise ResponseContractError(
                f"the mock's {reply.status} response to {request.method} {path} breaks the "
                f"contract: {'; '.join(problems)}"
            )
        return response

    def unavailable(self, request: Request, prefix: str) -> WireResponse:
        """The vendor's own 503 while the store is out of reach; nothing is read or recorded."""
        try:
            operation: Operation | None = self.route(request.method, request.path[len(prefix):])[0]
        except ApiError:
            operation = None
        error = ApiError(503, "Service temporarily unavailable: the mock's store is unreachable",
                         headers={"Retry-After": "1"})
        return WireResponse.of(self._error_reply(operation, error))

    def route(self, method: str, path: str) -> tuple[Operation, dict[str, str]]:
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
        self._routes[(method, path)] = (str(operation_id), dict(params))
        return self.contract.operations[operation_id], dict(params)

    def _prefetch(self, routed: tuple[Operation, dict[str, str]] | ApiError) -> list[Key]:
        """The store values the routed operation's handler declares it will read."""
        if isinstance(routed, ApiError):
            return []
        operation, path_params = routed
        handler = self.handlers[operation.id]
        return handler.keys(path_params, self.vendor) if isinstance(handler, Prefetching) else []

    def _answer(self, operation: Operation, path_params: dict[str, str], request: Request,
                prefix: str, now: float,
                known_tokens: dict[str, dict[str, Any] | None], fault: Fault | None,
                prefer_header: str | None, violations: list[Violation],
                parsed: list[Inputs], stubs: dict[str, Any] | None,
                prefetched: dict[Key, Value | None]) -> tuple[Reply, str | None]:
        error_format = operation.error_format
        try:
            prefer = parse_prefer(prefer_header)
        except PreferenceError as error:
            raise ApiError(error_format.validation.status, str(error)) from None
        if prefer.outcome is not None:
            self._check_outcome(operation, prefer.outcome)
        if prefer.latency:
            applied_ms = round(self._pauses.capped(prefer.latency / 1000) * 1000)
            prefer = prefer.model_copy(update={"latency": applied_ms})
            self._pauses.pause(applied_ms / 1000)
        if fault is not None:
            _apply_fault(fault, operation, self._pauses)
        try:
            identity = self.vendor.auth.identify(operation, request, now, known_tokens)
        except AuthError as error:
            if isinstance(error, MalformedCredentials):
                violations.append(Violation(("header", "Authorization"), "value_error", str(error)))
            raise ApiError(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None
        self._read_body(operation, request)
        try:
            inputs, found = parse_request(operation, request, path_params,
                                          self._config.max_json_depth)
            parsed.append(inputs)
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
                declared = ", ".join(sorted(operation.responses))
                raise ApiError(error_format.validation.status,
                               f"Prefer: code={prefer.code} is not a status {operation.id} "
                               f"declares (valid: {declared})")
            raise ApiError(prefer.code, f"Forced by 'Prefer: code={prefer.code}'")
        stubbed = self._stubs.take(self.name, operation.id, stubs)
        if stubbed is not None:
            return stubbed, identity
        call = Call(self.vendor, operation, inputs, identity, prefer, now, request, prefix,
                    prefetched)
        reply = self.handlers[operation.id](call)
        if prefer.applied():
            reply.headers.setdefault("Preference-Applied", prefer.applied())
        return reply, identity

    def _results_allow_violation(self) -> bool:
        results = self.vendor.results
        return results is not None and results.allows_violation()

    def _check_outcome(self, operation: Operation, outcome: str) -> None:
        """`Prefer: outcome=` names an end of the run this operation starts (of any of the
        vendor's runs for another operation): a typo must not quietly give the default."""
        lifecycles = [lifecycle for role, lifecycle in operation.lifecycle_roles
                      if role in ("create", "synchronous")]
        try:
            check_outcome(lifecycles or list(self.contract.extensions.lifecycles.values()),
                          outcome, "in the Prefer header")
        except UnknownName as error:
            raise ApiError(operation.error_format.validation.status,
                           f"Invalid Prefer header: {error}") from None

    def _read_body(self, operation: Operation, request: Request) -> None:
        """Read the whole body once, within the size limit however it is framed (a length or
        chunks); badly framed chunks are the client's error. Later parsing reads the copy."""
        if not operation.body:
            return  # the body of an operation that takes none is never read
        if (request.content_length or 0) > self._config.max_upload_bytes:
            raise self._too_large(operation)
        try:
            data = request.get_data(cache=True)
        except RequestEntityTooLarge:
            raise self._too_large(operation) from None
        except Exception as error:
            # What a badly framed body raises is the WSGI server's own: werkzeug's dechunker
            # an OSError, gunicorn's a ParseException. Either way the client sent it.
            raise ApiError(_declared_or_validation(operation, 400),
                           f"Malformed request body: {error}") from None
        if len(data) > self._config.max_upload_bytes:
            raise self._too_large(operation)

    def _too_large(self, operation: Operation) -> ApiError:
        limit = self._config.max_upload_bytes
        return ApiError(_declared_or_validation(operation, 413),
                        f"The request body is larger than the limit of {limit} bytes")

    def _check_known_ids(self, operation: Operation, inputs: Inputs) -> None:
        for name, value in inputs.path.items():
            known = self._config.known_ids.get(name)
            if known is not None and value not in known:
                raise ApiError(404, f"Unknown {name} {value!r}")

    def _error_reply(self, operation: Operation | None, error: ApiError) -> Reply:
        error_format = operation.error_format if operation else \
            self.contract.extensions.error_format
        status = declared_status(operation, error.status) if operation else error.status
        body = error_body(error_format, status, error.message, error.violations)
        return Reply(status, body, error.headers)


def _declared_or_validation(operation: Operation, status: int) -> int:
    """`status` where the operation declares it, else the vendor's validation status."""
    return status if operation.declares(status) else operation.error_format.validation.status


def _rejection_status(operation: Operation, violations: list[Violation]) -> int:
    """The vendor's validation status; for a malformed id on an operation that declares no
    validation error, 404: no resource can have that id."""
    status = operation.error_format.validation.status
    only_path = all(v.loc[0] == "path" for v in violations)
    if only_path and not operation.declares(status) and operation.declares(404):
        return 404
    return status


_FALLBACKS = {429: (503,), 503: (429, 500), 500: (503,), 413: (400, 422), 415: (400, 422)}


def declared_status(operation: Operation, status: int) -> int:
    """`status` if the operation declares it, else the nearest status it does declare (its
    validation status for a refusal, another of the same class), so the mock never answers
    what its contract does not list; `status` itself when nothing of its class is declared."""
    if operation.declares(status):
        return status
    validation = operation.error_format.validation.status
    near = _FALLBACKS.get(status, ()) + ((validation, 400, 422) if status < 500 else ())
    same_class = sorted(int(code) for code in operation.responses
                        if code.isdigit() and code[0] == str(status)[0])
    return next((s for s in (*near, *same_class) if operation.declares(s)), status)


def _declared_fault(operation: Operation, fault: Fault | None) -> Fault | None:
    """A fault as the operation can show it: an injected status it does not declare becomes one
    it does, and is dropped when it declares none of that kind."""
    if fault is None or fault.kind == "latency":
        return fault
    status = declared_status(operation, int(fault.kind))
    if not operation.declares(status) or status not in (429, 500, 503):
        return None
    return fault.model_copy(update={"kind": str(status)})


def _apply_fault(fault: Fault, operation: Operation, pauses: Pauses) -> None:
    if fault.kind == "latency":
        pauses.pause(fault.latency_ms / 1000)
        return
    status = int(fault.kind)
    headers = {"Retry-After": str(fault.retry_after)} if status in (429, 503) else {}
    messages = {429: "Too many requests: retry later", 500: "Internal server error (injected)",
                503: "Service temporarily unavailable (injected)"}
    raise ApiError(status, messages[status], headers=headers)
