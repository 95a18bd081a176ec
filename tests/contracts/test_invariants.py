"""The shared lifecycle and hypermedia rules, on bodies written by hand."""

from __future__ import annotations

import contracts
from contracts import invariants

FURTHER = contracts.lifecycles("further")["execution"]
FLOWFLOW = contracts.lifecycles("flowflow")["run"]


def test_a_run_that_keeps_every_rule_breaks_none():
    body = {"workflow_execution_id": "e1", "status": "completed", "steps": []}
    assert invariants.state_problems(FURTHER, "running", "completed", body) == []
    assert invariants.id_problems(FURTHER, "e1", body) == []


def test_each_state_rule_names_what_it_saw():
    assert "not a declared state" in invariants.state_problems(FURTHER, None, "done", {})[0]
    assert invariants.state_problems(FURTHER, "completed", "running", {}) == [
        "terminal state 'completed' changed to 'running'"]
    assert invariants.state_problems(FURTHER, "running", "running", {"steps": []}) == [
        "/steps is present while 'running'"]
    assert invariants.state_problems(FURTHER, None, "completed", {}) == [
        "/steps is missing while 'completed'"]
    assert "not allowed" in invariants.state_problems(FLOWFLOW, "RUNNING", "PENDING", {})[0]


def test_echoed_input_must_be_repeated():
    request = {"path": {"workflow_id": "wf-1"}, "body": {"metadata": {"external_id": "x"}}}
    body = {"workflow_id": "wf-1", "metadata": {}}
    assert invariants.echo_problems(FURTHER, request, body) == [
        "/metadata/external_id is missing; the create request sent 'x'"]


def test_a_url_to_follow_must_address_the_run_the_body_names():
    link = contracts.link_parameters(contracts.load("flowflow"), FLOWFLOW)
    body = {"workflow": {"run": {"id": "r1"}},
            "progress_api_url": "https://flowflow.ai/api/v1/workflow/progress/r1"}
    path = "/api/v1/workflow/progress/{workflow_run_id}"
    assert invariants.hypermedia_problems(path, link, {}, body) == []
    body["progress_api_url"] = "http://127.0.0.1:1/flowflow/api/v1/workflow/progress/r2"
    assert invariants.hypermedia_problems(path, link, {}, body) == [
        "/progress_api_url addresses workflow_run_id='r2', but the body names 'r1'"]


def test_match_path_is_anchored_unless_asked():
    template = "/workflows/{id}/executions/{execution_id}"
    assert invariants.match_path(template, "/workflows/a/executions/b%20c") == {
        "id": "a", "execution_id": "b c"}
    assert invariants.match_path(template, "/v1/workflows/a/executions/b") is None
    assert invariants.match_path(template, "/v1/workflows/a/executions/b", anchored=False)
