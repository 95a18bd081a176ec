"""FlowFlow.AI: a small workflow-run client, and the tests you would write for it with the plugin.

The client starts a run, then polls the `progress_api_url` the start response hands back (a
https://flowflow.ai URL, intercepted like the first call) until `workflow.run.status` is final.
"""

from __future__ import annotations

import time

import pytest
import requests

BASE_URL = "https://flowflow.ai"


class WorkflowFailed(Exception):
    """The workflow run ended `FAILED`."""


def run_workflow(workflow_id: str, text: str, *, api_token: str,
                 poll_interval: float = 5.0) -> list[str]:
    """Run a workflow on `text` and return the run's results once it is FINISHED."""
    headers = {"Authorization": f"Bearer {api_token}"}
    started = requests.post(f"{BASE_URL}/api/v1/workflow/start/{workflow_id}",
                            json={"input": text}, headers=headers, timeout=30)
    started.raise_for_status()
    progress_url = started.json()["progress_api_url"]
    while True:
        answer = requests.get(progress_url, headers=headers, timeout=30)
        if answer.status_code == 429:
            time.sleep(float(answer.headers.get("Retry-After", "1")))
            continue
        answer.raise_for_status()
        run = answer.json()["workflow"]["run"]
        if run["status"] == "FINISHED":
            return run["results"]
        if run["status"] == "FAILED":
            raise WorkflowFailed(f"workflow run {run['id']} failed")
        time.sleep(poll_interval)


# -- the tests -------------------------------------------------------------------------------

pytestmark = pytest.mark.vendor_mock("flowflow", virtual_sleep=True)
WORKFLOW_ID = "67bd80ba-d392-4291-954c-587c161fabfb"
TOKEN = "REPLACE_API_TOKEN"


def test_a_finished_run_returns_its_results(vendor_mock):
    results = run_workflow(WORKFLOW_ID, "Who is the president of the USA in 2023?",
                           api_token=TOKEN)
    assert results and all(isinstance(result, str) for result in results)


def test_a_failed_run_raises(vendor_mock):
    vendor_mock.force_next("FAILED")
    with pytest.raises(WorkflowFailed):
        run_workflow(WORKFLOW_ID, "anything", api_token=TOKEN)


def test_a_rate_limited_progress_poll_is_retried(vendor_mock):
    vendor_mock.fault("429", operation="getWorkflowProgress", nth=1)
    assert run_workflow(WORKFLOW_ID, "anything", api_token=TOKEN)
    assert vendor_mock.journal(operation="getWorkflowProgress")[0].status == 429
