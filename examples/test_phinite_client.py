"""Phinite: a small background-task client, and the tests you would write for it with the plugin.

Besides in-process interception (`vendor_mock`), this shows the live server (`vendor_mock_url`)
for code that must dial a real socket, e.g. a subprocess or a client in another language, and
how to verify what the client sent and choose what Phinite returns.
"""

from __future__ import annotations

import time

import pytest
import requests

BASE_URL = "https://app.phinite.ai"


class TaskFailed(Exception):
    """The flow ended `failed`; the message is Phinite's reason."""


def run_task(message: str, variables: dict[str, str], *, workspace_id: str, trigger_id: str,
             api_key: str, environment: str = "DEV", base_url: str = BASE_URL,
             poll_interval: float = 5.0) -> dict:
    """Start a flow in the background and wait for its final response."""
    headers = {"Authorization": f"Bearer {api_key}"}
    started = requests.post(
        f"{base_url}/api/v1/ai/trigger/start/{workspace_id}/{trigger_id}/{environment}",
        json={"message": message, "user_variables": variables}, headers=headers, timeout=30)
    started.raise_for_status()
    workflow_id = started.json()["workflow_id"]
    status_url = f"{base_url}/api/v1/ai/trigger/status/{workspace_id}/{workflow_id}"
    while True:
        answer = requests.get(status_url, headers=headers, timeout=30)
        if answer.status_code in (429, 503):
            time.sleep(float(answer.headers.get("Retry-After", "1")))
            continue
        answer.raise_for_status()
        status = answer.json()
        if status["status"] == "completed":
            return status["response"]
        if status["status"] == "failed":
            raise TaskFailed(status["response"])
        time.sleep(poll_interval)


# -- the tests -------------------------------------------------------------------------------

pytestmark = pytest.mark.vendor_mock("phinite", virtual_sleep=True)
IDS = {"workspace_id": "ws-1", "trigger_id": "tr-1", "api_key": "workspace_api_key"}


def test_the_final_response_carries_the_user_variables(vendor_mock):
    response = run_task("start the task", {"key1": "value1"}, **IDS)
    assert response["user_variables"] == {"key1": "value1"}


def test_a_failed_flow_raises_with_its_reason(vendor_mock):
    vendor_mock.force_next("failed")
    with pytest.raises(TaskFailed, match="failed"):
        run_task("start the task", {}, **IDS)


def test_an_unavailable_status_endpoint_is_retried(vendor_mock):
    vendor_mock.fault("503", operation="getBackgroundTaskStatus", nth=1)
    assert run_task("start the task", {}, **IDS)
    assert [e.status for e in vendor_mock.journal(operation="getBackgroundTaskStatus")][:2] == [
        503, 200]


def test_against_a_live_server(vendor_mock_url, vendor_mock_handle):
    vendor_mock_handle.force_next(polls=3)
    response = run_task("start the task", {}, base_url=vendor_mock_url, **IDS)
    assert response["output"]
    assert len(vendor_mock_handle.journal(operation="getBackgroundTaskStatus")) == 3


def test_the_trigger_carries_the_users_variables(vendor_mock):
    run_task("start the task", {"plan": "pro"}, **IDS)
    vendor_mock.verify("startBackgroundTask", count=1,
                       body={"message": "start the task", "user_variables": {"plan": "pro"}})
    vendor_mock.verify("startBackgroundTask", headers={"Authorization": "Bearer ***_key"})


def test_the_flows_own_response_is_returned(vendor_mock):
    vendor_mock.results("phinite", response={"output": "Refund approved",
                                             "user_variables": {"plan": "pro"}})
    assert run_task("refund please", {"plan": "pro"}, **IDS)["output"] == "Refund approved"


def test_logs_of_a_long_flow(vendor_mock):
    logs = [{"timestamp": f"2024-01-01T00:00:0{i}Z", "level": "INFO", "message": f"step {i}"}
            for i in range(5)]
    vendor_mock.results("phinite", logs=logs)
    vendor_mock.force_next("completed", polls=5)
    run_task("start the task", {}, **IDS)
    seen = [len(entry.response_body["logs"])
            for entry in vendor_mock.requests(operation="getBackgroundTaskStatus")]
    assert seen == sorted(seen) and seen[-1] == 5  # the log grows poll by poll


def test_a_flaky_status_endpoint_is_retried(vendor_mock):
    vendor_mock.stub("getBackgroundTaskStatus", 429, {"detail": "slow down"}, times=2,
                     headers={"Retry-After": "2"})
    assert run_task("start the task", {}, **IDS)
    statuses = [entry.status for entry in vendor_mock.requests(
        operation="getBackgroundTaskStatus")]
    assert statuses[:3] == [429, 429, 200]
