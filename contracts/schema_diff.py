"""Two JSON schemas compared, knowing who sends the value: the client (a request) or the
implementation (a response, a webhook payload).

The same change breaks the other side depending on the direction: an enum value added to what
the implementation sends surprises clients, added to what clients send surprises
implementations. Schemas come resolved (no `$ref`); `allOf` parts are merged before comparing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from contracts.changes import Change, change

__all__ = ["Direction", "compare_schemas"]

Direction = Literal["request", "response"]
_Emit = Callable[[str, str], None]

_DEPTH = 40
"""Deeper than any contract nests; a bound so a pathological document cannot recurse forever."""


def compare_schemas(old: Any, new: Any, direction: Direction, place: str) -> list[Change]:
    """Every difference between two schemas of a value sent in `direction`, placed under `place`
    (`.name` per property, `[]` per array item)."""
    found: list[Change] = []
    _compare(_flat(old), _flat(new), direction, place, found, 0)
    return found


def _compare(old: dict[str, Any], new: dict[str, Any], direction: Direction, place: str,
             found: list[Change], depth: int) -> None:
    if depth > _DEPTH or old == new:
        return

    def emit(rule: str, message: str, where: str = place) -> None:
        found.append(change(f"{direction}-{rule}", where, message))

    _types(old, new, emit)
    _enums(old, new, emit)
    _formats(old, new, emit)
    old_props, new_props = _mapping(old.get("properties")), _mapping(new.get("properties"))
    old_required, new_required = _names(old.get("required")), _names(new.get("required"))
    for name in old_props:
        if name not in new_props:
            emit("property-removed", f"property {name!r} removed")
    for name in new_props:
        if name not in old_props:
            rule = "required-property-added" if name in new_required else "property-added"
            emit(rule, f"{'required ' if name in new_required else ''}property {name!r} added")
    for name in old_props:
        if name not in new_props:
            continue
        if name in new_required and name not in old_required:
            emit("property-became-required", f"property {name!r} became required")
        elif name in old_required and name not in new_required:
            emit("property-became-optional", f"property {name!r} is no longer required")
        _compare(_flat(old_props[name]), _flat(new_props[name]), direction, f"{place}.{name}",
                 found, depth + 1)
    if "items" in old or "items" in new:
        _compare(_flat(old.get("items")), _flat(new.get("items")), direction, f"{place}[]",
                 found, depth + 1)
    if isinstance(old.get("additionalProperties"), dict) \
            and isinstance(new.get("additionalProperties"), dict):
        _compare(_flat(old["additionalProperties"]), _flat(new["additionalProperties"]),
                 direction, f"{place}.*", found, depth + 1)
    for keyword in ("anyOf", "oneOf"):
        _alternatives(old, new, keyword, direction, place, found, depth)
    _body_rules(old, new, place, found)


def _types(old: dict[str, Any], new: dict[str, Any], emit: _Emit) -> None:
    before, after = _type_set(old), _type_set(new)
    if before == after:
        return
    shown = f"type {_show(before)} became {_show(after)}"
    if before is None or (after is not None and after < before):
        emit("type-narrowed", shown)
    elif after is None or after > before:
        emit("type-widened", shown)
    else:
        emit("type-changed", shown)


def _enums(old: dict[str, Any], new: dict[str, Any], emit: _Emit) -> None:
    before, after = _optional_list(old.get("enum")), _optional_list(new.get("enum"))
    if before is None and after is None:
        return
    if before is None:
        emit("enum-restricted", f"limited to the values {after}")
        return
    if after is None:
        emit("enum-unrestricted", f"no longer limited to the values {before}")
        return
    for value in after:
        if value not in before:
            emit("enum-value-added", f"enum value {value!r} added")
    for value in before:
        if value not in after:
            emit("enum-value-removed", f"enum value {value!r} removed")


def _formats(old: dict[str, Any], new: dict[str, Any], emit: _Emit) -> None:
    before, after = old.get("format"), new.get("format")
    if before == after:
        return
    if before is None:
        emit("format-added", f"format {after!r} added")
    elif after is None:
        emit("format-removed", f"format {before!r} removed")
    else:
        emit("format-changed", f"format {before!r} became {after!r}")


def _alternatives(old: dict[str, Any], new: dict[str, Any], keyword: str, direction: Direction,
                  place: str, found: list[Change], depth: int) -> None:
    before, after = _list(old.get(keyword)), _list(new.get(keyword))
    for index in range(min(len(before), len(after))):
        _compare(_flat(before[index]), _flat(after[index]), direction,
                 f"{place}.{keyword}[{index}]", found, depth + 1)
    for index in range(len(after), len(before)):
        found.append(change(f"{direction}-alternative-removed", place,
                            f"{keyword} alternative {index} removed"))
    for index in range(len(before), len(after)):
        found.append(change(f"{direction}-alternative-added", place,
                            f"{keyword} alternative {index} added"))


def _body_rules(old: dict[str, Any], new: dict[str, Any], place: str,
                found: list[Change]) -> None:
    """The project's guarantees on bodies: `x-accumulating` lists, `x-subsets` containments."""
    before, after = old.get("x-accumulating"), new.get("x-accumulating")
    if before is None and after is not None:
        found.append(change("accumulating-added", place, "x-accumulating added"))
    elif before is not None and after is None:
        found.append(change("accumulating-removed", place, "x-accumulating removed"))
    elif _strip(before) != _strip(after):
        found.append(change("accumulating-changed", place,
                            f"x-accumulating {_strip(before)} became {_strip(after)}"))
    old_subsets = [_strip(entry) for entry in _list(old.get("x-subsets"))]
    new_subsets = [_strip(entry) for entry in _list(new.get("x-subsets"))]
    for entry in new_subsets:
        if entry not in old_subsets:
            found.append(change("subset-added", place, f"x-subsets entry {entry} added"))
    for entry in old_subsets:
        if entry not in new_subsets:
            found.append(change("subset-removed", place, f"x-subsets entry {entry} removed"))


def _flat(schema: Any) -> dict[str, Any]:
    """The schema with its `allOf` parts merged: properties and `required` joined, the first
    word on any other keyword kept."""
    if not isinstance(schema, dict):
        return {}
    if "allOf" not in schema:
        return schema
    merged = {key: value for key, value in schema.items() if key != "allOf"}
    for part in _list(schema["allOf"]):
        for key, value in _flat(part).items():
            if key == "properties":
                merged["properties"] = {**_mapping(merged.get("properties")), **_mapping(value)}
            elif key == "required":
                merged["required"] = [*_list(merged.get("required")),
                                      *(n for n in _list(value)
                                        if n not in _list(merged.get("required")))]
            else:
                merged.setdefault(key, value)
    return merged


def _type_set(schema: dict[str, Any]) -> frozenset[str] | None:
    declared = schema.get("type")
    if declared is None:
        return None
    return frozenset(str(t) for t in declared) if isinstance(declared, list) \
        else frozenset({str(declared)})


def _show(types: frozenset[str] | None) -> str:
    return "any" if types is None else "|".join(sorted(types))


def _strip(value: Any) -> Any:
    """A value without its traceability keys, which document and never change behaviour."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in ("x-source", "x-assumption")}
    return value


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _optional_list(value: Any) -> list[Any] | None:
    return None if value is None else _list(value)


def _names(value: Any) -> set[str]:
    return {name for name in _list(value) if isinstance(name, str)}
