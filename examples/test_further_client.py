"""Further AI: a small extraction client, and the tests you would write for it with the plugin.

The client calls https://api.further.ai exactly as in production; the `vendor_mock` fixture
intercepts those calls in-process, and `virtual_sleep` turns its 5-second poll waits into
mock-clock time, so every test here runs in milliseconds. The last tests verify what the client
sent (`verify`, `requests`) and choose what Further AI returns (`results`, `stub`).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
import requests

BASE_URL = "https://api.further.ai"


class ExtractionFailed(Exception):
    """The workflow execution ended `failed`."""


class FurtherClient:
    """Runs a workflow on a document and returns its steps; re-authenticates when the token
    expires and waits out rate limits."""

    def __init__(self, client_id: str, client_secret: str, poll_interval: float = 5.0) -> None:
        self.credentials = {"client_id": client_id, "client_secret": client_secret}
        self.poll_interval = poll_interval
        self.session = requests.Session()
        self.token: str | None = None

    def extract(self, workflow_id: str, document: Path) -> list[dict]:
        executions = f"{BASE_URL}/api/v1/workflow-builder/workflows/{workflow_id}/executions"
        with document.open("rb") as file:
            started = self._call("POST", executions,
                                 files=[("files", (document.name, file, "application/pdf"))])
        status_url = f"{executions}/{started['workflow_execution_id']}"
        while (result := self._call("GET", status_url))["status"] not in ("completed", "failed"):
            time.sleep(self.poll_interval)
        if result["status"] == "failed":
            raise ExtractionFailed(result.get("error", "no reason given"))
        return result["steps"]

    def _call(self, method: str, url: str, **kwargs) -> dict:
        for _ in range(5):
            if self.token is None:
                self.token = self._new_token()
            answer = self.session.request(method, url, timeout=30,
                                          headers={"Authorization": f"Bearer {self.token}"},
                                          **kwargs)
            if answer.status_code == 401:
                self.token = None
                continue
            if answer.status_code == 429:
                time.sleep(float(answer.headers.get("Retry-After", "1")))
                continue
            answer.raise_for_status()
            return answer.json()
        raise RuntimeError(f"{method} {url} kept failing")

    def _new_token(self) -> str:
        answer = self.session.post(f"{BASE_URL}/api/v1/oauth2/access_token",
                                   json=self.credentials, timeout=30)
        answer.raise_for_status()
        return answer.json()["access_token"]


# -- the tests -------------------------------------------------------------------------------

pytestmark = pytest.mark.vendor_mock("further", virtual_sleep=True)


@pytest.fixture
def client() -> FurtherClient:
    return FurtherClient("YOUR_CLIENT_ID", "YOUR_CLIENT_SECRET")


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    document = tmp_path / "policy.pdf"
    document.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF")
    return document


def test_extracts_the_documents_details(vendor_mock, client, policy):
    steps = client.extract("YOUR_WORKFLOW_ID", policy)
    row = steps[0]["data"]["data"][0]
    assert row["document_name"]["value"] == "policy.pdf"


def test_a_failed_execution_raises(vendor_mock, client, policy):
    vendor_mock.force_next("failed")
    with pytest.raises(ExtractionFailed):
        client.extract("YOUR_WORKFLOW_ID", policy)


def test_a_rate_limited_poll_is_retried(vendor_mock, client, policy):
    vendor_mock.fault("429", operation="getWorkflowExecution", nth=2, retry_after=3)
    assert client.extract("YOUR_WORKFLOW_ID", policy)
    polls = vendor_mock.journal(operation="getWorkflowExecution")
    assert [entry.status for entry in polls[:3]] == [200, 429, 200]


def test_an_expired_token_is_renewed(vendor_mock, client, policy):
    client.extract("YOUR_WORKFLOW_ID", policy)
    vendor_mock.expire_tokens()
    client.extract("YOUR_WORKFLOW_ID", policy)
    tokens = vendor_mock.journal(operation="createAccessToken")
    assert len(tokens) == 2


def test_the_upload_was_the_pdf(vendor_mock, client, policy):
    client.extract("YOUR_WORKFLOW_ID", policy)
    [trigger] = vendor_mock.verify("triggerWorkflowExecution", count=1)
    [part] = trigger.parts
    assert (part.field, part.filename, part.content_type) == ("files", "policy.pdf",
                                                               "application/pdf")
    assert part.sha256 == hashlib.sha256(policy.read_bytes()).hexdigest()
    vendor_mock.verify("getWorkflowExecution", at_least=1,
                       headers={"Authorization": lambda value: value.startswith("Bearer ")})


def test_low_confidence_values_are_flagged(vendor_mock, client, policy):
    vendor_mock.results("further", rows=[
        {"policy_number": {"value": "P-12345", "confidence_score": 0.41}},
        {"policy_number": {"value": "P-67890", "confidence_score": 0.97}},
    ])
    steps = client.extract("YOUR_WORKFLOW_ID", policy)
    doubtful = [row["policy_number"]["value"] for row in steps[0]["data"]["data"]
                if row["policy_number"]["confidence_score"] < 0.5]
    assert doubtful == ["P-12345"]


def test_rows_computed_from_the_uploaded_file(vendor_mock, client, policy):
    vendor_mock.results("further", rows=lambda files: [
        {"file": {"value": name, "confidence_score": 1.0}} for name, _ in files])
    assert client.extract("YOUR_WORKFLOW_ID", policy)[0]["data"]["data"] == [
        {"file": {"value": "policy.pdf", "confidence_score": 1.0}}]


def test_a_server_error_once_is_not_retried(vendor_mock, client, policy):
    vendor_mock.stub("triggerWorkflowExecution", 500, {"detail": "Internal error"})
    with pytest.raises(requests.HTTPError):
        client.extract("YOUR_WORKFLOW_ID", policy)
    vendor_mock.verify("triggerWorkflowExecution", count=1)
