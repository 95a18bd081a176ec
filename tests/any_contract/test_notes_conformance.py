"""Lists paged by cursor (`x-resources` `pagination: {style: cursor}`): the `resources` family
walks each page's next link to the end. The mock passes with lists paged; each broken way of
paging by cursor is caught."""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from conformance import runner
from tests.broken.breakages import Breakage, Call, Reply
from tests.broken.serve import any_options, serve_any
from tests.helpers import TESTS

NOTES = str(TESTS / "any_contract" / "notes.yaml")


def _moved_cursor(reply: Reply, by: int) -> Reply:
    """The page's next link with its cursor moved `by` items (the mock's cursor: `o:<n>`)."""
    body = reply.json
    if not isinstance(body, dict) or not body.get("next"):
        return reply
    parts = urlsplit(body["next"])
    query = dict(parse_qsl(parts.query))
    position = int(base64.urlsafe_b64decode(query["cursor"] + "==").decode()[2:]) + by
    query["cursor"] = base64.urlsafe_b64encode(f"o:{position}".encode()).decode().rstrip("=")
    body["next"] = urlunsplit(parts._replace(query=urlencode(query)))
    return reply.set_json(body)


def cursor_repeats(call: Call) -> Reply:
    reply = call.forward()
    return _moved_cursor(reply, -1) if call.matches("GET", "/notes") else reply


def cursor_skips(call: Call) -> Reply:
    reply = call.forward()
    return _moved_cursor(reply, +1) if call.matches("GET", "/notes") else reply


def next_without_cursor(call: Call) -> Reply:
    reply = call.forward()
    body = reply.json
    if call.matches("GET", "/notes") and isinstance(body, dict) and body.get("next"):
        body["next"] = body["next"].split("?")[0]
        return reply.set_json(body)
    return reply


def limit_ignored(call: Call) -> Reply:
    if call.matches("GET", "/notes"):
        call.query = urlencode([(k, v) for k, v in parse_qsl(call.query) if k != "limit"])
    return call.forward()


BREAKAGES = [
    Breakage("cursor-repeats", "notes", "resources",
             "each next link starts one item early: the last item of a page opens the next",
             cursor_repeats),
    Breakage("cursor-skips", "notes", "resources",
             "each next link starts one item late: an item is never listed", cursor_skips),
    Breakage("next-without-cursor", "notes", "resources",
             "the next link leads to the first page again", next_without_cursor),
    Breakage("limit-ignored", "notes", "resources",
             "`limit` is ignored: every page holds the default page size", limit_ignored),
]


def test_the_mock_conforms_and_its_cursor_lists_are_walked_in_small_pages() -> None:
    with serve_any(NOTES) as base:
        results = runner.run(any_options(NOTES, base))
    assert results.ok, (results.findings, results.not_exercised)
    assert results.exercised["resources"]["lists paged"] >= 1


@pytest.mark.parametrize("breakage", BREAKAGES, ids=str)
def test_each_broken_cursor_list_is_caught_by_the_resources_family(breakage: Breakage) -> None:
    with serve_any(NOTES, breakage) as base:
        results = runner.run(any_options(NOTES, base, "resources"))
    assert not results.ok
    assert {finding.check for finding in results.findings} == {"resources"}, results.findings
