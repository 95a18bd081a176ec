"""Webhooks over real sockets: a live mock's background dispatcher retries a receiver that fails
twice, and `mockserver serve` with two worker processes sends each delivery exactly once."""

from __future__ import annotations

import json
import time

import requests
import yaml

from contracts.signatures import verify_signature
from mockserver import LiveServer, Mock, MockConfig
from mockserver.config import WebhookSubscription
from tests.helpers import PDF, Served, WebhookReceiver, further_token

FAST = {"backoff_seconds": 0.1, "interval_seconds": 0.05, "timeout_seconds": 2}
EXECUTIONS = "/further/api/v1/workflow-builder/workflows/wf-1/executions"


def _trigger(base: str, headers: dict[str, str], prefer: str) -> str:
    answer = requests.post(base + EXECUTIONS, headers={**headers, "Prefer": prefer},
                           files=[("files", ("a.pdf", PDF, "application/pdf"))], timeout=5)
    assert answer.status_code == 202, answer.text
    return answer.json()["workflow_execution_id"]


def test_a_receiver_failing_twice_gets_the_third_attempt_of_a_run_nobody_polls() -> None:
    mock = Mock(MockConfig(contracts=["further"], webhooks=FAST))
    with WebhookReceiver(statuses=(500, 502)) as receiver, LiveServer(mock) as server:
        made = requests.post(f"{server.url}/__mock__/webhooks/subscriptions", timeout=5,
                             json={"vendor": "further", "url": receiver.url,
                                   "tenant": "YOUR_CLIENT_ID"})
        assert made.status_code == 201, made.text
        secret = made.json()["signing_secret"]
        run_id = _trigger(server.url, further_token(server.url), "seconds=0.2")
        attempts = receiver.wait(3)
    assert [status for _, _, status in attempts] == [500, 502, 200]
    assert len({headers["Webhook-Id"] for headers, _, _ in attempts}) == 1
    for headers, body, _ in attempts:
        assert verify_signature(body, headers["Webhook-Signature"], secret, tolerance=60)
        assert json.loads(body)["workflow_execution_id"] == run_id
        assert json.loads(body)["status"] == "completed"
    journal = [e for e in mock.journal() if e.kind == "webhook"]
    assert [(e.attempt, e.status) for e in journal] == [(1, 500), (2, 502), (3, 200)]
    assert all(e.duration_ms > 0 and e.path == receiver.url for e in journal)


def test_a_receiver_that_does_not_answer_in_time_is_retried() -> None:
    mock = Mock(MockConfig(contracts=["further"], webhooks={**FAST, "timeout_seconds": 0.3}))
    with WebhookReceiver(delays=(1.0,)) as receiver, LiveServer(mock) as server:
        mock.subscribe(WebhookSubscription(vendor="further", url=receiver.url))
        _trigger(server.url, further_token(server.url), "seconds=0")
        receiver.wait(2)
        deadline = time.monotonic() + 5
        while mock.webhooks.deliveries()[0].state != "delivered" and time.monotonic() < deadline:
            time.sleep(0.02)
    [delivery] = mock.webhooks.deliveries()
    assert [a.status for a in delivery.attempts] == [None, 200]
    assert "Timeout" in (delivery.attempts[0].error or "")


def test_two_worker_processes_send_each_delivery_once(tmp_path, wsgi_server: str) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text(yaml.safe_dump({"webhooks": FAST}), encoding="utf-8")
    with WebhookReceiver() as receiver:
        served = Served("further", "--workers", "2", "--store", str(tmp_path / "s.sqlite3"),
                        "--config", str(config), cwd=tmp_path, server=wsgi_server)
        try:
            headers = further_token(served.base)
            ids = {_trigger(served.base, headers, f"seconds=0.3, callback={receiver.url}")
                   for _ in range(6)}
            received = receiver.wait(6)
            time.sleep(1.0)  # time for a second, wrong, copy to arrive
        finally:
            served.stop()
    assert len(receiver.received) == 6
    assert {json.loads(body)["workflow_execution_id"] for _, body, _ in received} == ids
