"""Lists behave as `x-resources` says: a page never holds more than `limit` items (nor the
documented default when none is sent), `offset` walks the list without overlap or gaps, `total`
and `hasMore` agree with what is listed, every listed item matches the filters sent, and what was
deleted is no longer listed. Every finding carries the request and response that showed it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemathesis import APIOperation, Response

from conformance.checks.common import judge, send
from conformance.findings import Results
from conformance.target import Target, json_or_none
from contracts import pointers
from contracts.extensions import Pagination, Resource

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
    """Every item of a list, page by page, each page held to the pagination rules; None when
    the list could not be read or a page broke a rule (already reported)."""
    pagination = _offset_paging(target)
    declared = _query_parameters(target, listing)
    if pagination is None or pagination.limit not in declared:
        limit = None  # a list that takes no limit
    items: list[dict[str, Any]] = []
    offset, response = 0, None
    cap = limit if limit is not None else _default_limit(target, listing)
    for _ in range(MAX_PAGES):
        sent = dict(query or {})
        if pagination is not None and pagination.offset in declared and offset:
            sent[pagination.offset] = offset
        if pagination is not None and pagination.limit in declared and limit is not None:
            sent[pagination.limit] = limit
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
        block = pointers.get(body, pagination.block, None) if pagination else None
        if pagination is None or not isinstance(block, dict):
            break
        if not _consistent(target, results, listing, pagination.fields, block, len(page),
                           offset, response):
            return None
        if not block.get(pagination.fields["has_more"]) or not page:
            total = block.get(pagination.fields["total"])
            if isinstance(total, int) and total != len(items):
                results.failed(CHECK, listing.label, "pages neither overlap nor leave gaps",
                               f"walking the pages gave {len(items)} items, `total` says "
                               f"{total}", target.exchange(response))
                return None
            break
        offset += len(page)
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


def check_paging(target: Target, results: Results, listing: APIOperation, resource: Resource,
                 whole: Page) -> None:
    """Walking the list in a few small pages gives the same items as walking it whole."""
    pagination = _offset_paging(target)
    declared = _query_parameters(target, listing)
    if len(whole.items) < 2 or pagination is None or \
            not {pagination.limit, pagination.offset} <= set(declared):
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


def _offset_paging(target: Target) -> Pagination | None:
    """The resources' offset paging; a list paged by cursor is read as its first page here
    (the `runs` family follows cursor links)."""
    paging = target.extensions.resources.pagination
    return paging if isinstance(paging, Pagination) else None


def _query_parameters(target: Target, listing: APIOperation) -> dict[str, dict[str, Any]]:
    raw = target.operations()[listing.definition.raw["operationId"]][2]
    return {p["name"]: p for p in raw.get("parameters", []) if p.get("in") == "query"}


def _default_limit(target: Target, listing: APIOperation) -> int | None:
    pagination = _offset_paging(target)
    if pagination is None:
        return None
    parameter = _query_parameters(target, listing).get(pagination.limit, {})
    default = parameter.get("schema", {}).get("default")
    return default if isinstance(default, int) else None


def _call(target: Target, results: Results, listing: APIOperation, query: dict[str, Any],
          tenant: str) -> Response | None:
    case = listing.Case(query=query)
    headers = target.auth_headers(listing.definition.raw, tenant)
    response = send(target, case, headers)
    if response is not None and not judge(target, results, CHECK, case, response, headers):
        return None
    return response
