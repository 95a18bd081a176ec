"""Systematic single-defect negative input, before the random negative phase: for every operation,
each documented constraint (type, enum, required, format, bounds, pattern, closed objects) of every
path, query and header parameter and of the body is broken alone in an otherwise valid request,
deterministically. A request that breaks exactly one rule must get a documented error.

Schemathesis' own coverage phase cannot carry path parameters kept real or multipart fields the
way this suite sends them, hence this small generator; each request it builds is re-validated as
sent (`breaks_contract`) so that a defect which does not survive the wire is never judged."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
from schemathesis import APIOperation, Case
from schemathesis.core import NotSet

from conformance.checks.common import (
    RESPONSE_CHECKS,
    breaks_contract,
    fixed_parameters,
    judge,
    send,
)
from conformance.findings import Results
from conformance.target import Target

__all__ = ["Defect", "defects", "run_defects", "valid_base"]

REMOVE = object()
MAX_DEPTH = 3
PATTERN_BREAKERS = ["conformance!defect", " ", "#", "-", "0"]
FORMAT_BREAKERS = {"uuid": "not-a-uuid", "date-time": "not-a-date-time", "date": "not-a-date",
                   "email": "not-an-email", "ipv4": "999.1.1.1", "uri": "not a uri"}


@dataclass(frozen=True)
class Defect:
    """One rule broken: where (`path`, `query`, `header` or `body`, and the name or pointer),
    which rule, and the value that breaks it (`REMOVE` leaves it out)."""

    location: str
    name: str
    rule: str
    value: Any

    def describe(self) -> str:
        """The defect in a few words, e.g. "body /message: type (12345)"."""
        shown = "left out" if self.value is REMOVE else repr(self.value)[:60]
        return f"{self.location} {self.name}: {self.rule} ({shown})"


def run_defects(target: Target, results: Results, check: str, operation: APIOperation,
                base: Case) -> None:
    """Send every single-defect variant of `base`, a valid request for `operation`."""
    raw = target.operations()[operation.definition.raw["operationId"]][2]
    if breaks_contract(target, base):
        results.skipped(check, operation.label, "no valid request to break one rule of")
        return
    headers = target.auth_headers(operation.definition.raw)
    for defect in defects(raw, base):
        case = _broken(operation, base, defect)
        response = send(target, case, headers)
        if response is None or not breaks_contract(target, case, response):
            continue  # the defect did not survive the wire: nothing to judge
        if 200 <= response.status_code < 300:
            results.failed(check, operation.label,
                           "a request that breaks one rule gets a documented error",
                           f"{defect.describe()} was answered {response.status_code}",
                           target.exchange(response))
            continue
        judge(target, results, check, case, response, headers, RESPONSE_CHECKS)
        if 400 <= response.status_code < 500:
            results.did(check, "invalid requests rejected")
            results.did(check, "single defects rejected")


def defects(raw: dict[str, Any], base: Case) -> Iterator[Defect]:
    """Every single defect of an operation's documented constraints, in contract order."""
    for parameter in raw.get("parameters", []):
        location, name = parameter["in"], parameter["name"]
        if location not in ("path", "query", "header"):
            continue
        schema = parameter.get("schema", {})
        if parameter.get("required") and location != "path":
            yield Defect(location, name, "required", REMOVE)
        for rule, value in _text_defects(schema):
            if location == "path" and value == "":
                continue  # an empty segment changes which route is addressed
            yield Defect(location, name, rule, value)
    body = raw.get("requestBody", {})
    media = base.media_type or "application/json"
    schema = body.get("content", {}).get(media, {}).get("schema")
    if schema is None:
        return
    if body.get("required"):
        yield Defect("body", "", "required", REMOVE)
    value = base.body if not isinstance(base.body, NotSet) else {}
    if media == "multipart/form-data":
        yield from _form_defects(schema)
    else:
        yield from _json_defects(schema, value, "", 0)


def _json_defects(schema: dict[str, Any], value: Any, pointer: str, depth: int
                  ) -> Iterator[Defect]:
    for rule, bad in _value_defects(schema):
        if pointer:
            yield Defect("body", pointer, rule, bad)
    if depth >= MAX_DEPTH or schema.get("type") not in ("object", None) or \
            not isinstance(value, dict):
        return
    properties = schema.get("properties", {})
    for name in schema.get("required", []):
        if name in value:
            yield Defect("body", f"{pointer}/{name}", "required", REMOVE)
    if schema.get("additionalProperties") is False:
        yield Defect("body", f"{pointer}/conformance_extra", "closed object", "unexpected")
    for name, child in properties.items():
        yield from _json_defects(child, value.get(name), f"{pointer}/{name}", depth + 1)


def _form_defects(schema: dict[str, Any]) -> Iterator[Defect]:
    """Multipart fields travel as text: only what text can break (files are left alone)."""
    for name in schema.get("required", []):
        yield Defect("body", f"/{name}", "required", REMOVE)
    for name, child in schema.get("properties", {}).items():
        if child.get("format") == "binary" or child.get("type") in ("array", "object"):
            continue
        for rule, bad in _text_defects(child):
            yield Defect("body", f"/{name}", rule, bad)


def _value_defects(schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(rule, value) pairs, each a JSON value that breaks exactly the named rule."""
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds] if kinds else []
    if kinds:
        wrong = next((v for k, v in (("string", "conformance"), ("integer", 12345),
                                     ("object", {"conformance": 1}), ("array", ["x"]))
                      if k not in kinds and not ("number" in kinds and k == "integer")), None)
        candidates = [("type", wrong)] if wrong is not None else []
    else:
        candidates = []
    candidates += _bounds(schema)
    for rule, value in candidates:
        if not _valid(schema, value):
            yield rule, value


def _text_defects(schema: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(rule, text) pairs for a parameter or a form field, read by the server from text."""
    kind = schema.get("type")
    candidates: list[tuple[str, Any]] = []
    if kind in ("integer", "number", "boolean"):
        candidates.append(("type", "conformance"))
    candidates += [(rule, value if isinstance(value, str) else str(value))
                   for rule, value in _bounds(schema)]
    for rule, text in candidates:
        if not _valid(schema, _as_text_value(text, kind)):
            yield rule, text


def _bounds(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if "enum" in schema:
        found.append(("enum", "CONFORMANCE-NOT-IN-ENUM"))
    if "format" in schema and schema["format"] in FORMAT_BREAKERS:
        found.append(("format", FORMAT_BREAKERS[schema["format"]]))
    if "pattern" in schema:
        breaker = next((text for text in PATTERN_BREAKERS
                        if not _valid({"pattern": schema["pattern"]}, text)), None)
        if breaker is not None:
            found.append(("pattern", breaker))
    if isinstance(schema.get("minLength"), int) and schema["minLength"] > 0:
        found.append(("minLength", "x" * (schema["minLength"] - 1)))
    if isinstance(schema.get("maxLength"), int):
        found.append(("maxLength", "x" * (schema["maxLength"] + 1)))
    for key, step in (("minimum", -1), ("maximum", 1)):
        if isinstance(schema.get(key), int | float):
            found.append((key, schema[key] + step))
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        if isinstance(schema.get(key), int | float):
            found.append((key, schema[key]))
    if isinstance(schema.get("minItems"), int) and schema["minItems"] > 0:
        found.append(("minItems", []))
    return found


def _as_text_value(text: str, kind: Any) -> Any:
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


def _valid(schema: dict[str, Any], value: Any) -> bool:
    try:
        return bool(jsonschema_rs.validator_for(schema).is_valid(value))
    except (TypeError, ValueError):
        return False


def _broken(operation: APIOperation, base: Case, defect: Defect) -> Case:
    parts: dict[str, Any] = {
        "path": dict(base.path_parameters or {}), "query": dict(base.query or {}),
        "header": dict(base.headers or {})}
    body: Any = copy.deepcopy(base.body) if not isinstance(base.body, NotSet) else NotSet()
    if defect.location == "body":
        body = _put(body, defect.name, defect.value)
    elif defect.value is REMOVE:
        parts[defect.location].pop(defect.name, None)
    else:
        parts[defect.location][defect.name] = defect.value
    kwargs: dict[str, Any] = {"path_parameters": parts["path"], "query": parts["query"],
                              "headers": parts["header"], "media_type": base.media_type}
    if not isinstance(body, NotSet):
        kwargs["body"] = body
    return operation.Case(**kwargs)


def _put(body: Any, pointer: str, value: Any) -> Any:
    if not pointer:
        return NotSet() if value is REMOVE else value
    node = body if isinstance(body, dict) else {}
    parts = pointer.strip("/").split("/")
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    if value is REMOVE:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value
    return body if isinstance(body, dict) else node


def valid_base(target: Target, operation: APIOperation, example: tuple[str, Any] | None,
               drawn: Case) -> Case:
    """The request to break: the contract's own example where it has one, else a generated
    valid one; path parameters pinned to real ids."""
    path = fixed_parameters(target, drawn.path_parameters)
    if example is None:
        drawn.path_parameters = path
        return drawn
    media, value = example
    return operation.Case(path_parameters=path, query=dict(drawn.query or {}),
                          headers=dict(drawn.headers or {}), body=copy.deepcopy(value),
                          media_type=media)

