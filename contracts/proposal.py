"""A drift report's additive findings as an OpenAPI Overlay 1.0 document, for a person to review.

New fields, enum values, statuses, response headers, lifecycle states and the transitions seen
between them can be declared mechanically; each becomes one overlay action
(https://spec.openapis.org/overlay/v1.0.html) whose target is the contract node as written (a
shared component where the schema is a `$ref`), marked `x-drift` with the recording and entry
that showed it and how often it was seen. A state joins `x-lifecycles` together with its enum
value, so that the proposed contract still passes `contracts.lint`. Undeclared paths and
operations, terminal states that moved and error bodies are a person's call and are left out.
`apply` applies an overlay of exact targets (`$['paths']['/x']['get']`,
`$.components.schemas.X`), the subset this module writes.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from contracts.drift import Finding, Report

__all__ = ["ADDITIVE", "OverlayError", "apply", "overlay", "target"]

ADDITIVE = ("undeclared status", "undeclared response header", "undeclared response field",
            "undeclared request field", "undeclared enum value", "undeclared lifecycle state",
            "undeclared lifecycle transition")
"""The finding kinds a proposal declares."""

_SEGMENT = re.compile(r"\.([A-Za-z_$][\w$-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")


class OverlayError(ValueError):
    """An overlay this module cannot apply: not Overlay 1.0, or a target it cannot follow."""


def target(keys: list[str]) -> str:
    """A JSONPath selecting exactly the node at `keys` from the document's root."""
    return "$" + "".join("['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']"
                         for key in keys)


def overlay(report: Report, document: dict[str, Any]) -> dict[str, Any]:
    """The overlay declaring every additive finding of `report` (statuses first, so that the
    headers seen on a new status find it)."""
    order = {kind: i for i, kind in enumerate(ADDITIVE)}
    additive = sorted((f for f in report.findings if f.kind in order and f.target is not None),
                      key=lambda f: order[f.kind])
    title = document.get("info", {}).get("title", report.contract)
    made: set[str] = set()
    return {
        "overlay": "1.0.0",
        "info": {"title": f"Drift of {title} seen in {', '.join(report.recordings)}",
                 "version": str(document.get("info", {}).get("version", "0"))},
        "actions": [_action(finding, document, made) for finding in additive],
    }


def _action(finding: Finding, document: dict[str, Any], made: set[str]) -> dict[str, Any]:
    """One finding's action; `made` holds the transition lists earlier actions create."""
    assert finding.target is not None and finding.example is not None
    note = {"recording": finding.example.recording, "entry": finding.example.entry,
            "seen": finding.count}
    described = f"{finding.kind} at {finding.place}: {finding.value}; seen {finding.count} " \
        f"time(s), first in entry {finding.example.entry} of {finding.example.recording}"
    update: Any
    keys = finding.target
    if finding.kind == "undeclared lifecycle transition":
        before, _, after = finding.value.partition(" -> ")
        transitions = _node(document, keys)
        listed = target([*keys, before])
        existing = isinstance(transitions, dict) and isinstance(transitions.get(before), list)
        if listed in made or existing:
            keys, update = [*keys, before], after
        else:  # a new state's first way out; a later one appends to the list this makes
            made.add(listed)
            update = {before: [after]}
    elif finding.kind == "undeclared lifecycle state":
        update = finding.value
    elif finding.kind == "undeclared status":
        update = {finding.value: {"description": "Seen in traffic; describe it.",
                                  "x-drift": note}}
    elif finding.kind == "undeclared response header":
        update = {"headers": {finding.value: {"description": "Seen in traffic; describe it.",
                                              "schema": {"type": "string"}, "x-drift": note}}}
    elif finding.kind == "undeclared enum value":
        update = finding.value
    else:
        name = finding.place.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        types = finding.value.split(",")
        schema: dict[str, Any] = {"x-drift": note}
        if types != ["null"]:
            schema["type"] = types[0] if len(types) == 1 else types
        update = {"properties": {name: schema}}
    return {"target": target(keys), "description": described, "update": update,
            "x-drift": dict(note)}  # a copy: YAML would write a shared one as an alias


def apply(document: dict[str, Any], overlay_document: Any) -> dict[str, Any]:
    """`document` with the overlay's actions applied in order (a copy): an object update merged
    in, an array's update appended, `remove: true` removing the node. A target that selects
    nothing changes nothing, as the specification says."""
    if not isinstance(overlay_document, dict) or \
            not str(overlay_document.get("overlay", "")).startswith("1.0") or \
            not isinstance(overlay_document.get("actions"), list):
        raise OverlayError("not an OpenAPI Overlay 1.0 document (`overlay: 1.0.0` and a list "
                           "of `actions`)")
    result = copy.deepcopy(document)
    for index, action in enumerate(overlay_document["actions"]):
        if not isinstance(action, dict) or not isinstance(action.get("target"), str):
            raise OverlayError(f"action {index} has no target")
        keys = _keys(action["target"])
        parent, node = None, result
        for key in keys:
            parent = node
            node = _child(node, key)
            if node is None:
                break
        if node is None:
            continue
        if action.get("remove") is True:
            if parent is None:
                raise OverlayError(f"action {index} would remove the whole document")
            del parent[keys[-1] if isinstance(parent, dict) else int(keys[-1])]
        elif "update" in action:
            _update(node, copy.deepcopy(action["update"]), index)
    return result


def _node(document: Any, keys: list[str]) -> Any:
    for key in keys:
        document = _child(document, key)
    return document


def _keys(path: str) -> list[str]:
    if not path.startswith("$"):
        raise OverlayError(f"target {path!r} is not a JSONPath (it starts with `$`)")
    keys, at = [], 1
    while at < len(path):
        found = _SEGMENT.match(path, at)
        if found is None:
            raise OverlayError(f"target {path!r}: only exact names and indexes are supported "
                               f"(at {path[at:]!r})")
        name, quoted, number = found.groups()
        keys.append(name if name is not None else number if number is not None
                    else re.sub(r"\\(.)", r"\1", quoted))
        at = found.end()
    return keys


def _child(node: Any, key: str) -> Any:
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, list) and key.isdigit() and int(key) < len(node):
        return node[int(key)]
    return None


def _update(node: Any, update: Any, index: int) -> None:
    if isinstance(node, list):
        node.append(update)
    elif isinstance(node, dict) and isinstance(update, dict):
        for key, value in update.items():
            if isinstance(node.get(key), dict) and isinstance(value, dict):
                _update(node[key], value, index)
            else:
                node[key] = value
    else:
        raise OverlayError(f"action {index} updates a value that is neither an object nor a "
                           "list")
