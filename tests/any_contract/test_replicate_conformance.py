"""The conformance suite on a contract it has no code for: the mock passes with every family
exercised, and each broken implementation of cancel, lists and handed-out URLs is caught by the
`runs` family."""

from __future__ import annotations

import pytest

from conformance import runner
from tests.broken.breakages import Breakage, Call, Reply
from tests.broken.serve import any_options, serve_any
from tests.helpers import TESTS

REPLICATE = str(TESTS / "any_contract" / "replicate.yaml")


def ignore_cancel(call: Call) -> Reply:
    if call.matches("POST", r"/v1/predictions/[a-z0-9]+/cancel"):
        poll = call.inner("GET", call.path.removesuffix("/cancel"),
                          {"Authorization": call.headers["Authorization"]})
        return poll  # the run carries on, answered as if cancelled
    return call.forward()


def cancel_ended_is_ok(call: Call) -> Reply:
    reply = call.forward()
    if call.matches("POST", r"/v1/predictions/[a-z0-9]+/cancel") and reply.status == 409:
        path = call.path.removesuffix("/cancel")
        return call.inner("GET", path, {"Authorization": call.headers["Authorization"]})
    return reply


def list_forgets_runs(call: Call) -> Reply:
    reply = call.forward()
    if call.matches("GET", r"/v1/predictions") and isinstance(reply.json, dict):
        return reply.set_json({**reply.json, "results": reply.json["results"][1:]})
    return reply


def url_to_another_run(call: Call) -> Reply:
    reply = call.forward()
    body = reply.json
    if call.matches("POST", r"/v1/predictions") and isinstance(body, dict):
        previous = call.state.get("previous")
        call.state["previous"] = body["id"]
        if previous:
            body["urls"]["get"] = body["urls"]["get"].replace(body["id"], previous)
            return reply.set_json(body)
    return reply


BREAKAGES = [
    Breakage("cancel-ignored", "replicate", "runs", "cancel answers without cancelling",
             ignore_cancel),
    Breakage("cancel-ended-ok", "replicate", "runs", "cancelling an ended run answers 200",
             cancel_ended_is_ok),
    Breakage("list-forgets", "replicate", "runs", "the newest run is missing from the list",
             list_forgets_runs),
    Breakage("url-elsewhere", "replicate", "runs", "urls.get names the previous run",
             url_to_another_run),
]


def test_the_mock_conforms_with_every_family_exercised() -> None:
    with serve_any(REPLICATE) as base:
        results = runner.run(any_options(REPLICATE, base))
    assert results.ok, (results.findings, results.not_exercised)
    assert results.exercised["runs"]["runs cancelled"] >= 1
    assert results.exercised["runs"]["lists read"] >= 1
    assert results.exercised["runs"]["URLs followed"] >= 1
    assert results.exercised["lifecycle"]["runs finished"] >= 1


@pytest.mark.parametrize("breakage", BREAKAGES, ids=str)
def test_each_broken_run_rule_is_caught_by_the_runs_family(breakage: Breakage) -> None:
    with serve_any(REPLICATE, breakage) as base:
        results = runner.run(any_options(REPLICATE, base, "runs"))
    assert not results.ok
    assert {finding.check for finding in results.findings} == {"runs"}, results.findings
