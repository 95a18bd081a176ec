"""Webhooks from a contract alone: the Replicate test contract sends `predictionCompleted` to the
`webhook` URL its create body names, on success and on cancel, and the mock's own
`Prefer: callback=` passes a contract that declares `Prefer` itself."""

from __future__ import annotations

from contracts.signatures import verify_signature
from mockserver import Mock, MockConfig
from mockserver.testing import MockHandle
from tests.helpers import TESTS, InProcess

REPLICATE = TESTS / "any_contract" / "replicate.yaml"
TOKEN = {"Authorization": "Bearer r8_demo_token"}
PREDICTIONS = "/replicate/v1/predictions"


def test_the_body_field_and_the_preference_name_where_a_prediction_notifies() -> None:
    mock = Mock(MockConfig(contracts=[str(REPLICATE)]))
    handle = MockHandle(mock)
    handle.freeze()
    got: dict[str, list] = {"https://body.test": [], "https://prefer.test": []}
    for prefix, bucket in got.items():
        mock.dispatcher.receivers[prefix] = bucket.append
    api = InProcess(mock)
    named = api.request("POST", PREDICTIONS, json={
        "version": "v1", "input": {"text": "Bob"}, "webhook": "https://body.test/hook"},
        headers={**TOKEN, "Prefer": "seconds=5"})
    assert named.status == 201, named.text
    preferred = api.request("POST", PREDICTIONS, json={"version": "v1", "input": {}},
                            headers={**TOKEN, "Prefer": "callback=https://prefer.test/h"})
    assert preferred.status == 201, preferred.text
    cancelled = api.request("POST", f"{PREDICTIONS}/{preferred.json()['id']}/cancel",
                            headers=TOKEN)
    assert cancelled.status == 200, cancelled.text
    handle.advance(6)
    handle.dispatch()
    [success] = got["https://body.test"]
    [cancel] = got["https://prefer.test"]
    assert success.json()["status"] == "succeeded" and cancel.json()["status"] == "canceled"
    assert success.json()["id"] == named.json()["id"]
    secret = handle.webhook_secret("r8_demo_token", vendor="replicate")
    assert verify_signature(success.body, success.headers["Webhook-Signature"], secret)
    assert success.headers["Webhook-Event"] == "predictionCompleted"


def test_a_run_planned_by_polls_notifies_when_the_lifecycles_limit_fails_it(tmp_path) -> None:
    text = REPLICATE.read_text(encoding="utf-8")
    limited = tmp_path / "replicate.yaml"
    limited.write_text(text.replace("    cancel: cancelPrediction\n",
                                    "    cancel: cancelPrediction\n    max_seconds: 10\n", 1),
                       encoding="utf-8")
    mock = Mock(MockConfig(contracts=[str(limited)]))
    handle = MockHandle(mock)
    handle.freeze()
    got: list = []
    mock.dispatcher.receivers["https://body.test"] = got.append
    api = InProcess(mock)
    created = api.request("POST", PREDICTIONS, headers={**TOKEN, "Prefer": "polls=100"}, json={
        "version": "v1", "input": {}, "webhook": "https://body.test/hook"})
    assert created.status == 201, created.text
    handle.advance(9)
    handle.dispatch()
    assert got == []
    handle.advance(2)  # nobody polls: the sweep finds it failed at its limit
    handle.dispatch()
    assert [request.json()["status"] for request in got] == ["failed"]


def test_a_run_held_in_its_state_notifies_once_forced_to_end() -> None:
    mock = Mock(MockConfig(contracts=[str(REPLICATE)]))
    handle = MockHandle(mock)
    handle.freeze()
    got: list = []
    mock.dispatcher.receivers["https://body.test"] = got.append
    api = InProcess(mock)
    run_id = api.request("POST", PREDICTIONS, headers={**TOKEN, "Prefer": "seconds=1"}, json={
        "version": "v1", "input": {}, "webhook": "https://body.test/hook"}).json()["id"]
    handle.force(run_id, "processing")
    handle.advance(5)
    handle.dispatch()
    assert got == []
    handle.force(run_id, "succeeded")
    handle.dispatch()
    assert [request.json()["status"] for request in got] == ["succeeded"]
