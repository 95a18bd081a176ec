"""Webhooks in-process: queued once when a run ends however it is found ending, signed, retried
with backoff on the mock's clock, journaled, subscribed through config, control API and handle,
and the faults that real receivers must survive."""

from __future__ import annotations

import json

import pytest
from flask import Flask, request

from contracts.signatures import sign, verify_signature
from mockserver import Mock, MockConfig
from mockserver.engine.names import UnknownName
from mockserver.testing import MockHandle
from tests.helpers import InProcess, poll, token, trigger


def setup(**config) -> tuple[Mock, MockHandle, InProcess, dict[str, str], list]:
    mock = Mock(MockConfig(contracts=["further"], **config))
    handle = MockHandle(mock)
    handle.freeze()
    got: list = []
    handle.subscribe(lambda req: got.append(req))
    api = InProcess(mock)
    return mock, handle, api, token(api), got


def test_signature_round_trip_and_what_breaks_it() -> None:
    body = b'{"status":"completed"}'
    header = sign(body, "whsec_x", 1700000000)
    assert verify_signature(body, header, "whsec_x")
    assert not verify_signature(body + b" ", header, "whsec_x")
    assert not verify_signature(body, header, "whsec_y")
    assert not verify_signature(body, "v1=abc", "whsec_x")
    assert not verify_signature(body, header, "whsec_x", tolerance=300, now=1700001000)
    assert verify_signature(body, header, "whsec_x", tolerance=300, now=1700000100)


def test_a_run_that_ends_on_a_poll_sends_its_poll_body_once_signed() -> None:
    _mock, handle, api, headers, got = setup()
    run_id = trigger(api, headers, prefer="seconds=5").json()["workflow_execution_id"]
    assert handle.dispatch() == [] and got == []
    handle.mock.clock.advance(6)  # no sweep: the poll is what finds it ended
    polled = poll(api, headers, run_id).json()
    assert polled["status"] == "completed"
    poll(api, headers, run_id)
    sent = handle.dispatch()
    assert [d.state for d in sent] == ["delivered"] and len(got) == 1
    assert got[0].json() == polled
    assert got[0].headers["Webhook-Event"] == "executionFinished"
    secret = handle.webhook_secret("YOUR_CLIENT_ID")
    assert handle.verify_signature(got[0].body, got[0].headers["Webhook-Signature"], secret)
    assert handle.dispatch() == []  # nothing queued twice


def test_the_clock_advance_and_the_sweep_notify_runs_nobody_polls() -> None:
    _mock, handle, api, headers, got = setup()
    trigger(api, headers, prefer="seconds=5, outcome=failed")
    handle.advance(10)
    handle.dispatch()
    assert [req.json()["status"] for req in got] == ["failed"]


def test_force_and_a_synchronous_end_notify() -> None:
    _mock, handle, api, headers, got = setup()
    run_id = trigger(api, headers, prefer="seconds=500").json()["workflow_execution_id"]
    handle.force(run_id, "failed")
    handle.dispatch()
    assert [(r.json()["workflow_execution_id"], r.json()["status"]) for r in got] == \
        [(run_id, "failed")]


def test_retries_back_off_on_the_mock_clock_and_are_journaled() -> None:
    _mock, handle, api, headers, _ = setup(webhooks={"attempts": 3, "backoff_seconds": 2})
    answers = [500, 503, 200]
    handle.subscribe(lambda req: answers.pop(0))
    trigger(api, headers, prefer="seconds=1")
    handle.advance(1)
    handle.dispatch()
    [delivery] = [d for d in handle.deliveries() if d.url.startswith("python:<lambda>")][-1:]
    handle.dispatch()  # the frozen clock holds the retry
    retried = handle.deliveries(run_id=delivery.run_id)
    assert [a.status for d in retried for a in d.attempts if d.id == delivery.id] == [500]
    handle.advance(2)
    handle.dispatch()
    handle.advance(3.9)
    handle.dispatch()  # the third attempt waits 4 s after the second
    assert [a.status for a in handle.deliveries()[-1].attempts] == [500, 503]
    handle.advance(0.1)
    handle.dispatch()
    last = next(d for d in handle.deliveries() if d.id == delivery.id)
    assert [a.status for a in last.attempts] == [500, 503, 200] and last.state == "delivered"
    journal = [e for e in handle.journal() if e.kind == "webhook" and e.delivery == delivery.id]
    assert [(e.attempt, e.status) for e in journal] == [(1, 500), (2, 503), (3, 200)]
    assert all(e.signature and e.signature.startswith("t=") for e in journal)


def test_a_receiver_that_never_accepts_fails_after_the_attempts() -> None:
    _mock, handle, api, headers, _ = setup(webhooks={"attempts": 2, "backoff_seconds": 0})
    handle.subscribe(lambda req: 1 / 0)
    trigger(api, headers, prefer="seconds=0")
    handle.dispatch()
    handle.dispatch()
    failed = [d for d in handle.deliveries() if d.state == "failed"]
    assert len(failed) == 1 and [a.status for a in failed[0].attempts] == [None, None]
    assert "ZeroDivisionError" in (failed[0].attempts[0].error or "")


def test_tenants_get_only_their_own_runs_and_their_own_secret() -> None:
    clients = {"a": "sa", "b": "sb", "YOUR_CLIENT_ID": "YOUR_CLIENT_SECRET"}
    config = {"credentials": {"further": {"clients": clients}},
              "webhooks": {"secrets": {"a": "whsec_tenant_a"}}}
    _mock, handle, api, _, _ = setup(**config)
    mine: list = []
    handle.subscribe(lambda req: mine.append(req), tenant="a")
    trigger(api, token(api, "a", "sa"), prefer="seconds=0")
    trigger(api, token(api, "b", "sb"), prefer="seconds=0")
    handle.dispatch()
    assert len(mine) == 1
    assert verify_signature(mine[0].body, mine[0].headers["Webhook-Signature"], "whsec_tenant_a")
    assert handle.webhook_secret("b") != handle.webhook_secret("a")


def test_subscriptions_through_config_and_the_control_api_and_a_prefer_callback() -> None:
    config = {"webhooks": {"subscriptions": [{"vendor": "further", "url": "https://cfg.test/h"}]}}
    mock, handle, api, headers, _ = setup(**config)
    made = api.request("POST", "/__mock__/webhooks/subscriptions",
                       json={"vendor": "further", "url": "https://ctl.test/h",
                             "events": ["executionFinished"], "secret": "whsec_own"})
    assert made.status == 201 and made.json()["signing_secret"] == "whsec_own"
    listed = api.request("GET", "/__mock__/webhooks/subscriptions").json()
    assert {s["url"] for s in listed} >= {"https://cfg.test/h", "https://ctl.test/h"}
    received: dict[str, list] = {}
    for prefix in ("https://cfg.test", "https://ctl.test", "https://cb.test"):
        mock.dispatcher.receivers[prefix] = lambda req, p=prefix: received.setdefault(
            p, []).append(req)
    answer = trigger(api, headers, prefer="seconds=0, callback=https://cb.test/one")
    assert answer.status == 202
    handle.dispatch()
    assert set(received) == {"https://cfg.test", "https://ctl.test", "https://cb.test"}
    assert verify_signature(received["https://ctl.test"][0].body,
                            received["https://ctl.test"][0].headers["Webhook-Signature"],
                            "whsec_own")
    deleted = api.request("DELETE", f"/__mock__/webhooks/subscriptions/{made.json()['id']}")
    assert deleted.status == 200
    assert api.request("DELETE", "/__mock__/webhooks/subscriptions/nope").status == 404


@pytest.mark.parametrize(("body", "problem"), [
    ({"vendor": "further", "url": "ftp://x"}, "url"),
    ({"vendor": "nope", "url": "https://x.test"}, "no vendor 'nope'"),
    ({"url": "https://x.test"}, "vendor"),
])
def test_a_bad_subscription_is_a_clear_usage_error(body, problem) -> None:
    _mock, _handle, api, _headers, _ = setup()
    answer = api.request("POST", "/__mock__/webhooks/subscriptions", json=body)
    assert answer.status in (400, 404) and problem in answer.text


@pytest.mark.parametrize(("method", "path", "body", "status", "problem"), [
    ("POST", "/__mock__/webhooks/faults", {"kind": "explode"}, 400, "kind"),
    ("POST", "/__mock__/webhooks/faults", {"kind": "drop", "count": 0}, 400, "count"),
    ("POST", "/__mock__/webhooks/faults", {"kind": "drop", "vendor": "nope"}, 404, "nope"),
    ("GET", "/__mock__/webhooks/deliveries?vendor=nope", None, 404, "no vendor 'nope'"),
    ("GET", "/__mock__/webhooks/secrets/nope/YOUR_CLIENT_ID", None, 404, "no vendor 'nope'"),
    ("POST", "/__mock__/webhooks/faults", {"kind": "drop", "event": "executionFinishd"}, 400,
     "did you mean 'executionFinished'"),
    ("POST", "/__mock__/webhooks/subscriptions",
     {"vendor": "further", "url": "https://x.test", "events": ["executionDone"]}, 400,
     "executionFinished"),
])
def test_bad_webhook_control_calls_are_named(method, path, body, status, problem) -> None:
    _, _, api, _, _ = setup()
    answer = api.request(method, path, json=body)
    assert answer.status == status and problem in answer.text, answer.text


def test_a_callback_that_is_no_url_is_the_vendors_400() -> None:
    _mock, _handle, api, headers, _ = setup()
    answer = trigger(api, headers, prefer="callback=nowhere")
    assert answer.status == 400 and "callback must be an http(s) URL" in answer.json()["detail"]


def test_faults_drop_delay_duplicate_reorder() -> None:
    _mock, handle, api, headers, got = setup()
    handle.webhook_fault("drop")
    handle.webhook_fault("delay", seconds=30)
    handle.webhook_fault("duplicate")
    ids = [trigger(api, headers, prefer="seconds=0").json()["workflow_execution_id"]
           for _ in range(3)]
    handle.dispatch()
    assert [r.json()["workflow_execution_id"] for r in got] == [ids[2], ids[2]]
    assert got[0].headers["Webhook-Id"] == got[1].headers["Webhook-Id"]
    assert [d.state for d in handle.deliveries()][:2] == ["dropped", "pending"]
    [dropped] = [e for e in handle.journal() if e.kind == "webhook" and e.attempt == 0]
    assert dropped.error == "dropped by a webhook fault" and dropped.status == 0
    handle.advance(30)
    handle.dispatch()
    assert got[-1].json()["workflow_execution_id"] == ids[1]
    got.clear()
    api.request("POST", "/__mock__/webhooks/faults", json={"kind": "reorder", "count": 3})
    later = [trigger(api, headers, prefer="seconds=0").json()["workflow_execution_id"]
             for _ in range(3)]
    handle.dispatch()
    assert [r.json()["workflow_execution_id"] for r in got] == later[::-1]


def test_deliveries_to_a_wsgi_receiver_in_process() -> None:
    _mock, handle, api, headers, _ = setup()
    app = Flask("receiver")
    seen: list = []

    @app.post("/hooks")
    def hooks():
        secret = handle.webhook_secret("YOUR_CLIENT_ID")
        if not verify_signature(request.get_data(), request.headers["Webhook-Signature"], secret):
            return "bad signature", 400
        seen.append(json.loads(request.get_data()))
        return "", 204

    handle.receive_webhooks("https://myapp.test", app)
    handle.subscribe("https://myapp.test/hooks")
    trigger(api, headers, prefer="seconds=0")
    handle.dispatch()
    assert [body["status"] for body in seen] == ["completed"]
    assert [a.status for d in handle.deliveries() if d.url.startswith("https://")
            for a in d.attempts] == [204]


def test_runs_are_watched_only_once_someone_listens_and_then_all_live_ones() -> None:
    mock = Mock(MockConfig(contracts=["further"]))
    handle = MockHandle(mock)
    handle.freeze()
    api = InProcess(mock)
    headers = token(api)
    ended = trigger(api, headers, prefer="seconds=1").json()["workflow_execution_id"]
    live = trigger(api, headers, prefer="seconds=50").json()["workflow_execution_id"]
    assert mock.store.values("webhook-watch") == []  # nobody listens: no extra write
    handle.advance(2)
    got: list = []
    handle.subscribe(got.append)
    handle.advance(60)
    handle.dispatch()
    assert [request.json()["workflow_execution_id"] for request in got] == [live]
    assert ended != live


def test_the_handle_refuses_a_misspelled_webhook_in_a_fault() -> None:
    _mock, handle, _api, _headers, _ = setup()
    with pytest.raises(UnknownName, match="did you mean 'executionFinished'"):
        handle.webhook_fault("drop", event="executionFinishd")
