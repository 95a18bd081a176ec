"""Webhooks under the pytest plugin: a client's own code, calling the vendor's real URL, gets the
webhook in-process, delivered by the background dispatcher to a callable or an intercepted URL."""

from __future__ import annotations

import time

import pytest
import requests
from flask import Flask, request

FURTHER = "https://api.further.ai"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF"


def token() -> dict[str, str]:
    answer = requests.post(f"{FURTHER}/api/v1/oauth2/access_token", timeout=5,
                           json={"client_id": "YOUR_CLIENT_ID",
                                 "client_secret": "YOUR_CLIENT_SECRET"})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def trigger(headers: dict[str, str], prefer: str) -> str:
    started = requests.post(f"{FURTHER}/api/v1/workflow-builder/workflows/wf-1/executions",
                            headers={**headers, "Prefer": prefer}, timeout=5,
                            files=[("files", ("policy.pdf", PDF, "application/pdf"))])
    assert started.status_code == 202, started.text
    return started.json()["workflow_execution_id"]


def wait_for(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.02)
    return check()


@pytest.mark.vendor_mock("further", webhooks={"interval_seconds": 0.02})
def test_the_background_dispatcher_calls_a_callable_when_the_run_ends(vendor_mock):
    got = []
    vendor_mock.subscribe(got.append)
    run_id = trigger(token(), "seconds=0.1")
    assert wait_for(lambda: got)
    assert got[0].json()["workflow_execution_id"] == run_id
    secret = vendor_mock.webhook_secret("YOUR_CLIENT_ID")
    assert vendor_mock.verify_signature(got[0].body, got[0].headers["Webhook-Signature"], secret)
    assert [e.attempt for e in vendor_mock.journal() if e.kind == "webhook"] == [1]


@pytest.mark.vendor_mock("further", webhooks={"interval_seconds": 0.02})
def test_the_users_own_receiver_app_behind_an_intercepted_url(vendor_mock):
    app = Flask("my_receiver")
    verified = []

    @app.post("/webhooks/further")
    def receive():
        secret = vendor_mock.webhook_secret("YOUR_CLIENT_ID")
        ok = vendor_mock.verify_signature(request.get_data(),
                                          request.headers.get("Webhook-Signature"), secret)
        verified.append(ok)
        return ("", 204) if ok else ("forged", 401)

    vendor_mock.receive_webhooks("https://myapp.example", app)
    trigger(token(), "seconds=0, callback=https://myapp.example/webhooks/further")
    assert wait_for(lambda: verified)
    assert verified == [True]
    assert wait_for(lambda: vendor_mock.deliveries()[0].state == "delivered")


@pytest.mark.vendor_mock("further")
def test_the_readme_example(vendor_mock):
    app = Flask("my_flask_app")
    received = []

    @app.post("/webhooks/further")
    def hook():
        received.append(request.get_json())
        return "", 204

    vendor_mock.receive_webhooks("https://myapp.example", app)
    vendor_mock.subscribe("https://myapp.example/webhooks/further")
    trigger(token(), "seconds=5")
    vendor_mock.advance(10)
    vendor_mock.dispatch()
    [delivery] = vendor_mock.deliveries()
    assert delivery.state == "delivered" and received[0]["status"] == "completed"
    assert vendor_mock.verify_signature(delivery.body, delivery.attempts[0].signature,
                                        vendor_mock.webhook_secret("YOUR_CLIENT_ID"))
