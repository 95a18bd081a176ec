"""A contract's author mistakes, each named with its place, before anything serves or checks it.

OpenAPI validity first, then every `x-` extension against its model, then every operation id,
pointer, link expression and state an extension names, and each lifecycle's consistency. The
mock and the suite refuse a contract with problems (`check`); `mockserver lint` prints them.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator.validation import OpenAPIV31SpecValidator
from pydantic import BaseModel, ValidationError

from contracts import pointers
from contracts.extensions import (
    Accumulating,
    ContractError,
    DemoCredentials,
    ErrorFormat,
    HandedOutUrl,
    Lifecycle,
    Resources,
    Subset,
    Vendor,
)
from contracts.loading import path, resolve_refs
from contracts.openapi import link_parameters, operations

__all__ = ["Problem", "check", "lint", "lint_document"]

_EXAMPLES = {
    "servers": "servers: [{url: https://api.example.com/v1}]",
    "x-vendor": "x-vendor: {id: example, name: Example API}",
    "x-error-format": 'x-error-format: {body: {error: "{message}"}, validation: {status: 400}}',
}


class Problem(BaseModel):
    """One mistake: where it is in the contract, and what is wrong there."""

    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"




def check(name: str) -> None:
    """Raise ContractError if the contract (a shipped name or a path) has problems."""
    file = path(name).resolve()
    problems = _lint_file(str(file), file.stat().st_mtime_ns)
    if problems:
        listed = "\n".join(f"  {problem}" for problem in problems)
        raise ContractError(f"contract {name!r} has {len(problems)} problem(s):\n{listed}",
                            list(problems))


def lint(name: str) -> list[Problem]:
    """Every problem of the contract (a shipped name or a path); empty when it is usable."""
    file = path(name).resolve()
    return list(_lint_file(str(file), file.stat().st_mtime_ns))


@lru_cache(maxsize=64)
def _lint_file(file: str, _mtime: int) -> tuple[Problem, ...]:
    try:
        document = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return (Problem(place=Path(file).name, message=f"not readable as YAML: {error}"),)
    return tuple(lint_document(document))


def lint_document(document: Any) -> list[Problem]:
    """Every problem of a contract given as its parsed (unresolved) document."""
    if not isinstance(document, dict):
        return [Problem(place="(document)", message="a contract is a YAML or JSON object")]
    problems = _required(document)
    if problems:
        return problems
    problems += _references(document) or _openapi(document)
    if problems:
        return problems  # the rest assumes a well-formed OpenAPI document
    try:
        resolved = resolve_refs(document)
    except ValueError as error:  # a recursive reference
        return [Problem(place="$ref", message=str(error))]
    ids = [op.get("operationId") for _, _, op in operations(resolved)]
    problems += [Problem(place=f"paths.{path}.{method}", message="no operationId; the mock "
                         "and the suite name operations by it")
                 for method, path, op in operations(resolved) if not op.get("operationId")]
    for duplicate in sorted({i for i in ids if i and ids.count(i) > 1}):
        problems.append(Problem(place=f"operationId {duplicate}", message="used twice"))
    known = {i for i in ids if i}
    problems += _model(document, "x-vendor", Vendor)
    problems += _model(document, "x-error-format", ErrorFormat)
    problems += _model(document, "x-demo-credentials", DemoCredentials, optional=True)
    for name, body in (document.get("x-lifecycles") or {}).items():
        problems += _lifecycle(resolved, name, body, known)
    if "x-resources" in document:
        problems += _resources(resolved, document["x-resources"], known)
    if "x-hypermedia" in document:
        problems += _hypermedia(resolved, document["x-hypermedia"], known)
    problems += _body_rules(document, resolved)
    return problems


def _required(document: dict[str, Any]) -> list[Problem]:
    problems = []
    if not str(document.get("openapi", "")).startswith("3.1"):
        problems.append(Problem(place="openapi", message="must be 3.1.x (`openapi: 3.1.0`)"))
    servers = document.get("servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict) \
            or not servers[0].get("url"):
        problems.append(Problem(place="servers", message="missing: the mock serves the vendor at "
                                f"its first server URL, e.g. `{_EXAMPLES['servers']}`"))
    for key in ("x-vendor", "x-error-format"):
        if key not in document:
            problems.append(Problem(place=key, message=f"missing, e.g. `{_EXAMPLES[key]}` "
                                    "(contracts/EXTENSIONS.md)"))
    if not isinstance(document.get("paths"), dict) or not document["paths"]:
        problems.append(Problem(place="paths", message="missing or empty"))
    return problems


def _references(document: dict[str, Any]) -> list[Problem]:
    """Every `$ref` that points outside the document or to nothing in it: the OpenAPI
    validator stops with an exception at the first, without saying where it was."""
    found = []

    def walk(node: Any, place: tuple[str, ...]) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                where = ".".join(place) or "(document)"
                if not ref.startswith("#/"):
                    found.append(Problem(place=where, message=f"$ref {ref!r}: only references "
                                         "inside the contract (`#/...`) are supported"))
                elif not pointers.has(document, ref[1:]):
                    found.append(Problem(place=where, message=f"$ref {ref!r} points to nothing "
                                         "in the contract"))
            for key, value in node.items():
                walk(value, (*place, str(key)))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*place, str(index)))

    walk(document, ())
    return found


def _openapi(document: dict[str, Any]) -> list[Problem]:
    found = []
    for error in OpenAPIV31SpecValidator(document).iter_errors():
        place = ".".join(str(part) for part in error.absolute_path) or "(document)"
        found.append(Problem(place=place, message=error.message))
        if len(found) >= 20:
            break
    return found


def _model(document: dict[str, Any], key: str, model: type[BaseModel], *,
           optional: bool = False) -> list[Problem]:
    if optional and key not in document:
        return []
    try:
        model.model_validate(document.get(key))
    except ValidationError as error:
        return _validation_problems(key, error)
    return []


def _validation_problems(place: str, error: ValidationError) -> list[Problem]:
    return [Problem(place=".".join([place, *(str(part) for part in e["loc"])]),
                    message=e["msg"]) for e in error.errors(include_url=False)]


def _did_you_mean(wanted: str, known: set[str]) -> str:
    close = difflib.get_close_matches(wanted, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; operations: {', '.join(sorted(known))}"


def _operation(resolved: dict[str, Any], operation_id: str) -> tuple[str, dict[str, Any]]:
    for _, where, operation in operations(resolved):
        if operation.get("operationId") == operation_id:
            return where, operation
    raise LookupError(operation_id)


def _success_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    for status, response in operation.get("responses", {}).items():
        if str(status).startswith("2"):
            media = response.get("content", {}).get("application/json")
            return media.get("schema", {}) if media else None
    return None


def _lifecycle(resolved: dict[str, Any], name: str, body: Any,
               known: set[str]) -> list[Problem]:
    place = f"x-lifecycles.{name}"
    try:
        lifecycle = Lifecycle.model_validate({**(body or {}), "resource": name})
    except ValidationError as error:
        return _validation_problems(place, error)
    problems = []
    roles = {"create": lifecycle.create, "poll": lifecycle.poll, "cancel": lifecycle.cancel,
             **{f"synchronous.{i}": op for i, op in enumerate(lifecycle.synchronous)}}
    if lifecycle.listing is not None:
        roles["list.operation"] = lifecycle.listing.operation
    for role, operation_id in roles.items():
        if operation_id is not None and operation_id not in known:
            problems.append(Problem(place=f"{place}.{role}", message=f"no operation "
                                    f"{operation_id!r}{_did_you_mean(operation_id, known)}"))
    for state in lifecycle.unreachable_from_terminal():
        problems.append(Problem(place=f"{place}.transitions", message=f"no terminal state can "
                                f"be reached from {state!r}"))
    if problems:
        return problems
    _, create = _operation(resolved, lifecycle.create)
    poll_path, poll = _operation(resolved, lifecycle.poll)
    create_schema, poll_schema = _success_schema(create), _success_schema(poll)
    if poll_schema is None:
        return [Problem(place=f"{place}.poll", message=f"{lifecycle.poll} has no 2xx "
                        "application/json response: a poll must show the run")]
    if create_schema is None:
        return [Problem(place=f"{place}.create", message=f"{lifecycle.create} has no 2xx "
                        "application/json response carrying the new run's id")]
    problems += _link(resolved, lifecycle, place, poll_path, poll)
    checks = [("id.create", lifecycle.id.create, create_schema),
              ("status.create", lifecycle.status.create, create_schema),
              ("id.poll", lifecycle.id.poll, poll_schema),
              ("status.poll", lifecycle.status.poll, poll_schema)]
    checks += [(f"fields.{state}", pointer, poll_schema)
               for state, rule in lifecycle.fields.items()
               for pointer in [*rule.present, *rule.absent]]
    checks += [(f"echo.{i}.response", echo.response, poll_schema)
               for i, echo in enumerate(lifecycle.echo)]
    checks += [(f"urls.{pointer}", pointer, poll_schema) for pointer in lifecycle.urls]
    stamps = lifecycle.timestamps
    checks += [(f"timestamps.{key}", pointer, poll_schema)
               for key, pointer in (("created", stamps.created), ("started", stamps.started),
                                    ("finished", stamps.finished)) if pointer]
    for where, pointer, schema in checks:
        if pointers.subschema(schema, pointer) is None:
            problems.append(Problem(place=f"{place}.{where}", message=f"{pointer!r} is not a "
                                    "place the response schema declares"))
    status_schema = pointers.subschema(poll_schema, lifecycle.status.poll) or {}
    if "enum" in status_schema and set(status_schema["enum"]) != set(lifecycle.states):
        problems.append(Problem(place=f"{place}.states", message=f"the poll's status enum "
                                f"{status_schema['enum']} differs from states "
                                f"{lifecycle.states}"))
    if lifecycle.cancel is not None:
        _, cancel = _operation(resolved, lifecycle.cancel)
        if str(lifecycle.conflict) not in cancel.get("responses", {}):
            problems.append(Problem(place=f"{place}.conflict", message=f"{lifecycle.cancel} "
                                    f"does not declare {lifecycle.conflict}, the answer for a "
                                    "run that has ended"))
    if lifecycle.webhooks is not None:
        problems += _webhooks(resolved, lifecycle, place, poll_schema, known)
    if lifecycle.listing is not None:
        _, listed = _operation(resolved, lifecycle.listing.operation)
        schema = _success_schema(listed) or {}
        items = pointers.subschema(schema, lifecycle.listing.items)
        if items is None or items.get("type") != "array":
            problems.append(Problem(place=f"{place}.list.items",
                                    message=f"{lifecycle.listing.items!r} is not an array in "
                                    "the list's response schema"))
    return problems


def _webhooks(resolved: dict[str, Any], lifecycle: Lifecycle, place: str,
              poll_schema: dict[str, Any], known: set[str]) -> list[Problem]:
    """Every webhook a lifecycle sends is declared under `webhooks` with a POST whose JSON body
    is the poll body, and declares the signature header."""
    assert lifecycle.webhooks is not None
    declared = resolved.get("webhooks") or {}
    problems = []
    subscribe = lifecycle.webhooks.subscribe
    if subscribe is not None and subscribe not in known:
        problems.append(Problem(place=f"{place}.webhooks.subscribe", message=f"no operation "
                                f"{subscribe!r}{_did_you_mean(subscribe, known)}"))
    callback = lifecycle.webhooks.callback
    if callback is not None:
        _, create = _operation(resolved, lifecycle.create)
        media = (create.get("requestBody") or {}).get("content", {}).get("application/json")
        if media is None or pointers.subschema(media.get("schema", {}), callback) is None:
            problems.append(Problem(place=f"{place}.webhooks.callback", message=f"{callback!r} "
                                    f"is not a place {lifecycle.create}'s JSON request body "
                                    "declares"))
    header = lifecycle.webhooks.signature.header.lower()
    for state, name in sorted(lifecycle.webhooks.when.items()):
        where = f"{place}.webhooks.when.{state}"
        if name not in declared:
            close = difflib.get_close_matches(name, sorted(declared), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else \
                f"; declared: {', '.join(sorted(declared)) or 'none'}"
            problems.append(Problem(place=where, message=f"no webhook {name!r} under the "
                                    f"top-level `webhooks`{hint}"))
            continue
        post = (declared[name] or {}).get("post")
        media = ((post or {}).get("requestBody") or {}).get("content", {}).get("application/json")
        if post is None or media is None:
            problems.append(Problem(place=f"webhooks.{name}", message="needs a `post` with an "
                                    "application/json requestBody: the run's poll body"))
            continue
        if media.get("schema") != poll_schema:
            problems.append(Problem(place=f"webhooks.{name}.post.requestBody", message="the "
                                    "body's schema is not the poll's success schema"))
        headers = {str(p.get("name", "")).lower() for p in post.get("parameters", [])
                   if p.get("in") == "header"}
        if header not in headers:
            problems.append(Problem(place=f"webhooks.{name}.post.parameters", message=f"the "
                                    f"signature header {lifecycle.webhooks.signature.header!r} "
                                    "is not declared"))
    return problems


def _link(resolved: dict[str, Any], lifecycle: Lifecycle, place: str, poll_path: str,
          poll: dict[str, Any]) -> list[Problem]:
    try:
        parameters = link_parameters(resolved, lifecycle)
    except LookupError:
        return [Problem(place=f"{place}.link", message=f"no link {lifecycle.link!r} in the "
                        f"responses of {lifecycle.create}")]
    problems = []
    declared = [*resolved["paths"][poll_path].get("parameters", []),
                *poll.get("parameters", [])]
    wanted = {p["name"] for p in declared if p.get("in") == "path"}
    for missing in sorted(wanted - set(parameters)):
        problems.append(Problem(place=f"{place}.link", message=f"the link does not fill the "
                                f"poll's path parameter {missing!r}"))
    id_expression = f"$response.body#{lifecycle.id.create}"
    if id_expression not in parameters.values():
        problems.append(Problem(place=f"{place}.link", message=f"no link parameter is "
                                f"{id_expression!r}: the poll must be reached by the run's id"))
    for parameter, expression in parameters.items():
        if not str(expression).startswith(("$request.path.", "$request.query.",
                                           "$request.header.", "$request.body",
                                           "$response.body")):
            problems.append(Problem(place=f"{place}.link.{parameter}", message=f"unsupported "
                                    f"runtime expression {expression!r}"))
    return problems


def _resources(resolved: dict[str, Any], body: Any, known: set[str]) -> list[Problem]:
    try:
        resources = Resources.model_validate(body or {})
    except ValidationError as error:
        return _validation_problems("x-resources", error)
    problems = []
    for name, resource in resources.items.items():
        place = f"x-resources.items.{name}"
        for role, operation_id in resource.operations().items():
            if operation_id not in known:
                problems.append(Problem(place=f"{place}.{role}", message=f"no operation "
                                        f"{operation_id!r}{_did_you_mean(operation_id, known)}"))
        if resource.parent is not None and resource.parent.resource not in resources.items:
            problems.append(Problem(place=f"{place}.parent.resource", message=f"no resource "
                                    f"{resource.parent.resource!r}"))
    return problems


def _hypermedia(resolved: dict[str, Any], body: Any, known: set[str]) -> list[Problem]:
    if not isinstance(body, list):
        return [Problem(place="x-hypermedia", message="a list of handed-out URLs, e.g. "
                        "`- {in: startRun, url: /poll_url, follow: getRun}`")]
    problems = []
    for index, entry in enumerate(body):
        place = f"x-hypermedia.{index}"
        try:
            declared = HandedOutUrl.model_validate(entry)
        except ValidationError as error:
            problems += _validation_problems(place, error)
            continue
        named = {"in": declared.handed_out_by, "follow": declared.follow}
        unknown = [Problem(place=f"{place}.{role}", message=f"no operation {operation_id!r}"
                           f"{_did_you_mean(operation_id, known)}")
                   for role, operation_id in named.items()
                   if operation_id is not None and operation_id not in known]
        if unknown:
            problems += unknown
            continue
        handing = _success_schema(_operation(resolved, declared.handed_out_by)[1]) or {}
        wanted = [("url", declared.url, handing, declared.handed_out_by)]
        if declared.follow is not None:
            followed = _success_schema(_operation(resolved, declared.follow)[1]) or {}
            for source, pointer in declared.same.items():
                wanted.append((f"same.{source}", pointer, followed, declared.follow))
                if source.startswith("/"):
                    wanted.append((f"same.{source}", source, handing, declared.handed_out_by))
        for where, pointer, schema, operation_id in wanted:
            if pointers.subschema(schema, pointer) is None:
                problems.append(Problem(place=f"{place}.{where}", message=f"{pointer!r} is not "
                                        f"a place {operation_id}'s success response declares"))
    return problems


def _body_rules(document: dict[str, Any], resolved: dict[str, Any]) -> list[Problem]:
    """`x-accumulating` on arrays and `x-subsets` on objects, naming properties they have."""
    problems = []
    for trail, node in _schema_nodes(document, ()):
        place = ".".join(trail)
        schema = _at(resolved, trail)
        if "x-accumulating" in node:
            problems += _accumulating(f"{place}.x-accumulating", node["x-accumulating"], schema)
        if "x-subsets" in node:
            problems += _subsets(f"{place}.x-subsets", node["x-subsets"], schema)
    return problems


def _schema_nodes(node: Any, trail: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    found: list[tuple[tuple[str, ...], Any]] = []
    if isinstance(node, dict):
        if "x-accumulating" in node or "x-subsets" in node:
            found.append((trail, node))
        for key, value in node.items():
            found += _schema_nodes(value, (*trail, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _schema_nodes(value, (*trail, str(index)))
    return found


def _at(document: Any, trail: tuple[str, ...]) -> dict[str, Any]:
    for part in trail:
        document = document[int(part)] if isinstance(document, list) else document[part]
    return document if isinstance(document, dict) else {}


def _accumulating(place: str, marker: Any, schema: dict[str, Any]) -> list[Problem]:
    if schema.get("type") != "array" and "items" not in schema:
        return [Problem(place=place, message="x-accumulating belongs on an array schema")]
    try:
        rule = Accumulating.of(marker)
    except ValidationError as error:
        return [*_validation_problems(place, error),
                Problem(place=place, message="`true`, or `{key: id, fixed: [created]}`")]
    declared = pointers.declared_properties(schema.get("items", {}))
    return [Problem(place=f"{place}.{role}", message=f"the elements declare no property {name!r}"
                    f"{_close(name, declared)}")
            for role, name in [("key", rule.key), *(("fixed", name) for name in rule.fixed)]
            if name is not None and name not in declared]


def _subsets(place: str, value: Any, schema: dict[str, Any]) -> list[Problem]:
    if not isinstance(value, list):
        return [Problem(place=place, message="a list, e.g. `- {items: chosen, of: offered, by: "
                        "id}`")]
    problems = []
    declared = pointers.declared_properties(schema)
    for index, entry in enumerate(value):
        try:
            rule = Subset.model_validate(entry)
        except ValidationError as error:
            problems += _validation_problems(f"{place}.{index}", error)
            continue
        for role in ("items", "of"):
            name = getattr(rule, role)
            inner = declared.get(name)
            if inner is None:
                problems.append(Problem(place=f"{place}.{index}.{role}", message=f"the object "
                                        f"declares no property {name!r}{_close(name, declared)}"))
            elif inner.get("type") != "array" and "items" not in inner:
                problems.append(Problem(place=f"{place}.{index}.{role}",
                                        message=f"{name!r} is not an array"))
            elif rule.by is not None and rule.by not in pointers.declared_properties(
                    inner.get("items", {})):
                problems.append(Problem(place=f"{place}.{index}.by", message=f"the elements of "
                                        f"{name!r} declare no property {rule.by!r}"))
    return problems


def _close(wanted: str, known: Any) -> str:
    close = difflib.get_close_matches(wanted, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""

