"""Further AI: the quickstart flow, results, auth and every documented or assumed error."""

from __future__ import annotations

import pytest

from mockserver import Mock, MockConfig
from tests.helpers import EXECUTIONS, PDF, TOKEN, poll, token, trigger


def test_quickstart_flow_completes_with_steps_derived_from_the_upload(api, mock):
    headers = token(api)
    started = trigger(api, headers, metadata={"external_id": "INV-2024-001"})
    assert started.status == 202
    assert started.json()["status"] == "running"
    execution_id = started.json()["workflow_execution_id"]
    seen, interval = [], 5.0
    for _ in range(20):
        result = poll(api, headers, execution_id)
        assert result.status == 200
        seen.append(result.json()["status"])
        if seen[-1] in ("completed", "failed"):
            break
        mock.clock.advance(interval)
        interval = min(interval * 1.5, 30)
    body = result.json()
    assert seen[0] == "running" and seen[-1] == "completed"
    assert body["workflow_id"] == "wf-1" and body["workflow_execution_id"] == execution_id
    assert body["metadata"] == {"external_id": "INV-2024-001"}
    row = body["steps"][0]["data"]["data"][0]
    assert row["document_name"]["value"] == "policy.pdf"
    assert row["page_count"]["value"] == 2
    assert row["size_bytes"]["value"] == len(PDF)
    assert all(0 <= cell["confidence_score"] <= 1 for cell in row.values())


def test_running_execution_has_no_steps_and_metadata_defaults_to_empty(api):
    headers = token(api)
    execution_id = trigger(api, headers).json()["workflow_execution_id"]
    body = poll(api, headers, execution_id).json()
    assert body["status"] == "running"
    assert "steps" not in body and body["metadata"] == {}


def test_results_are_deterministic_for_the_same_input_and_seed(api, mock):
    headers = token(api)
    first = trigger(api, headers, prefer="polls=1").json()["workflow_execution_id"]
    second = trigger(api, headers, prefer="polls=1").json()["workflow_execution_id"]
    other = Mock(MockConfig(seed=mock.config.seed))
    from tests.helpers import InProcess

    third_api = InProcess(other)
    third_headers = token(third_api)
    third = trigger(third_api, third_headers, prefer="polls=1").json()["workflow_execution_id"]
    steps = [poll(api, headers, first).json()["steps"], poll(api, headers, second).json()["steps"],
             poll(third_api, third_headers, third).json()["steps"]]
    assert steps[0] == steps[1] == steps[2]
    different = trigger(api, headers, prefer="polls=1",
                        files=[("files", ("invoice.pdf", PDF + b" ", "application/pdf"))])
    changed = poll(api, headers, different.json()["workflow_execution_id"]).json()["steps"]
    assert changed != steps[0]


def test_forced_failure_reports_failed_without_steps(api, mock):
    headers = token(api)
    execution_id = trigger(api, headers, prefer="outcome=failed").json()["workflow_execution_id"]
    mock.clock.advance(60)
    body = poll(api, headers, execution_id).json()
    assert body["status"] == "failed" and "steps" not in body and body["error"]


def test_polls_until_terminal_is_chosen_per_request(api):
    headers = token(api)
    execution_id = trigger(api, headers, prefer="polls=3").json()["workflow_execution_id"]
    statuses = [poll(api, headers, execution_id).json()["status"] for _ in range(5)]
    assert statuses == ["running", "running", "completed", "completed", "completed"]


def test_terminal_state_never_changes(api, mock):
    headers = token(api)
    execution_id = trigger(api, headers, prefer="polls=1").json()["workflow_execution_id"]
    assert poll(api, headers, execution_id).json()["status"] == "completed"
    mock.clock.advance(10_000)
    assert poll(api, token(api), execution_id).json()["status"] == "completed"
    with pytest.raises(ValueError, match="terminal"):
        mock.force("further", execution_id, "failed")


def test_token_expires_after_60_minutes_of_mock_time(api, mock):
    headers = token(api)
    execution_id = trigger(api, headers).json()["workflow_execution_id"]
    mock.clock.advance(59 * 60)
    assert poll(api, headers, execution_id).status == 200
    mock.clock.advance(61)
    expired = poll(api, headers, execution_id)
    assert expired.status == 401 and "expired" in expired.json()["detail"]
    assert poll(api, token(api), execution_id).status == 200


@pytest.mark.parametrize(("body", "status", "error"), [
    ({"client_id": "YOUR_CLIENT_ID", "client_secret": "wrong"}, 401, "invalid_client"),
    ({"client_id": "nobody", "client_secret": "YOUR_CLIENT_SECRET"}, 401, "invalid_client"),
    ({"client_id": "YOUR_CLIENT_ID"}, 400, "invalid_request"),
    ({"client_id": "YOUR_CLIENT_ID", "client_secret": "\u00e9t\u00e9"}, 401, "invalid_client"),
])
def test_token_exchange_refuses_bad_credentials_in_rfc6749_form(api, body, status, error):
    result = api.request("POST", TOKEN, json=body)
    assert result.status == status
    assert result.json()["error"] == error and result.json()["error_description"]


@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic abc", "Bearer not-a-token",
                                           "Bearer two words"])
def test_missing_malformed_or_unknown_tokens_get_401(api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    result = api.request("GET", f"{EXECUTIONS.format(workflow='wf-1')}/x1", headers=headers)
    assert result.status == 401 and result.json()["detail"]


def test_one_client_never_sees_another_clients_execution(api):
    mine = token(api)
    theirs = token(api, "OTHER_CLIENT_ID", "OTHER_CLIENT_SECRET")
    execution_id = trigger(api, mine).json()["workflow_execution_id"]
    assert poll(api, theirs, execution_id).status == 404
    assert poll(api, mine, execution_id).status == 200


def test_unknown_execution_or_wrong_workflow_get_404(api):
    headers = token(api)
    execution_id = trigger(api, headers).json()["workflow_execution_id"]
    assert poll(api, headers, "no-such-execution").json() == {
        "detail": "No execution 'no-such-execution' here"}
    assert poll(api, headers, execution_id, workflow="wf-2").status == 404


def test_wrong_content_type_missing_files_and_bad_metadata_are_refused(api):
    headers = token(api)
    url = EXECUTIONS.format(workflow="wf-1")
    as_json = api.request("POST", url, headers=headers, json={"files": []})
    assert as_json.status == 415 and "multipart/form-data" in as_json.json()["detail"]
    no_files = api.request("POST", url, headers=headers,
                           files=[("other", ("a", b"x", "text/plain"))])
    assert no_files.status == 400 and "files" in no_files.json()["detail"]
    bad_metadata = api.request("POST", url, headers=headers, data={"metadata": "{not json"},
                               files=[("files", ("a.pdf", PDF, "application/pdf"))])
    assert bad_metadata.status == 400 and "metadata" in bad_metadata.json()["detail"]


@pytest.mark.parametrize("config", [MockConfig(max_upload_bytes=1024)])
def test_oversized_upload_gets_413_and_stored_executions_survive(api, config):
    headers = token(api)
    kept = trigger(api, headers).json()["workflow_execution_id"]
    big = trigger(api, headers, files=[("files", ("big.pdf", b"x" * 4096, "application/pdf"))])
    assert big.status == 413 and "1024" in big.json()["detail"]
    assert poll(api, headers, kept).status == 200


@pytest.mark.parametrize("config", [MockConfig(known_ids={"workflow_id": ["wf-1"]})])
def test_strict_ids_only_accept_known_workflows(api, config):
    headers = token(api)
    assert trigger(api, headers, workflow="wf-1").status == 202
    unknown = trigger(api, headers, workflow="wf-9")
    assert unknown.status == 404 and "wf-9" in unknown.json()["detail"]


def test_multipart_parts_without_a_usable_name_are_refused_not_a_crash(api):
    headers = token(api)
    body = (b'--b\r\nContent-Disposition: form-data; name="x\\"\r\n\r\nv\r\n'
            b'--b\r\nContent-Disposition: form-data\r\n\r\nw\r\n--b--\r\n')
    result = api.request("POST", EXECUTIONS.format(workflow="wf-1"), data=body,
                         headers={**headers, "Content-Type": "multipart/form-data; boundary=b"})
    assert result.status == 400 and "files" in result.json()["detail"]
