"""Breakages of Futurity's lists, each schema-valid page by page: a page larger than `limit`, a
filter that is ignored, an item still listed after it was deleted."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from tests.broken.breakages import Breakage, Call, Reply

FUTURITY_LIST = r"/(chats|vault/files|workflows)"
FUTURITY_DELETABLE = r"/(chats|vault/files|workflows)/([^/]+)"


def _without(call: Call, name: str) -> str | None:
    """Drop the query parameter `name`; its value, if it was sent."""
    pairs = parse_qsl(call.query, keep_blank_values=True)
    value = next((v for k, v in pairs if k == name), None)
    call.query = urlencode([(k, v) for k, v in pairs if k != name])
    return value


def _limit_ignored(call: Call) -> Reply:
    if not call.matches("GET", FUTURITY_LIST):
        return call.forward()
    sent = _without(call, "limit")
    reply = call.forward()
    body = reply.json
    if sent is not None and reply.status == 200 and isinstance(body, dict):
        body["pagination"]["limit"] = int(sent) if sent.isdigit() else sent
        body["pagination"]["total"] = max(body["pagination"]["total"], len(body["data"]))
        reply.set_json(body)
    return reply


def _status_filter_ignored(call: Call) -> Reply:
    if call.matches("GET", r"/workflows"):
        _without(call, "status")
    return call.forward()


def _deleted_still_listed(call: Call) -> Reply:
    seen: dict[str, dict[str, Any]] = call.state.setdefault("seen", {})
    deleted: dict[str, list[str]] = call.state.setdefault("deleted", {})
    removal = call.matches("DELETE", FUTURITY_DELETABLE)
    reply = call.forward()
    listing = call.matches("GET", FUTURITY_LIST)
    body = reply.json
    if removal and reply.status == 204:
        deleted.setdefault(removal.group(1), []).append(removal.group(2))
    elif listing and reply.status == 200 and isinstance(body, dict) and not call.query:
        for item in body["data"]:
            seen[item["id"]] = item
        ghosts = [seen[i] for i in deleted.get(listing.group(1), []) if i in seen]
        body["data"] += ghosts
        body["pagination"]["total"] += len(ghosts)
        reply.set_json(body)
    return reply


LISTINGS = [
    Breakage("futurity-page-over-limit", "futurity", "resources",
             "lists ignore `limit`: a page holds every item, more than the `limit` sent",
             _limit_ignored),
    Breakage("futurity-filter-ignored", "futurity", "resources",
             "`GET /workflows?status=...` ignores the filter and lists every workflow",
             _status_filter_ignored),
    Breakage("futurity-deleted-still-listed", "futurity", "resources",
             "a deleted item still shows up in its list (reading it answers 404)",
             _deleted_still_listed),
]
