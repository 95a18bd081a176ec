"""Your own results and stubs: a test (or the config) says what a vendor returns, the value is
checked against the contract when it is set, and a contract-breaking one needs to be asked for."""

from __future__ import annotations

import pytest

from mockserver import Mock, MockConfig, MockHandle
from mockserver.engine.names import UnknownName
from mockserver.engine.strict import ContractBreach
from tests.helpers import KEY, InProcess, poll, start, status, sync, token, trigger

LOW = [{"policy_number": {"value": "P-1", "confidence_score": 0.41}}]
FUTURITY = "/futurity/v1"
ME = {"Authorization": "Bearer YOUR_TOKEN"}


@pytest.fixture
def handle(mock: Mock) -> MockHandle:
    return MockHandle(mock)


def finished_further(api, handle) -> dict:
    handle.force_next("completed", polls=0)
    headers = token(api)
    execution_id = trigger(api, headers).json()["workflow_execution_id"]
    return poll(api, headers, execution_id).json()


def test_further_returns_the_tests_rows(api, handle):
    handle.results("further", rows=LOW)
    [step] = finished_further(api, handle)["steps"]
    assert step["data"]["data"] == LOW
    assert step["data"]["schema"]["properties"] == {"policy_number": {"type": "string"}}


def test_further_rows_from_a_function_of_the_uploaded_files(api, handle):
    def extract(files):
        return [{"file": {"value": name, "confidence_score": 0.5},
                 "bytes": {"value": len(data), "confidence_score": 1.0}} for name, data in files]

    handle.results("further", rows=extract)
    rows = finished_further(api, handle)["steps"][0]["data"]["data"]
    assert rows[0]["file"]["value"] == "policy.pdf" and rows[0]["bytes"]["value"] > 0


def test_further_whole_steps(api, handle):
    steps = [{"step_name": "Classify", "step_type": "classification",
              "data": {"data": [{"label": {"value": "invoice", "confidence_score": 0.9}}]}}]
    handle.results("further", steps=steps)
    assert finished_further(api, handle)["steps"] == steps


def test_a_result_that_breaks_the_contract_is_refused_with_the_rule(handle):
    with pytest.raises(ContractBreach, match=r"confidence_score: 1\.4 is greater than the "
                                             r"maximum of 1\.0.*allow_violation=True"):
        handle.results("further", rows=[{"f": {"value": 1, "confidence_score": 1.4}}])


def test_a_result_function_that_breaks_the_contract_fails_when_called(api, handle):
    handle.results("further", rows=lambda files: [{"f": {"value": 1}}])
    broken = '"confidence_score" is a required property'
    if isinstance(api, InProcess):  # the test's own process: the error is raised
        with pytest.raises(ContractBreach, match=broken):
            finished_further(api, handle)
    else:
        headers = token(api)
        answer = trigger(api, headers)
        assert answer.status == 500 and broken in answer.json()["mock_error"]


def test_a_contract_breaking_result_is_served_when_the_test_asks(api, handle):
    bad = [{"f": {"value": 1, "confidence_score": 7}}]
    handle.results("further", rows=bad, allow_violation=True)
    assert finished_further(api, handle)["steps"][0]["data"]["data"] == bad
    [entry] = handle.requests(operation="getWorkflowExecution")
    assert any("confidence_score" in problem for problem in entry.response_problems)


def test_phinite_response_and_logs(api, handle):
    logs = [{"timestamp": "2024-01-01T00:00:00Z", "level": "INFO", "message": f"step {i}"}
            for i in range(4)]
    response = {"output": "my own answer", "user_variables": {"k": "v"}}
    handle.results("phinite", response=response, logs=logs)
    assert sync(api).json()["response"] == response
    handle.force_next("completed", polls=4)
    workflow_id = start(api).json()["workflow_id"]
    first = status(api, workflow_id).json()
    assert first["status"] == "running" and first["logs"] == logs[:1]
    while (body := status(api, workflow_id).json())["status"] == "running":
        pass
    assert body["logs"] == logs and body["response"] == response


def test_phinite_response_from_a_function_of_the_request(api, handle):
    handle.results("phinite", response=lambda request: {
        "output": request["message"].upper(), "user_variables": {}})
    assert sync(api).json()["response"]["output"] == "START THE TASK"


def test_futurity_assistant_reply_and_run_outputs(api, handle):
    handle.results("futurity", assistant_reply=lambda content: f"echo: {content}",
                   run_outputs={"report": "done"})
    chat = api.request("POST", f"{FUTURITY}/chats", headers=ME, json={}).json()["data"]
    api.request("POST", f"{FUTURITY}/chats/{chat['id']}/messages", headers=ME,
                json={"content": "hello"})
    messages = api.request("GET", f"{FUTURITY}/chats/{chat['id']}",
                           headers=ME).json()["data"]["messages"]
    assert messages[-1] == {**messages[-1], "role": "assistant", "content": "echo: hello"}
    workflow = api.request("POST", f"{FUTURITY}/workflows", headers=ME, json={
        "name": "W", "nodes": [], "trigger": {"type": "schedule", "config": {}}}).json()["data"]
    handle.force_next("completed", vendor="futurity", polls=0)
    run = api.request("POST", f"{FUTURITY}/workflows/{workflow['id']}/run", headers=ME,
                      json={"inputs": {}}).json()["data"]
    polled = api.request("GET", f"{FUTURITY}/workflows/{workflow['id']}/executions/"
                         f"{run['execution_id']}", headers=ME)
    assert polled.json()["data"]["outputs"] == {"report": "done"}, polled.text


def test_results_from_the_config_and_their_names_checked():
    mock = Mock(MockConfig(vendor_settings={"further": {"rows": LOW}}))
    assert mock.vendors["further"].vendor.results.values() == {"rows": LOW}
    with pytest.raises(UnknownName, match="did you mean 'rows'"):
        Mock(MockConfig(vendor_settings={"further": {"row": LOW}}))
    with pytest.raises(ContractBreach):
        Mock(MockConfig(vendor_settings={"phinite": {"logs": "not a list"}}))
    with pytest.raises(UnknownName, match="did you mean 'assistant_reply'"):
        MockHandle(mock).results("futurity", assistant_replies="x")


def test_a_stub_answers_once_then_the_handler_again(api, handle):
    handle.stub("getBackgroundTaskStatus", 404, {"detail": "gone"})
    workflow_id = start(api).json()["workflow_id"]
    stubbed = status(api, workflow_id)
    assert stubbed.status == 404 and stubbed.json() == {"detail": "gone"}
    assert status(api, workflow_id).status == 200


def test_a_stub_counts_times_and_still_checks_the_request(api, handle):
    handle.stub("triggerFlow", 503, {"detail": "busy"}, times=2, headers={"Retry-After": "3"})
    assert sync(api, headers={}).status == 401  # auth before the stub, and not counted
    answers = [sync(api) for _ in range(3)]
    assert [a.status for a in answers] == [503, 503, 200]
    assert answers[0].headers["Retry-After"] == "3"


def test_a_stub_that_breaks_the_contract_is_refused_unless_allowed(api, handle):
    with pytest.raises(ContractBreach, match="status 418 is not declared for triggerFlow"):
        handle.stub("triggerFlow", 418, {"x": 1})
    with pytest.raises(ContractBreach, match="triggerFlow 200"):
        handle.stub("triggerFlow", 200, {"status": 5})
    handle.stub("triggerFlow", 200, {"status": 5}, allow_violation=True)
    assert sync(api).json() == {"status": 5}


def test_a_shared_operation_id_needs_its_vendor(handle):
    with pytest.raises(ValueError, match="further and futurity: name the vendor"):
        handle.stub("getWorkflowExecution", 404, {"detail": "x"})
    with pytest.raises(UnknownName, match="did you mean 'getWhoami'"):
        handle.stub("getWhoamI", 200, {})


def test_stubs_and_results_over_the_control_api(api):
    answer = api.request("POST", "/__mock__/stubs", json={
        "operation": "triggerFlow", "status": 503, "body": {"detail": "busy"}})
    assert answer.status == 201 and answer.json()["vendor"] == "phinite"
    assert len(api.request("GET", "/__mock__/stubs").json()) == 1
    assert sync(api).status == 503
    refused = api.request("POST", "/__mock__/stubs", json={
        "operation": "triggerFlow", "status": 418})
    assert refused.status == 400 and "not declared" in refused.json()["error"]
    own = api.request("POST", "/__mock__/results/phinite", json={
        "values": {"response": {"output": "over http", "user_variables": {}}}})
    assert own.status == 200
    assert sync(api).json()["response"]["output"] == "over http"
    bad = api.request("POST", "/__mock__/results/phinite", json={"values": {"logs": 3}})
    assert bad.status == 400 and "logs" in bad.json()["error"]
    assert KEY  # the demo key the helpers send
