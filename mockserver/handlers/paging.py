"""Pages of a list, as the contract's paging extension describes them: offset or cursor.

Shared by resource lists and run lists. A cursor is an opaque token (the position, encoded), and
the next and previous pages are full URLs back at the mock, as clients follow them.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from contracts import pointers
from contracts.extensions import CursorPaging, Pagination
from mockserver.engine.call import ApiError, Call
from mockserver.engine.contract import Operation

__all__ = ["page", "query_value"]


def page(call: Call, items: list[Any], paging: Pagination | CursorPaging | None,
         body: dict[str, Any]) -> list[Any]:
    """The items of the page the request asks for; writes the paging block or links to `body`."""
    if isinstance(paging, CursorPaging):
        return _cursor_page(call, items, paging, body)
    if paging is None or not _declares_query(call.operation, paging.limit):
        return items
    limit = int(query_value(call, paging.limit, len(items)))
    offset = int(query_value(call, paging.offset, 0))
    shown = items[offset:offset + limit]
    block = {paging.fields["total"]: len(items), paging.fields["limit"]: limit,
             paging.fields["offset"]: offset,
             paging.fields["has_more"]: offset + len(shown) < len(items)}
    pointers.put(body, paging.block, block)
    return shown


def query_value(call: Call, name: str, fallback: Any) -> Any:
    """A query parameter as sent, else its documented default, else `fallback`."""
    if name in call.inputs.query:
        return call.inputs.query[name]
    declared = next((p for p in call.operation.parameters
                     if p.name == name and p.location == "query"), None)
    return declared.schema.get("default", fallback) if declared else fallback


def _declares_query(operation: Operation, name: str) -> bool:
    return any(p.name == name and p.location == "query" for p in operation.parameters)


def _cursor_page(call: Call, items: list[Any], paging: CursorPaging,
                 body: dict[str, Any]) -> list[Any]:
    size = paging.page_size
    if paging.limit is not None:
        size = int(query_value(call, paging.limit, size))
    start = _position(call.inputs.query.get(paging.cursor))
    shown = items[start:start + size]
    after = start + len(shown)
    pointers.put(body, paging.next, _link(call, paging, after) if after < len(items) else None)
    pointers.put(body, paging.previous,
                 _link(call, paging, max(0, start - size)) if start > 0 else None)
    return shown


def _position(cursor: Any) -> int:
    if cursor is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(str(cursor).encode() + b"==").decode()
        position = int(text.removeprefix("o:"))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, f"Invalid cursor {cursor!r}: pass back a page's next or "
                            "previous URL as it is") from None
    if position < 0 or not text.startswith("o:"):
        raise ApiError(400, f"Invalid cursor {cursor!r}")
    return position


def _link(call: Call, paging: CursorPaging, position: int) -> str:
    query = {name: value for name, value in call.request.args.items() if name != paging.cursor}
    query[paging.cursor] = base64.urlsafe_b64encode(f"o:{position}".encode()).decode().rstrip("=")
    return f"{call.base_url}{call.request.path[len(call.prefix):]}?{urlencode(query)}"
