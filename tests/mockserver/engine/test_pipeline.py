"""Engine features every vendor gets: preferences, faults, control API, journal, strict mode."""

from __future__ import annotations

import time

import pytest

from mockserver import Behaviour, Mock, MockConfig, ResponseContractError
from tests.helpers import (
    EXECUTIONS,
    KEY,
    PAYLOAD,
    InProcess,
    OverSocket,
    poll,
    start,
    status,
    sync,
    token,
    trigger,
)


def test_prefer_code_forces_a_declared_status_in_the_vendor_format(api):
    forced = sync(api, prefer="code=503")
    assert forced.status == 503 and forced.json() == {"detail": "Forced by 'Prefer: code=503'"}
    undeclared = sync(api, prefer="code=418")
    assert undeclared.status == 422 and "418" in undeclared.json()["detail"][0]["msg"]
    nonsense = sync(api, prefer="polls=many")
    assert nonsense.status == 422 and "Prefer" in nonsense.json()["detail"][0]["msg"]


def test_prefer_latency_delays_the_answer_and_is_reported_as_applied(api):
    began = time.perf_counter()
    result = sync(api, prefer="latency=200")
    assert time.perf_counter() - began >= 0.2
    assert result.status == 200 and result.headers["Preference-Applied"] == "latency=200"


def test_fault_on_the_exact_poll_chosen(api, mock):
    from mockserver.engine.faults import FaultRule

    workflow_id = start(api).json()["workflow_id"]
    mock.faults.add(FaultRule(kinds=["429"], operation="getBackgroundTaskStatus", after=2,
                              times=1, retry_after=7))
    statuses = [status(api, workflow_id) for _ in range(4)]
    assert [r.status for r in statuses] == [200, 200, 429, 200]
    assert statuses[2].headers["Retry-After"] == "7"
    assert statuses[2].json()["detail"]


@pytest.mark.parametrize("config", [MockConfig(seed=3, faults={"rate": 0.5,
                                                               "kinds": ["500", "503"]})])
def test_seeded_fault_rate_is_reproducible_and_in_the_vendor_format(api, config):
    pattern = [sync(api).status for _ in range(30)]
    assert {500, 503} & set(pattern) and 200 in pattern
    again = InProcess(Mock(config))
    replay = [sync(again) for _ in range(30)]
    assert [result.status for result in replay] == pattern
    assert all(set(r.json()) == {"detail"} for r in replay if r.status >= 500)


def test_control_api_over_http(api, mock):
    overview = api.request("GET", "/__mock__/").json()
    assert overview["vendors"]["further"]["base_url"].endswith("/further")
    before = api.request("GET", "/__mock__/clock").json()
    after = api.request("POST", "/__mock__/clock/advance", json={"seconds": 30}).json()
    assert after["now"] == pytest.approx(before["now"] + 30) and after["frozen"]
    workflow_id = start(api).json()["workflow_id"]
    forced = api.request("POST", f"/__mock__/runs/phinite/{workflow_id}/state",
                         json={"state": "failed"})
    assert forced.status == 200 and forced.json()["state"] == "failed"
    assert status(api, workflow_id).json()["status"] == "failed"
    refused = api.request("POST", f"/__mock__/runs/phinite/{workflow_id}/state",
                          json={"state": "completed"})
    assert refused.status == 409
    assert api.request("POST", "/__mock__/runs/phinite/nope/state",
                       json={"state": "failed"}).status == 404
    assert api.request("POST", "/__mock__/clock/advance", json={"seconds": -1}).status == 400
    queued = api.request("POST", "/__mock__/scenarios", json={"vendor": "phinite",
                                                             "outcome": "failed"})
    assert queued.status == 201
    assert sync(api).json()["status"] == "failed"
    assert sync(api).json()["status"] == "completed"
    runs = api.request("GET", "/__mock__/runs?vendor=phinite").json()
    assert len(runs) == 3
    assert api.request("POST", "/__mock__/reset").status == 200
    assert api.request("GET", "/__mock__/runs").json() == []


def test_journal_gives_each_request_its_contract_verdict(api):
    sync(api)
    sync(api, payload={"message": 42})
    entries = api.request("GET", "/__mock__/journal?limit=2").json()
    assert [e["verdict"] for e in entries] == ["conforms", "violates"]
    assert entries[1]["operation"] == "triggerFlow"
    assert entries[1]["violations"] == ["body.message: Input should be a valid string"]
    assert entries[1]["status"] == 422


def test_unknown_paths_and_methods_answer_in_the_vendor_format(api):
    missing = api.request("GET", "/further/api/v1/nothing-here")
    assert missing.status == 404 and "nothing-here" in missing.json()["detail"]
    wrong = api.request("DELETE", "/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV", headers=KEY)
    assert wrong.status == 405 and wrong.headers["Allow"] == "POST"
    nowhere = api.request("GET", "/nobody/here")
    assert nowhere.status == 404 and "further" in nowhere.json()["vendors"]


def test_served_contract_names_the_mock_as_its_server(api):
    document = api.request("GET", "/further/openapi.json").json()
    assert document["servers"][0]["url"].endswith("/further")
    assert document["paths"]
    page = api.request("GET", "/phinite/docs")
    assert page.status == 200 and "workspace_api_key" in page.text and "running" in page.text


def broken_view(call, lifecycle, run, body):
    body["status"] = "finished"  # not a state the contract declares
    return body


@pytest.mark.parametrize("transport", [InProcess, OverSocket])
def test_strict_mode_refuses_to_send_a_response_that_breaks_the_contract(transport):
    mock = Mock(MockConfig(contracts=["phinite"]),
                behaviours={"phinite": Behaviour(view=broken_view)})
    api = transport(mock)
    if transport is InProcess:
        with pytest.raises(ResponseContractError, match="finished"):
            sync(api)
    else:
        result = sync(api)
        assert result.status == 500 and "breaks the contract" in result.json()["mock_error"]
        api.close()
    assert mock.journal(1)[0].response_problems


BAD_INPUTS = [
    ("POST", "/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV", {"data": b"\xff\xfe", **{}}),
    ("POST", "/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV", {"data": "[1, 2", "headers": {
        "Content-Type": "application/json"}}),
    ("POST", "/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV", {"data": "message=hi", "headers": {
        "Content-Type": "application/x-www-form-urlencoded"}}),
    ("POST", "/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV", {"json": []}),
    ("POST", "/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV", {"json": None}),
    ("POST", "/further/api/v1/oauth2/access_token", {"data": "client_id=a", "headers": {
        "Content-Type": "text/plain"}}),
    ("POST", "/further/api/v1/oauth2/access_token", {"json": {"client_id": 1,
                                                              "client_secret": None}}),
    ("POST", EXECUTIONS.format(workflow="%2F..%2F"), {}),
    ("GET", "/further/api/v1/workflow-builder/workflows/wf/executions/" + "x" * 5000, {}),
    ("TRACE", "/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV", {}),
    ("OPTIONS", "/further/api/v1/oauth2/access_token", {}),
    ("GET", "/phinite/api/v1/ai/trigger/status/ws-1/\u00e9\u00e8", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), BAD_INPUTS)
def test_bad_input_is_answered_never_a_server_error(api, method, path, kwargs):
    kwargs = dict(kwargs)
    headers = {**KEY, **kwargs.pop("headers", {})} if "phinite" in path else kwargs.pop(
        "headers", {})
    result = api.request(method, path, headers=headers, **kwargs)
    assert 400 <= result.status < 500, result.text
    assert result.text and "Traceback" not in result.text


def test_bad_requests_leave_stored_runs_intact(api):
    headers = token(api)
    execution_id = trigger(api, headers, prefer="polls=1").json()["workflow_execution_id"]
    api.request("POST", EXECUTIONS.format(workflow="wf-1"), headers=headers, data="garbage",
                json=None)
    sync(api, payload={"message": 1})
    body = poll(api, headers, execution_id).json()
    assert body["status"] == "completed" and body["steps"]
    assert start(api, payload=PAYLOAD).status == 202


def test_head_of_a_poll_gives_the_get_headers_without_a_body(api):
    headers = token(api)
    execution_id = trigger(api, headers, prefer="polls=0").json()["workflow_execution_id"]
    url = f"{EXECUTIONS.format(workflow='wf-1')}/{execution_id}"
    got = api.request("GET", url, headers=headers)
    head = api.request("HEAD", url, headers=headers)
    assert got.status == head.status == 200 and got.json()["status"] == "completed"
    assert head.content == b"" and head.headers["Content-Type"] == "application/json"
    assert int(head.headers["Content-Length"]) == len(got.content)
