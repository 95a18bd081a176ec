"""Drift: what recorded traffic shows that a contract does not declare, and what it declares
that the traffic never showed.

A contract is written from documentation; the real service moves on. A HAR recording (the
validation proxy's, or any HAR 1.2, e.g. a browser's export) is compared with the contract entry
by entry: each is matched to an operation, then its status, headers, bodies (field by field,
enum by enum), its run's lifecycle states and its error body are held against what the contract
declares. What is undeclared is drift; what is declared but never seen is only unexercised.
Schemas are walked in the contract as written (`$ref`s followed, not inlined), so that every
finding knows the node a proposal (`contracts.proposal`) must extend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from pydantic import BaseModel

from contracts import invariants, pointers
from contracts.extensions import Extensions, Lifecycle
from contracts.openapi import link_parameters, operations
from contracts.recording import MASK, Recorded, is_secret, masked

__all__ = ["TRANSPORT_HEADERS", "Example", "Finding", "Report", "judge"]

TRANSPORT_HEADERS = frozenset({
    "date", "server", "content-length", "content-type", "content-encoding", "connection",
    "keep-alive", "transfer-encoding", "vary", "via", "age", "etag", "last-modified",
    "cache-control", "expires", "pragma", "alt-svc", "strict-transport-security", "set-cookie",
    "x-content-type-options", "x-frame-options", "x-xss-protection", "content-security-policy",
    "referrer-policy", "permissions-policy", "report-to", "nel", "accept-ranges", "upgrade",
    "trailer", "proxy-connection", "preference-applied", "www-authenticate",
})
"""Response headers any HTTP stack adds, HTTP's own answers (`Preference-Applied` to the
client's `Prefer`, RFC 7240; `WWW-Authenticate` on a 401, RFC 9110): never drift (CORS's
`access-control-*` neither)."""
_SKIPPED_METHODS = ("OPTIONS", "HEAD")
"""CORS preflights and HEADs: HTTP's, not an API's, operations."""
_COMBINATORS = ("allOf", "oneOf", "anyOf")


class Example(BaseModel):
    """One exchange that shows a finding, as the recording has it (secrets masked)."""

    recording: str
    entry: int
    """The index of the entry in the recording's `log.entries`, from 0."""
    method: str
    url: str
    status: int


class Finding(BaseModel):
    """One thing the traffic and the contract disagree on; `drift` False: only unexercised."""

    kind: str
    place: str
    value: str = ""
    """What is new (a field's JSON types, an enum value, a status, a header, a state)."""
    count: int = 0
    drift: bool = True
    example: Example | None = None
    target: list[str] | None = None
    """The contract node (keys from the document's root) a proposal extends; None: a person's
    call (an undeclared path or operation, a terminal state that moved, an error body)."""
    operation: str = ""


class Report(BaseModel):
    """The verdict on some recordings against one contract."""

    contract: str
    recordings: list[str]
    entries: int
    judged: int
    skipped: dict[str, int]
    findings: list[Finding]
    unexercised: list[Finding]

    @property
    def drift(self) -> bool:
        return bool(self.findings)


@dataclass
class _Operation:
    method: str
    path: str
    raw: dict[str, Any]
    location: list[str]

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass
class _Body:
    """The body being walked: where it is, for whom, shown by which exchange."""

    place: str
    operation: str
    example: Example
    side: str
    """`response` or `request`."""


@dataclass
class _Judge:
    """One contract's judgement, accumulated over every entry of every recording."""

    document: dict[str, Any]
    extensions: Extensions
    found: dict[tuple[str, str, str], Finding] = field(default_factory=dict)
    seen_statuses: dict[str, set[str]] = field(default_factory=dict)
    optional: dict[tuple[str, str], str] = field(default_factory=dict)
    """(place, pointer) of each optional response field of a body judged -> its operation."""
    present: set[tuple[str, str]] = field(default_factory=set)
    runs: dict[tuple[str, str], str] = field(default_factory=dict)
    states: dict[str, set[str]] = field(default_factory=dict)
    declared: list[_Operation] = field(init=False)

    def __post_init__(self) -> None:
        self.declared = [_Operation(method, path, raw, ["paths", path, method])
                           for method, path, raw in operations(self.document)]

    # -- findings --------------------------------------------------------------------------------

    def add(self, kind: str, place: str, value: str, example: Example,
            target: list[str] | None = None, operation: str = "") -> None:
        typed = kind.endswith(" field")  # a field's value is the JSON types it was seen with
        key = (kind, place, "" if typed else value)
        if key not in self.found:
            self.found[key] = Finding(kind=kind, place=place, value=value, example=example,
                                      target=target, operation=operation)
        finding = self.found[key]
        finding.count += 1
        if typed and value not in finding.value.split(","):
            finding.value = ",".join(sorted({*finding.value.split(","), value}))

    # -- one exchange ----------------------------------------------------------------------------

    def exchange(self, recorded: Recorded, path: str, example: Example) -> None:
        match = self.match(recorded.method, path)
        if match is None:
            kind = "undeclared operation" if any(
                invariants.match_path(op.path, path, anchored=False) is not None
                for op in self.declared) else "undeclared path"
            self.add(kind, f"{recorded.method} {path}", "", example)
            return
        operation, params = match
        self.seen_statuses.setdefault(operation.name, set()).add(str(recorded.status))
        responses = operation.raw.get("responses", {})
        key = _response_key(responses, recorded.status)
        if key is None:
            self.add("undeclared status", operation.name, str(recorded.status), example,
                     [*operation.location, "responses"], operation.name)
            response: dict[str, Any] = {}
            where = [*operation.location, "responses", str(recorded.status)]
        else:
            response, where = self.deref(responses[key], [*operation.location, "responses", key])
        self.headers(operation, recorded, response, where, example)
        body = recorded.json("response")
        if key is not None and body is not None:
            schema = _media_schema(response, recorded.response_type)
            if schema is not None:
                self.walk(body, self.expand(schema[0], [*where, "content", schema[1], "schema"]),
                          "", _Body(f"{operation.name} {recorded.status} response",
                                    operation.name, example, "response"))
        self.request(operation, recorded, example)
        if recorded.status >= 400:
            for problem in invariants.error_body_problems(self.extensions.error_format,
                                                          recorded.status, body):
                self.add("error format", f"{operation.name} {recorded.status}", problem, example)
        if 200 <= recorded.status < 300 and isinstance(body, dict):
            self.lifecycle(operation, params, body, example)

    def match(self, method: str, path: str) -> tuple[_Operation, dict[str, str]] | None:
        """The declared operation of a path: anchored before below a prefix, then the template
        with the most fixed text (`/trigger/status/{a}/{b}` before `/trigger/{a}/{b}/{c}`)."""
        candidates = []
        for operation in self.declared:
            if operation.method.upper() != method:
                continue
            for anchored in (True, False):
                params = invariants.match_path(operation.path, path, anchored=anchored)
                if params is not None:
                    fixed = len(operation.path) - sum(len(n) + 2 for n in params)
                    candidates.append((not anchored, -fixed, operation, params))
                    break
        if not candidates:
            return None
        best = min(candidates, key=lambda c: (c[0], c[1]))
        return best[2], best[3]

    def headers(self, operation: _Operation, recorded: Recorded, response: dict[str, Any],
                where: list[str], example: Example) -> None:
        declared = {name.lower() for name in response.get("headers", {})}
        for name in recorded.response_headers:
            lowered = name.lower()
            if lowered in declared or lowered in TRANSPORT_HEADERS or \
                    lowered.startswith("access-control-"):
                continue
            self.add("undeclared response header", f"{operation.name} {recorded.status}", name,
                     example, where, operation.name)

    def request(self, operation: _Operation, recorded: Recorded, example: Example) -> None:
        if "json" not in recorded.request_type:
            return  # forms and files are the request schema's; only JSON is walked
        body = recorded.json("request")
        request_body = operation.raw.get("requestBody")
        if body is None or not isinstance(request_body, dict):
            return
        request_body, where = self.deref(request_body, [*operation.location, "requestBody"])
        schema = _media_schema(request_body, recorded.request_type)
        if schema is not None:
            self.walk(body, self.expand(schema[0], [*where, "content", schema[1], "schema"]), "",
                      _Body(f"{operation.name} request", operation.name, example, "request"))

    # -- schemas ---------------------------------------------------------------------------------

    def deref(self, node: Any, where: list[str]) -> tuple[Any, list[str]]:
        """A node with its local `$ref`s followed, and where it really lies."""
        for _ in range(32):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if not isinstance(ref, str) or not ref.startswith("#/"):
                break
            where = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
            node = pointers.get(self.document, "/" + ref[2:], {})
        return node, where

    def expand(self, node: Any, where: list[str]) -> list[tuple[dict[str, Any], list[str]]]:
        """A schema and its combinators' branches: every alternative a value may be judged by."""
        node, where = self.deref(node, where)
        if not isinstance(node, dict):
            return []
        found = [(node, where)]
        for keyword in _COMBINATORS:
            for index, branch in enumerate(node.get(keyword) or []):
                found += self.expand(branch, [*where, keyword, str(index)])
        return found

    def walk(self, value: Any, schemas: list[tuple[dict[str, Any], list[str]]], pointer: str,
             body: _Body) -> None:
        if isinstance(value, dict):
            self.walk_object(value, schemas, pointer, body)
        elif isinstance(value, list):
            items = [item for schema, where in schemas if isinstance(schema.get("items"), dict)
                     for item in self.expand(schema["items"], [*where, "items"])]
            for element in value if items else []:
                self.walk(element, items, f"{pointer}/*", body)
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            self.enum(value, schemas, pointer, body)

    def walk_object(self, value: dict[str, Any], schemas: list[tuple[dict[str, Any], list[str]]],
                    pointer: str, body: _Body) -> None:
        """Fields judged where a schema lists `properties` and admits no others; an object
        schema without either is free-form."""
        declaring = [(s, w) for s, w in schemas if isinstance(s.get("properties"), dict)
                     or s.get("additionalProperties") is False]
        if not declaring:
            return
        open_ = any(s.get("additionalProperties") not in (None, False) or s.get(
            "patternProperties") for s, _ in schemas)
        extra = [item for s, w in schemas if isinstance(s.get("additionalProperties"), dict)
                 for item in self.expand(s["additionalProperties"], [*w, "additionalProperties"])]
        if body.side == "response":
            for schema, _ in declaring:
                required = set(schema.get("required") or [])
                for name in schema.get("properties") or {}:
                    if name not in required:
                        self.optional.setdefault((body.place, f"{pointer}/{_escape(name)}"),
                                                 body.operation)
        for name, inner in value.items():
            here = f"{pointer}/{_escape(name)}"
            below = [item for s, w in declaring if name in (s.get("properties") or {})
                     for item in self.expand(s["properties"][name], [*w, "properties", name])]
            if below:
                self.present.add((body.place, here))
                self.walk(inner, below, here, body)
            elif extra:
                self.walk(inner, extra, here, body)
            elif not open_:
                self.add(f"undeclared {body.side} field", f"{body.place} {here}",
                         _json_type(inner), body.example, declaring[0][1], body.operation)

    def enum(self, value: Any, schemas: list[tuple[dict[str, Any], list[str]]], pointer: str,
             body: _Body) -> None:
        enums = [(s, w) for s, w in schemas if isinstance(s.get("enum"), list)]
        if not enums or any(value in s["enum"] for s, _ in enums):
            return
        free = [s for s, _ in schemas if "enum" not in s and "const" not in s
                and not set(s) <= {*_COMBINATORS, "description", "title", "nullable"}]
        if free:
            return  # another alternative takes any value of its type
        name = pointer.rsplit("/", 1)[-1]
        shown = masked(str(value)) if is_secret(name) and not str(value).startswith(MASK) \
            else str(value)
        self.add("undeclared enum value", f"{body.place} {pointer}", shown, body.example,
                 [*enums[0][1], "enum"], body.operation)

    # -- lifecycles ------------------------------------------------------------------------------

    def lifecycle(self, operation: _Operation, params: dict[str, str], body: dict[str, Any],
                  example: Example) -> None:
        operation_id = operation.raw.get("operationId")
        for name, lifecycle in self.extensions.lifecycles.items():
            if operation_id == lifecycle.create:
                run_id = pointers.get(body, lifecycle.id.create, None)
                self.state(name, lifecycle, run_id, pointers.get(body, lifecycle.status.create,
                                                                 None), None, example)
            elif operation_id == lifecycle.poll:
                run_id = params.get(_id_parameter(self.document, lifecycle) or "") or \
                    pointers.get(body, lifecycle.id.poll, None)
                self.state(name, lifecycle, run_id, pointers.get(body, lifecycle.status.poll,
                                                                 None), body, example)
            elif operation_id in lifecycle.synchronous:
                self.state(name, lifecycle, None, pointers.get(body, lifecycle.status.poll, None),
                           body, example)

    def state(self, name: str, lifecycle: Lifecycle, run_id: Any, state: Any, body: Any,
              example: Example) -> None:
        """One observed state of a run: declared, reached by a declared transition from the
        run's previous state, with the fields the state declares in a run's view (`body`;
        None for a create body, which `fields` does not describe)."""
        if not isinstance(state, str):
            return
        place = f"x-lifecycles.{name}"
        self.states.setdefault(name, set()).add(state)
        if state not in lifecycle.states:
            self.add("undeclared lifecycle state", place, state, example,
                     ["x-lifecycles", name, "states"])
        elif body is not None:
            for problem in invariants.state_problems(lifecycle, None, state, body):
                self.add("lifecycle field rule", place, problem, example)
        if not isinstance(run_id, str):
            return
        before = self.runs.get((name, run_id))
        if before is not None and before != state and not lifecycle.can_move(before, state):
            terminal = before in lifecycle.terminal  # a terminal state that moves: a person's
            self.add("undeclared lifecycle transition", place, f"{before} -> {state}", example,
                     None if terminal else ["x-lifecycles", name, "transitions"])
        self.runs[(name, run_id)] = state

    # -- what was never seen ---------------------------------------------------------------------

    def unexercised(self) -> list[Finding]:
        found = []
        for operation in self.declared:
            seen = self.seen_statuses.get(operation.name)
            if seen is None:
                found.append(Finding(kind="operation never called", place=operation.name,
                                     drift=False, operation=operation.name))
                continue
            for status in operation.raw.get("responses", {}):
                if status not in seen and status.isdigit():
                    found.append(Finding(kind="status never seen", place=operation.name,
                                         value=status, drift=False, operation=operation.name))
        for name, lifecycle in self.extensions.lifecycles.items():
            for state in lifecycle.states:
                if state not in self.states.get(name, set()):
                    found.append(Finding(kind="state never reached", place=f"x-lifecycles.{name}",
                                         value=state, drift=False))
        for (place, pointer), operation_name in self.optional.items():
            if (place, pointer) not in self.present:  # its parent was, or it were not listed
                found.append(Finding(kind="optional field never present",
                                     place=f"{place} {pointer}", drift=False,
                                     operation=operation_name))
        return found


def judge(document: dict[str, Any], recordings: dict[str, list[Recorded]], *,
          contract: str = "", base_url: str | None = None) -> Report:
    """Every entry of `recordings` (name -> exchanges) against `document`, the contract as
    written (`contracts.load(name, resolve=False)`); `base_url` keeps only the entries below it
    (a browser's export holds other hosts' requests too)."""
    extensions = Extensions.from_document(document)
    judge_ = _Judge(document, extensions)
    skipped: dict[str, int] = {}
    entries = judged = 0
    for name, exchanges in recordings.items():
        for index, recorded in enumerate(exchanges):
            entries += 1
            path, reason = _path(recorded, extensions.vendor.id, base_url, document)
            if path is None:
                skipped[reason] = skipped.get(reason, 0) + 1
                continue
            judged += 1
            judge_.exchange(recorded, path, _example(name, index, recorded))
    order = {kind: i for i, kind in enumerate(_KINDS)}
    findings = sorted(judge_.found.values(), key=lambda f: (order.get(f.kind, 99), f.place,
                                                             f.value))
    return Report(contract=contract, recordings=list(recordings), entries=entries, judged=judged,
                  skipped=skipped, findings=findings, unexercised=judge_.unexercised())


_KINDS = ("undeclared path", "undeclared operation", "undeclared status",
          "undeclared response header", "undeclared response field", "undeclared request field",
          "undeclared enum value", "undeclared lifecycle state",
          "undeclared lifecycle transition", "lifecycle field rule", "error format")


def _path(recorded: Recorded, vendor: str, base_url: str | None, document: dict[str, Any]
          ) -> tuple[str | None, str]:
    """The path an entry addresses below the vendor's base URL, or None and why it is not
    judged."""
    if recorded.method in _SKIPPED_METHODS:
        return None, f"{recorded.method} requests"
    if recorded.vendor is not None and recorded.vendor != vendor:
        return None, "another vendor's entries"
    if base_url is not None:
        base = base_url.rstrip("/")
        if not (recorded.url == base or recorded.url.startswith(base + "/")):
            return None, "entries not below --base-url"
        return recorded.url[len(base):] or "/", ""
    if recorded.path and recorded.vendor == vendor:
        return recorded.path, ""
    path = urlsplit(recorded.url).path or "/"
    for server in document.get("servers") or []:
        prefix = urlsplit(str(server.get("url", ""))).path.rstrip("/")
        if prefix and path.startswith(prefix + "/"):
            return path[len(prefix):], ""
    return path, ""


def _example(name: str, index: int, recorded: Recorded) -> Example:
    """An exchange as a finding shows it: userinfo and secret query values masked (a
    recording of our own proxy is masked already, and stays as it is)."""
    parts = urlsplit(recorded.url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{masked(userinfo)}@{host}"
    query = urlencode([(k, masked(v) if is_secret(k) and not v.startswith(MASK) else v)
                       for k, v in parse_qsl(recorded.query, keep_blank_values=True)],
                      safe="<>:")
    url = f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else recorded.url
    return Example(recording=name, entry=index, method=recorded.method,
                   url=url + (f"?{query}" if query else ""), status=recorded.status)


def _response_key(responses: dict[str, Any], status: int) -> str | None:
    for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
        if key in responses:
            return key
    return None


def _media_schema(holder: dict[str, Any], mime: str) -> tuple[Any, str] | None:
    """The declared schema for a body of `mime` and its media type, if it is JSON."""
    content = holder.get("content") or {}
    base = mime.split(";")[0].strip().lower()
    chosen = base if base in content else next((m for m in content if "json" in m), None)
    if chosen is None or "json" not in chosen or "schema" not in (content[chosen] or {}):
        return None
    return content[chosen]["schema"], chosen


def _id_parameter(document: dict[str, Any], lifecycle: Lifecycle) -> str | None:
    """The poll's path parameter the create's link fills with the run id."""
    try:
        link = link_parameters(document, lifecycle)
    except LookupError:
        return None
    return next((name for name, expression in link.items()
                 if expression == f"$response.body#{lifecycle.id.create}"), None)


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    names = {float: "number", str: "string", list: "array", dict: "object"}
    return names.get(type(value), "string")


