"""A recording judged offline: each exchange's request (the client's side), its response and
the runs across exchanges (the vendor's side), by the rules the validation proxy applies live.

Families: `request` (operation known, credentials in the scheme's form, parameters, body media
type and schema), `response` (status declared, content type, body schema), `lifecycle` (the
shared rules of `contracts.invariants`: states, transitions, terminal states, per-state fields,
ids, echoed input) and `hypermedia` (URLs a create body gives the client address its run).
"""

from __future__ import annotations

import io
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema_rs
from werkzeug.formparser import parse_form_data

import contracts
from conformance.findings import Exchange, Results
from contracts import invariants
from contracts.extensions import ErrorFormat, Lifecycle
from contracts.observer import MemoryState, Observer, Seen
from contracts.recording import Recorded, read

__all__ = ["judge_recording"]


@dataclass
class _Operation:
    id: str
    method: str
    path: str
    raw: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass
class _Judge:
    contract: str
    results: Results
    document: dict[str, Any] = field(init=False)
    operations: list[_Operation] = field(init=False)
    lifecycles: dict[str, list[tuple[str, Lifecycle]]] = field(init=False)

    def __post_init__(self) -> None:
        self.document = contracts.load(self.contract)
        extensions = contracts.extensions(self.contract)
        self.vendor = extensions.vendor.id
        self.error_format = extensions.error_format
        self.observer = Observer(self.document, extensions, MemoryState())
        self.unmatched = 0
        self.operations = [_Operation(raw["operationId"], method, path, raw)
                           for method, path, raw in contracts.operations(self.document)]
        self.lifecycles = {}
        for lifecycle in extensions.lifecycles.values():
            roles = [("create", lifecycle.create), ("poll", lifecycle.poll)] + \
                [("synchronous", op) for op in lifecycle.synchronous]
            for role, operation_id in roles:
                self.lifecycles.setdefault(operation_id, []).append((role, lifecycle))

    def route(self, recorded: Recorded) -> tuple[_Operation, dict[str, str], str] | None:
        """The operation, its path parameters and the path below the base URL."""
        candidates = [recorded.path] if recorded.path is not None else \
            _suffixes(urlsplit(recorded.url).path)
        for path in candidates:
            for operation in self.operations:
                if operation.method.upper() != recorded.method:
                    continue
                found = invariants.match_path(operation.path, path)
                if found is not None:
                    return operation, found, path
        return None

    def judge(self, recorded: Recorded) -> None:
        routed = self.route(recorded)
        evidence = _evidence(recorded)
        if routed is None and recorded.vendor is None:  # another tool's HAR: other traffic
            self.unmatched += 1
            return
        if routed is None:
            self.results.failed("request", f"{recorded.method} {urlsplit(recorded.url).path}",
                                "the operation is in the contract",
                                f"no operation of {self.contract} is {recorded.method} "
                                f"{recorded.path or recorded.url}", evidence)
            return
        operation, path_params, _ = routed
        request, broken = self._request(operation, path_params, recorded, evidence)
        body = self._response(operation, recorded, evidence)
        self._answered(operation, broken, recorded, body, evidence)
        seen = Seen(operation.id, recorded.status, path_params, request, body,
                    _header(recorded.request_headers, "authorization") or None)
        families: dict[str, list[str]] = {family: [] for family in self._families(operation)}
        for family, problem in self.observer.observe(seen):
            families.setdefault(family, []).append(problem)
        for family, problems in families.items():
            for problem in problems:
                self.results.failed(family, operation.label, _rule(problem), problem, evidence)
            if not problems:
                self.results.passed(family, operation.label)

    # -- the client's side -------------------------------------------------------------------

    def _request(self, operation: _Operation, path_params: dict[str, str],
                 recorded: Recorded, evidence: Exchange) -> tuple[dict[str, Any], bool]:
        problems: list[str] = []
        security = operation.raw.get("security", self.document.get("security", []))
        if any(requirement for requirement in security):
            scheme, _, token = _header(recorded.request_headers, "authorization").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                problems.append("Authorization: missing or not 'Bearer <token>'")
        query = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(recorded.query).items()}
        sent: dict[str, dict[str, Any]] = {"path": path_params, "query": query,
                "header": {k.lower(): v for k, v in recorded.request_headers.items()}}
        shared = self.document["paths"][operation.path].get("parameters", [])
        for parameter in [*shared, *operation.raw.get("parameters", [])]:
            values = sent.get(parameter["in"], {})
            name = parameter["name"].lower() if parameter["in"] == "header" else \
                parameter["name"]
            if name not in values:
                if parameter.get("required"):
                    problems.append(f"{parameter['in']}.{parameter['name']}: Field required")
                continue
            schema = parameter.get("schema", {})
            problems += _schema_problems(schema, _as_sent(values[name], schema),
                                         f"{parameter['in']}.{parameter['name']}")
        body, found = _request_body(operation.raw.get("requestBody", {}), recorded)
        problems += found
        for problem in problems:
            self.results.failed("request", operation.label, "the request keeps the contract",
                                problem, evidence)
        if not problems:
            self.results.passed("request", operation.label)
        return {"path": path_params, "query": query, "header": sent["header"], "body": body}, \
            bool(problems)

    # -- the vendor's side -------------------------------------------------------------------

    def _families(self, operation: _Operation) -> list[str]:
        """The cross-exchange families an operation's answers count toward."""
        roles = self.lifecycles.get(operation.id, [])
        families = ["lifecycle"] if roles else []
        if any(role == "create" for role, _ in roles):
            families.append("hypermedia")
        return families

    def _answered(self, operation: _Operation, broken: bool, recorded: Recorded, body: Any,
                  evidence: Exchange) -> None:
        """An error in the vendor's format; a request that breaks the contract refused with it,
        never accepted nor answered with a crash."""
        override = operation.raw.get("x-error-format")
        error_format = ErrorFormat.model_validate(override) if override else self.error_format
        problems = invariants.error_body_problems(error_format, recorded.status, body)
        if broken:
            if 200 <= recorded.status < 300:
                problems.append(f"{operation.id} accepted ({recorded.status}) a request that "
                                "breaks the contract")
            elif recorded.status >= 500:
                problems.append(f"{operation.id} answered {recorded.status} to a request that "
                                "breaks the contract, not its documented error")
        for problem in problems:
            self.results.failed("response", operation.label, "errors keep the vendor's format "
                                "and refuse bad requests", problem, evidence)

    def _response(self, operation: _Operation, recorded: Recorded, evidence: Exchange) -> Any:
        responses = operation.raw.get("responses", {})
        declared = responses.get(str(recorded.status)) or responses.get("default")
        label = operation.label
        if declared is None:
            self.results.failed("response", label, "the status is declared",
                                f"status {recorded.status} is not declared for {operation.id}",
                                evidence)
            return None
        content = declared.get("content", {})
        received = recorded.response_type or _header(recorded.response_headers, "content-type")
        media_type = received.split(";")[0].strip()
        if recorded.method == "HEAD" or not recorded.response_body:
            self.results.passed("response", label)
            return None
        if content and media_type not in content:
            self.results.failed("response", label, "the content type is declared",
                                f"content type {received!r} is not declared for "
                                f"{operation.id} {recorded.status}", evidence)
            return None
        if not content:
            self.results.failed("response", label, "no body where none is declared",
                                f"{operation.id} {recorded.status} declares no body", evidence)
            return None
        if "json" not in media_type:
            self.results.passed("response", label)
            return None
        body = recorded.json()
        if body is None:
            self.results.failed("response", label, "the body is valid JSON",
                                "the body does not parse as JSON", evidence)
            return None
        problems = _schema_problems(content[media_type].get("schema", {}), body, "")
        for problem in problems:
            self.results.failed("response", label, "the body matches the schema",
                                f"{operation.id} {recorded.status} {problem}", evidence)
        if not problems:
            self.results.passed("response", label)
        return body


def judge_recording(directory: Path, contract: str, seed: int = 0) -> Results:
    """Every exchange of the recording that belongs to `contract`, judged in recorded order;
    raises `contracts.recording.RecordingError` when the recording cannot be read."""
    recorded = read(directory)
    judge = _Judge(contract, Results(seed))
    for exchange in recorded:
        if exchange.vendor in (None, judge.vendor):
            judge.judge(exchange)
    if judge.unmatched:
        judge.results.notes.append(f"{judge.unmatched} exchange(s) of no operation of {contract} "
                                   "(recorded by another tool, without `_vendor`) were left out")
    if not judge.results.counts:
        judge.results.notes.append(f"the recording holds no exchange of {contract}")
    return judge.results


def _request_body(spec: dict[str, Any], recorded: Recorded) -> tuple[Any, list[str]]:
    content = spec.get("content", {})
    if not recorded.request_body:
        return None, (["body: Field required"] if spec.get("required") else [])
    media_type = (recorded.request_type or _header(recorded.request_headers, "content-type"))
    name = media_type.split(";")[0].strip()
    if name not in content:
        return None, [f"content-type: {name or '(none)'} is not accepted; send "
                      f"{' or '.join(content) or 'no body'}"]
    schema = content[name].get("schema", {})
    if "json" in name:
        try:
            body = json.loads(recorded.request_body)
        except (ValueError, UnicodeDecodeError):
            return None, ["body: JSON decode error"]
    elif name == "multipart/form-data":
        body = _form(recorded.request_body, media_type, schema)
    else:
        return None, []
    return body, _schema_problems(schema, body, "body")


def _form(data: bytes, media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A multipart body as the object its schema describes (files become their names)."""
    _, form, files = parse_form_data({
        "REQUEST_METHOD": "POST", "CONTENT_TYPE": media_type,
        "CONTENT_LENGTH": str(len(data)), "wsgi.input": io.BytesIO(data)})
    properties = schema.get("properties", {})
    instance: dict[str, Any] = {}
    for name in {*form.keys(), *files.keys()}:
        spec = properties.get(name, {})
        values: list[Any] = [f.filename or name for f in files.getlist(name)]
        for text in form.getlist(name):
            item = spec.get("items", {}) if spec.get("type") == "array" else spec
            try:
                values.append(json.loads(text) if item.get("type") in ("object", "array")
                              else text)
            except ValueError:
                values.append(text)
        instance[name] = values if spec.get("type") == "array" else values[0]
    return instance


def _schema_problems(schema: dict[str, Any], value: Any, where: str) -> list[str]:
    try:
        validator = jsonschema_rs.validator_for(schema)
        return [f"{'.'.join([where, *map(str, e.instance_path)]).strip('.') or '(body)'}: "
                f"{e.message}" for e in validator.iter_errors(value)]
    except (TypeError, ValueError) as error:
        return [f"{where}: {error}"]


def _as_sent(value: Any, schema: dict[str, Any]) -> Any:
    """A parameter as the server reads it from URL or header text."""
    kind = schema.get("type")
    if isinstance(value, list):
        return [_as_sent(v, schema.get("items", {})) for v in value] if kind == "array" \
            else value[0]
    if kind == "array":
        return [_as_sent(value, schema.get("items", {}))]
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


def _header(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


def _suffixes(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(["", *parts[i:]]) for i in range(1, len(parts))]


def _rule(problem: str) -> str:
    """A problem's rule in a few words, so that a report groups findings by rule."""
    for words, rule in (("not a declared state", "every status is a declared state"),
                        ("terminal state", "terminal states never change"),
                        ("is not allowed", "every change is an allowed transition"),
                        ("is missing while", "fields declared for a state are present"),
                        ("is present while", "fields forbidden in a state are absent"),
                        ("but the body names", "ids and links address the same run"),
                        ("the create request sent", "echoed input stays consistent")):
        if words in problem:
            return rule
    return problem


def _evidence(recorded: Recorded) -> Exchange:
    url = recorded.url + (f"?{recorded.query}" if recorded.query else "")
    request_body = recorded.request_body.decode("utf-8", "replace")[:2000] \
        if recorded.request_body else None
    curl = ["curl", "-X", recorded.method, url] + [
        part for name, value in recorded.request_headers.items()
        if name.lower() not in ("host", "content-length") for part in ("-H", f"{name}: {value}")]
    if request_body and "json" in recorded.request_type:
        curl += ["--data", request_body]
    return Exchange(method=recorded.method, url=url, request_headers=recorded.request_headers,
                    request_body=request_body, status=recorded.status,
                    response_headers=recorded.response_headers,
                    response_body=recorded.response_body.decode("utf-8", "replace")[:2000],
                    curl=shlex.join(curl))

