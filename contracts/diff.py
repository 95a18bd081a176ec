"""`contracts diff`: every difference between two versions of a contract, classified by who it
breaks (`contracts.changes`).

The OpenAPI core is compared here: paths, operations, parameters, request bodies, responses,
security and servers, and the top-level `webhooks`; schemas are compared where they are used
(`contracts.schema_diff`), so a change inside a shared component is reported at each request or
response it shapes, with that place's direction. The project's `x-` extensions are compared by
`contracts.extension_diff`. Documentation (descriptions, examples, `x-source`) is not compared.
"""

from __future__ import annotations

from typing import Any

from contracts.changes import Change, change, presence
from contracts.extension_diff import compare_extensions
from contracts.openapi import METHODS
from contracts.schema_diff import Direction, compare_schemas

__all__ = ["diff"]

_JSON = "application/json"


def diff(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every difference from `old` to `new` (both parsed, local `$ref`s resolved), in the
    order of the documents."""
    found: list[Change] = []
    found += _paths(old, new)
    found += _webhooks(old, new)
    found += _security_schemes(old, new)
    found += _servers(old, new)
    found += compare_extensions(old, new)
    return found


def _paths(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    before, after = _mapping(old.get("paths")), _mapping(new.get("paths"))
    found = presence(before, after, lambda path, how: change(f"path-{how}", f"paths.{path}",
                                                             f"path {how}"))
    for path, old_item in before.items():
        if path not in after:
            continue
        new_item = _mapping(after[path])
        old_item = _mapping(old_item)
        for method in METHODS:
            place = f"paths.{path}.{method}"
            if method in old_item and method not in new_item:
                found.append(change("operation-removed", place, "operation removed"))
            elif method in new_item and method not in old_item:
                found.append(change("operation-added", place, "operation added"))
            elif method in old_item:
                found += _operation(old, new, old_item, new_item, method, place)
    return found


def _operation(old: dict[str, Any], new: dict[str, Any], old_item: dict[str, Any],
               new_item: dict[str, Any], method: str, place: str) -> list[Change]:
    found = []
    old_op, new_op = _mapping(old_item[method]), _mapping(new_item[method])
    if old_op.get("operationId") != new_op.get("operationId"):
        found.append(change("operation-id-changed", place, f"operationId "
                            f"{old_op.get('operationId')!r} became {new_op.get('operationId')!r}"))
    found += _parameters(_parameters_of(old_item, old_op), _parameters_of(new_item, new_op),
                         place)
    found += _request_body(old_op.get("requestBody"), new_op.get("requestBody"), "request",
                           f"{place}.requestBody")
    found += _responses(_mapping(old_op.get("responses")), _mapping(new_op.get("responses")),
                        place)
    found += _requirements(_security_of(old, old_op), _security_of(new, new_op), place)
    return found


def _parameters_of(item: dict[str, Any], operation: dict[str, Any]) -> dict[tuple[str, str],
                                                                             dict[str, Any]]:
    """An operation's parameters by (location, name), the path item's overridden by its own;
    header names compared without case, as HTTP does."""
    found = {}
    for parameter in [*_list(item.get("parameters")), *_list(operation.get("parameters"))]:
        if isinstance(parameter, dict) and "name" in parameter:
            where = str(parameter.get("in", "query"))
            name = str(parameter["name"])
            found[(where, name.lower() if where == "header" else name)] = parameter
    return found


def _parameters(before: dict[tuple[str, str], dict[str, Any]],
                after: dict[tuple[str, str], dict[str, Any]], place: str) -> list[Change]:
    found = []
    removed = [key for key in before if key not in after]
    added = [key for key in after if key not in before]
    for key in list(removed):
        target = next((other for other in added if other[1] == key[1]), None)
        if target is not None:
            found.append(change("parameter-location-changed", f"{place}.parameters",
                                f"parameter {before[key]['name']!r} moved from {key[0]} to "
                                f"{target[0]}"))
            removed.remove(key)
            added.remove(target)
    for key in removed:
        found.append(change("parameter-removed", f"{place}.parameters",
                            f"{key[0]} parameter {before[key]['name']!r} removed"))
    for key in added:
        required = bool(after[key].get("required"))
        found.append(change("required-parameter-added" if required else "parameter-added",
                            f"{place}.parameters", f"{'required ' if required else ''}{key[0]} "
                            f"parameter {after[key]['name']!r} added"))
    for key, parameter in before.items():
        if key not in after:
            continue
        where, name = key[0], parameter["name"]
        was, now = bool(parameter.get("required")), bool(after[key].get("required"))
        if now and not was:
            found.append(change("parameter-became-required", f"{place}.parameters",
                                f"{where} parameter {name!r} became required"))
        elif was and not now:
            found.append(change("parameter-became-optional", f"{place}.parameters",
                                f"{where} parameter {name!r} is no longer required"))
        found += compare_schemas(parameter.get("schema"), after[key].get("schema"), "request",
                                 f"{place}.parameters.{where}.{name}")
    return found


def _request_body(before: Any, after: Any, direction: Direction, place: str) -> list[Change]:
    """A request body; `direction` is who sends it (the implementation, for a webhook)."""
    if before is None and after is None:
        return []
    if after is None:
        return [change("request-body-removed", place, "request body removed")]
    if before is None:
        required = bool(_mapping(after).get("required"))
        return [change("required-request-body-added" if required else "request-body-added",
                       place, f"{'required ' if required else ''}request body added")]
    before, after = _mapping(before), _mapping(after)
    found = []
    if after.get("required") and not before.get("required"):
        found.append(change("request-body-became-required", place, "request body became "
                            "required"))
    elif before.get("required") and not after.get("required"):
        found.append(change("request-body-became-optional", place, "request body is no longer "
                            "required"))
    found += _content(_mapping(before.get("content")), _mapping(after.get("content")),
                      "request", direction, place)
    return found


def _content(before: dict[str, Any], after: dict[str, Any], part: Direction,
             direction: Direction, place: str) -> list[Change]:
    """The media types of a request body or a response (`part`), their schemas compared as
    sent by `direction`'s side."""
    found = presence(before, after, lambda media, how: change(
        f"{part}-media-type-{how}", place, f"media type {media!r} {how}"))
    for media, old_media in before.items():
        if media in after:
            where = place if media == _JSON else f"{place}.{media}"
            found += compare_schemas(_mapping(old_media).get("schema"),
                                     _mapping(after[media]).get("schema"), direction, where)
    return found


def _responses(before: dict[str, Any], after: dict[str, Any], place: str) -> list[Change]:
    found = presence(before, after, lambda status, how: change(
        f"response-{'success-' if str(status).startswith('2') else ''}status-{how}",
        f"{place}.responses", f"status {status} {how}"))
    for status, response in before.items():
        if status in after:
            found += _content(_mapping(_mapping(response).get("content")),
                              _mapping(_mapping(after[status]).get("content")), "response",
                              "response", f"{place}.responses.{status}")
    return found


def _security_of(document: dict[str, Any], operation: dict[str, Any]) -> set[frozenset[str]]:
    """The ways to authenticate an operation, each a set of scheme names (scopes aside); the
    empty set where no credentials are needed."""
    declared = operation.get("security", document.get("security"))
    alternatives = {frozenset(_mapping(entry)) for entry in _list(declared)}
    return alternatives or {frozenset()}


def _requirements(before: set[frozenset[str]], after: set[frozenset[str]],
                  place: str) -> list[Change]:
    def shown(alternative: frozenset[str]) -> str:
        return " + ".join(sorted(alternative)) or "no credentials"

    found = [change("security-requirement-removed", f"{place}.security",
                    f"authenticating with {shown(a)} no longer accepted")
             for a in sorted(before - after, key=sorted)]
    found += [change("security-requirement-added", f"{place}.security",
                     f"authenticating with {shown(a)} now accepted")
              for a in sorted(after - before, key=sorted)]
    return found


def _webhooks(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The top-level `webhooks`: the implementation sends them, so their bodies follow the
    response rules."""
    before, after = _mapping(old.get("webhooks")), _mapping(new.get("webhooks"))
    found = presence(before, after, lambda name, how: change(f"webhook-{how}",
                                                             f"webhooks.{name}", f"webhook {how}"))
    for name, item in before.items():
        if name not in after:
            continue
        for method in METHODS:
            old_op = _mapping(_mapping(item).get(method))
            new_op = _mapping(_mapping(after[name]).get(method))
            if old_op or new_op:
                found += _request_body(old_op.get("requestBody"), new_op.get("requestBody"),
                                       "response", f"webhooks.{name}.{method}.requestBody")
    return found


_SCHEME_KEYS = ("type", "scheme", "in", "name")


def _security_schemes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    before = _mapping(_mapping(old.get("components")).get("securitySchemes"))
    after = _mapping(_mapping(new.get("components")).get("securitySchemes"))
    found = presence(before, after, lambda name, how: change(
        f"security-scheme-{how}", f"components.securitySchemes.{name}", f"security scheme {how}"))
    for name, scheme in before.items():
        if name not in after:
            continue
        old_scheme, new_scheme = _mapping(scheme), _mapping(after[name])
        for key in _SCHEME_KEYS:
            if old_scheme.get(key) != new_scheme.get(key):
                found.append(change("security-scheme-changed",
                                    f"components.securitySchemes.{name}",
                                    f"{key} {old_scheme.get(key)!r} became "
                                    f"{new_scheme.get(key)!r}"))
        old_flows = _mapping(old_scheme.get("flows"))
        new_flows = _mapping(new_scheme.get("flows"))
        for flow in sorted({*old_flows, *new_flows}):
            old_url = _mapping(old_flows.get(flow)).get("tokenUrl")
            new_url = _mapping(new_flows.get(flow)).get("tokenUrl")
            if old_url != new_url:
                found.append(change("security-scheme-changed",
                                    f"components.securitySchemes.{name}.flows.{flow}",
                                    f"tokenUrl {old_url!r} became {new_url!r}"))
    return found


def _servers(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    before = [_mapping(s).get("url") for s in _list(old.get("servers"))]
    after = [_mapping(s).get("url") for s in _list(new.get("servers"))]
    found = [change("server-removed", "servers", f"server {url!r} removed")
             for url in before if url not in after]
    found += [change("server-added", "servers", f"server {url!r} added")
              for url in after if url not in before]
    return found


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
