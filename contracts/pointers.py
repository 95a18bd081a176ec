"""JSON pointers and OpenAPI runtime expressions, as the lifecycle extensions and links use them."""

from __future__ import annotations

from typing import Any

MISSING: Any = object()


def _parts(pointer: str) -> list[str]:
    if pointer in ("", "/"):
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"not a JSON pointer: {pointer!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def get(document: Any, pointer: str, default: Any = MISSING) -> Any:
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
    *parents, last = _parts(pointer)
    parent = get(document, "/" + "/".join(parents) if parents else "")
    if isinstance(parent, dict):
        parent.pop(last, None)


def evaluate(expression: str, request: dict[str, Any], response_body: Any = None) -> Any:
    """Evaluate a runtime expression such as `$request.path.id` or `$response.body#/run/id`.

    `request` holds `path`, `query`, `header` dicts and `body`; a value that is absent is MISSING.
    """
    if expression.startswith("$response.body"):
        return get(response_body, expression.partition("#")[2])
    if expression.startswith("$request.body"):
        return get(request.get("body"), expression.partition("#")[2])
    for source in ("path", "query", "header"):
        prefix = f"$request.{source}."
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
