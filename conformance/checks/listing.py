"""Lists behave as `x-resources` says: a page never holds more than `limit` items (nor the
documented default when none is sent), `offset` or each page's next link walks the list without
overlap or gaps, `total` and `hasMore` agree with what is listed, every listed item matches the
filters sent, and what was deleted is no longer listed. Every finding carries the request and
response that showed it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from schemathesis import APIOperation, Response

from conformance.checks.common import judge, send
from conformance.findings import Results
from conformance.target import Target, json_or_none
from contracts import pointers
from contracts.extensions import CursorPaging, Resource

__all__ = ["Page", "check_filters", "check_paging", "walk"]

CHECK = "resources"
MAX_PAGES = 50
PAGES = 4  # how many pages a list is cut into to check that paging loses and repeats nothing
NO_MATCH = "zz-conformance-no-such-value-zz"


class Page:
    """A whole list as walked page by page, and the last response seen (the evidence)."""

    def __init__(self, items: list[dict[str, Any]], last: Response) -> None:
        self.items = items
        self.last = last

    def ids(self, field: str) -> list[Any]:
        """The items' ids, in list order."""
        return [item.get(field) for item in self.items]


def walk(target: Target, results: Results, listing: APIOperation, resource: Resource,
         query: dict[str, Any] | None = None, limit: int | None = None,
         tenant: str = "main") -> Page | None:
    """Every item of a list, page by page (by offset, or by the cursor of each page's next
    link), each page held to the paging rules; None when the list could not be read or a page
    broke a rule (already reported)."""
    paging = target.extensions.resources.pagination
    declared = _query_parameters(target, listing)
    if paging is None or paging.limit is None or paging.limit not in declared:
        limit = None  # a list that takes no limit
    items: list[dict[str, Any]] = []
    position: dict[str, Any] = {}  # where the next page starts: an offset or a cursor
    offset, response = 0, None
    cap = limit if limit is not None else _default_limit(target, listing)
    for _ in range(MAX_PAGES):
        sent = {**(query or {}), **position}
        if limit is not None and paging is not None and paging.limit is not None:
            sent[paging.limit] = limit
        response = _call(target, results, listing, sent, tenant)
        if response is None or response.status_code != 200:
            return None
        body = json_or_none(response)
        page = pointers.get(body, resource.envelope, None)
        if not isinstance(page, list):
            return None
        if cap is not None and len(page) > cap:
            shown = f"limit={limit}" if limit is not None else f"no limit (default {cap})"
            results.failed(CHECK, listing.label, "a page never holds more than `limit` items",
                           f"{len(page)} items for {shown}", target.exchange(response))
            return None
        items += [item for item in page if isinstance(item, dict)]
        if isinstance(paging, CursorPaging):
            following = _next_cursor(target, results, listing, paging, body, response)
            if following is None:
                return None
            if not following or not page:
                break
            position = following
            continue
        block = pointers.get(body, paging.block, None) if paging else None
        if paging is None or not isinstance(block, dict):
            break
        if not _consistent(target, results, listing, paging.fields, block, len(page),
                           offset, response):
            return None
        if not block.get(paging.fields["has_more"]) or not page:
            total = block.get(paging.fields["total"])
            if isinstance(total, int) and total != len(items):
                results.failed(CHECK, listing.label, "pages neither overlap nor leave gaps",
                               f"walking the pages gave {len(items)} items, `total` says "
                               f"{total}", target.exchange(response))
                return None
            break
        if paging.offset not in declared:
            break  # a list that takes no offset cannot be asked for its next page
        offset += len(page)
        position = {paging.offset: offset}
    if response is None:
        return None
    seen = [item.get(resource.id.field) for item in items]
    repeated = sorted({str(i) for i in seen if seen.count(i) > 1})
    if repeated:
        results.failed(CHECK, listing.label, "pages neither overlap nor leave gaps",
                       f"{', '.join(repeated)} listed on more than one page",
                       target.exchange(response))
        return None
    return Page(items, response)


def _next_cursor(target: Target, results: Results, listing: APIOperation, paging: CursorPaging,
                 body: Any, response: Response) -> dict[str, Any] | None:
    """The query that asks for the next page (empty at the end), from the page's next link;
    None when the link carries no cursor (reported)."""
    link = pointers.get(body, paging.next, None)
    if link is None:
        return {}
    cursor = parse_qs(urlsplit(str(link)).query).get(paging.cursor)
    if not cursor:
        results.failed(CHECK, listing.label, "a next page's link carries its cursor",
                       f"{paging.next} is {link!r}, with no `{paging.cursor}`",
                       target.exchange(response))
        return None
    return {paging.cursor: cursor[0]}


def check_paging(target: Target, results: Results, listing: APIOperation, resource: Resource,
                 whole: Page) -> None:
    """Walking the list in a few small pages gives the same items as walking it whole."""
    paging = target.extensions.resources.pagination
    declared = _query_parameters(target, listing)
    if len(whole.items) < 2 or paging is None or paging.limit is None:
        return
    moves = paging.cursor if isinstance(paging, CursorPaging) else paging.offset
    if not {paging.limit, moves} <= set(declared):
        return
    limit = max(1, -(-len(whole.items) // PAGES))
    paged = walk(target, results, listing, resource, limit=limit)
    if paged is None:
        return
    if sorted(map(str, paged.ids(resource.id.field))) != \
            sorted(map(str, whole.ids(resource.id.field))):
        results.failed(CHECK, listing.label, "pages neither overlap nor leave gaps",
                       f"pages of {limit} listed {paged.ids(resource.id.field)}, the whole "
                       f"list {whole.ids(resource.id.field)}", target.exchange(paged.last))
        return
    results.did(CHECK, "lists paged")


def check_filters(target: Target, results: Results, listing: APIOperation, resource: Resource,
                  whole: Page) -> None:
    """Each documented filter, sent with a value some item has and with one no item has, lists
    only items that match it."""
    declared = _query_parameters(target, listing)
    for name, rule in resource.filters.items():
        if name not in declared or rule.match == "include":
            if name in declared:
                _check_include(target, results, listing, resource, name, rule.field)
            continue
        values = [str(item[rule.field]) for item in whole.items
                  if isinstance(item.get(rule.field), str) and item[rule.field]]
        tried = [values[0][:3] if rule.match == "contains" else values[0]] if values else []
        for value in [*tried, NO_MATCH]:
            page = walk(target, results, listing, resource, query={name: value})
            if page is None:
                continue
            wrong = [item for item in page.items if not _matches(item.get(rule.field),
                                                                 value, rule.match)]
            if wrong:
                results.failed(CHECK, listing.label, "listed items match the filters sent",
                               f"{name}={value!r} listed {rule.field}="
                               f"{wrong[0].get(rule.field)!r}", target.exchange(page.last))
                break
            results.did(CHECK, "filters checked")


def _check_include(target: Target, results: Results, listing: APIOperation,
                   resource: Resource, name: str, field: str) -> None:
    page = walk(target, results, listing, resource, query={name: False})
    if page is None:
        return
    shown = [item for item in page.items if item.get(field) is True]
    if shown:
        results.failed(CHECK, listing.label, "listed items match the filters sent",
                       f"{name}=false listed an item whose {field} is true",
                       target.exchange(page.last))
        return
    results.did(CHECK, "filters checked")


def _matches(value: Any, wanted: Any, match: str) -> bool:
    if match == "contains":
        return isinstance(value, str) and str(wanted).lower() in value.lower()
    return bool(value == wanted)


def _consistent(target: Target, results: Results, listing: APIOperation,
                fields: Mapping[Any, str], block: dict[str, Any], size: int, offset: int,
                response: Response) -> bool:
    total, more = block.get(fields["total"]), block.get(fields["has_more"])
    if not isinstance(total, int) or block.get(fields["offset"]) != offset or \
            more != (offset + size < total) or size > block.get(fields["limit"], size):
        results.failed(CHECK, listing.label, "the pagination block describes the page",
                       f"page of {size} at offset {offset}: {block}", target.exchange(response))
        return False
    return True


def _query_parameters(target: Target, listing: APIOperation) -> dict[str, dict[str, Any]]:
    raw = target.operations()[listing.definition.raw["operationId"]][2]
    return {p["name"]: p for p in raw.get("parameters", []) if p.get("in") == "query"}


def _default_limit(target: Target, listing: APIOperation) -> int | None:
    """How many items a page holds when no limit is sent: the limit's documented default, else
    a cursor-paged list's declared page size."""
    paging = target.extensions.resources.pagination
    if paging is None:
        return None
    parameter = _query_parameters(target, listing).get(paging.limit or "", {})
    default = parameter.get("schema", {}).get("default")
    if isinstance(default, int):
        return default
    return paging.page_size if isinstance(paging, CursorPaging) else None


def _call(target: Target, results: Results, listing: APIOperation, query: dict[str, Any],
          tenant: str) -> Response | None:
    case = listing.Case(query=query)
    headers = target.auth_headers(listing.definition.raw, tenant)
    response = send(target, case, headers)
    if response is not None and not judge(target, results, CHECK, case, response, headers):
        return None
    return response
