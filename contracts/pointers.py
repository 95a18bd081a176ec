"""JSON pointers and OpenAPI runtime expressions, as the lifecycle extensions and links use them."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = [
    "MISSING",
    "declared_properties",
    "evaluate",
    "get",
    "has",
    "parent",
    "put",
    "remove",
    "subschema",
]

MISSING: Any = object()


@lru_cache(maxsize=1024)
def _parts(pointer: str) -> tuple[str, ...]:
    """A pointer's reference tokens; the contracts use a handful of pointers over and over."""
    if pointer in ("", "/"):
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/"))


def get(document: Any, pointer: str, default: Any = MISSING) -> Any:
    """The value at a JSON pointer, or `default` (raises KeyError without one)."""
    node = document
    for part in _parts(pointer):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return default
    return node


def parent(pointer: str) -> str:
    """The pointer to the object holding `pointer`'s target."""
    return pointer.rsplit("/", 1)[0]


def has(document: Any, pointer: str) -> bool:
    """Whether a JSON pointer names a value in the document."""
    return get(document, pointer) is not MISSING


def put(document: dict[str, Any], pointer: str, value: Any) -> None:
    """Set a value, creating intermediate objects as needed."""
    *parents, last = _parts(pointer)
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def remove(document: Any, pointer: str) -> None:
    """Delete the value at a JSON pointer, if there is one."""
    *parents, last = _parts(pointer)
    parent = get(document, "/" + "/".join(parents) if parents else "")
    if isinstance(parent, dict):
        parent.pop(last, None)


_REQUEST_SOURCES = tuple((source, f"$request.{source}.") for source in ("path", "query", "header"))


def evaluate(expression: str, request: dict[str, Any], response_body: Any = None) -> Any:
    """Evaluate a runtime expression such as `$request.path.id` or `$response.body#/run/id`.

    `request` holds `path`, `query`, `header` dicts and `body`; a value that is absent is MISSING.
    """
    if expression.startswith("$response.body"):
        return get(response_body, expression.partition("#")[2])
    if expression.startswith("$request.body"):
        return get(request.get("body"), expression.partition("#")[2])
    for source, prefix in _REQUEST_SOURCES:
        if expression.startswith(prefix):
            name = expression[len(prefix):]
            values = request.get(source, {})
            if source == "header":
                values = {k.lower(): v for k, v in values.items()}
                name = name.lower()
            return values.get(name, MISSING)
    if not expression.startswith("$"):
        return expression
    raise ValueError(f"unsupported runtime expression {expression!r}")


def subschema(schema: dict[str, Any], pointer: str) -> dict[str, Any] | None:
    """The schema that describes the value a JSON pointer reaches in an instance of `schema`,
    or None where the schema has no such place (`allOf`/`anyOf`/`oneOf` branches are searched)."""
    node = schema
    for part in _parts(pointer):
        found = None
        for branch in [node, *node.get("allOf", []), *node.get("anyOf", []),
                       *node.get("oneOf", [])]:
            if part.isdigit() and "items" in branch:
                found = branch["items"]
            elif part in branch.get("properties", {}):
                found = branch["properties"][part]
            if found is not None:
                break
        if found is None:
            return None
        node = found
    return node


def declared_properties(schema: dict[str, Any]) -> dict[str, Any]:
    """Every property a schema names, across its `allOf`/`anyOf`/`oneOf` branches."""
    found: dict[str, Any] = {}
    for branch in [schema, *schema.get("allOf", []), *schema.get("anyOf", []),
                   *schema.get("oneOf", [])]:
        for name, value in branch.get("properties", {}).items():
            found.setdefault(name, value)
    return found
