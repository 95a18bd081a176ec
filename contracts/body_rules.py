"""What a contract says of response bodies beyond JSON Schema, as pure functions over them.

- `x-accumulating` on an array: the list only grows. Across two reads of the same record (two
  polls of a run, two reads of a chat) no element is lost or rewritten: without a `key`, the
  earlier list is the start of the later one; with a `key`, every earlier element is still there
  in the same order, and its `fixed` properties keep their values.
- `x-subsets` on an object: the elements of one of its lists all appear in another (FlowFlow's
  `met_and_defined` conditions are both met and defined), matched `by` a property or whole.

The schemas are resolved (`contracts.load`); a keyword applies wherever its schema describes a
part of the body, `allOf`/`anyOf`/`oneOf` branches included. Each function returns the rules
broken, in words, with the place in the body (empty: kept).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from contracts.extensions import Accumulating, Subset

__all__ = ["accumulation_problems", "subset_problems"]


def accumulation_problems(schema: dict[str, Any], before: Any, after: Any) -> list[str]:
    """What an earlier body of a record (`before`) lost or had rewritten in a later one."""
    problems: list[str] = []
    _compare(schema, before, after, "", problems)
    return list(dict.fromkeys(problems))


def subset_problems(schema: dict[str, Any], body: Any) -> list[str]:
    """Every `x-subsets` rule of the schema that the body breaks."""
    problems: list[str] = []
    _contain(schema, body, "", problems)
    return list(dict.fromkeys(problems))


def _branches(schema: Any) -> Iterator[dict[str, Any]]:
    """The schema and, recursively, its `allOf`/`anyOf`/`oneOf` branches."""
    if not isinstance(schema, dict):
        return
    yield schema
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(keyword, []):
            yield from _branches(branch)


def _compare(schema: Any, before: Any, after: Any, where: str, problems: list[str]) -> None:
    for branch in _branches(schema):
        marker = branch.get("x-accumulating")
        if marker is not None and isinstance(before, list):
            rule = Accumulating.of(marker)
            if not isinstance(after, list):
                problems.append(f"{where or '/'} was a list of {len(before)} and is now "
                                f"{_shown(after)}")
                continue
            problems += _list_problems(rule, before, after, where)
            pairs = _keyed_pairs(rule.key, before, after) if rule.key else \
                list(zip(before, after, strict=False))
            for index, (old, new) in enumerate(pairs):
                _compare(branch.get("items"), old, new, f"{where}/{index}", problems)
        elif isinstance(before, list) and isinstance(after, list) and "items" in branch:
            for index, (old, new) in enumerate(zip(before, after, strict=False)):
                _compare(branch["items"], old, new, f"{where}/{index}", problems)
        if isinstance(before, dict) and isinstance(after, dict):
            for name, inner in branch.get("properties", {}).items():
                if name not in before:
                    continue
                if name not in after:
                    if any("x-accumulating" in b for b in _branches(inner)):
                        problems.append(f"{where}/{name} is gone (it held {_shown(before[name])})")
                    continue
                _compare(inner, before[name], after[name], f"{where}/{name}", problems)


def _list_problems(rule: Accumulating, before: list[Any], after: list[Any], where: str
                   ) -> list[str]:
    if rule.key is None:
        if len(after) < len(before):
            return [f"{where} lost elements: {len(before)} before, {len(after)} now"]
        for index, (old, new) in enumerate(zip(before, after, strict=False)):
            if old != new:
                return [f"{where}/{index} was rewritten: {_shown(old)} became {_shown(new)}"]
        return []
    key = rule.key
    earlier = [_key(item, key) for item in before]
    later = [_key(item, key) for item in after]
    lost = [value for value in earlier if value not in later]
    if lost:
        return [f"{where} lost the element with {key}={lost[0]!r} ({len(lost)} of "
                f"{len(earlier)} lost)"]
    kept = [value for value in later if value in earlier]
    if kept != earlier:
        return [f"{where} reordered its elements: {key}s {earlier} now come as {kept}"]
    problems = []
    for old, new in _keyed_pairs(key, before, after):
        for name in rule.fixed:
            if isinstance(old, dict) and name in old and (
                    not isinstance(new, dict) or new.get(name) != old[name]):
                shown = _shown(new.get(name)) if isinstance(new, dict) else "missing"
                problems.append(f"{where}: the element with {key}={_key(old, key)!r} had "
                                f"{name}={_shown(old[name])}, now {shown}")
    return problems


def _keyed_pairs(key: str, before: list[Any], after: list[Any]) -> list[tuple[Any, Any]]:
    later = {_key(item, key): item for item in after}
    return [(item, later[_key(item, key)]) for item in before if _key(item, key) in later]


def _key(item: Any, key: str) -> Any:
    value = item.get(key) if isinstance(item, dict) else None
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _contain(schema: Any, body: Any, where: str, problems: list[str]) -> None:
    for branch in _branches(schema):
        if isinstance(body, dict):
            for rule in Subset.all_of(branch.get("x-subsets")):
                problems += _subset_problems(rule, body, where)
            for name, inner in branch.get("properties", {}).items():
                if name in body:
                    _contain(inner, body[name], f"{where}/{name}", problems)
        elif isinstance(body, list) and "items" in branch:
            for index, item in enumerate(body):
                _contain(branch["items"], item, f"{where}/{index}", problems)


def _subset_problems(rule: Subset, body: dict[str, Any], where: str) -> list[str]:
    part, whole = body.get(rule.items), body.get(rule.of)
    if not isinstance(part, list) or not isinstance(whole, list):
        return []
    if rule.by is None:
        outside = [item for item in part if item not in whole]
        named = [_shown(item) for item in outside]
    else:
        keys = {_key(item, rule.by) for item in whole}
        outside = [item for item in part if _key(item, rule.by) not in keys]
        named = [f"{rule.by}={_key(item, rule.by)!r}" for item in outside]
    if not outside:
        return []
    return [f"{where}/{rule.items} holds {named[0]}, which {where}/{rule.of} does not "
            f"({len(outside)} of {len(part)} outside it)"]


def _shown(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."
