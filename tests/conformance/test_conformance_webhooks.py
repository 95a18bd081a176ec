"""`conformance run --webhooks`: the mock's webhooks conform, and implementations that omit a
delivery, sign with the wrong secret or send a body that is not the declared payload are caught."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner

import conformance.checks.webhooks as webhook_checks
import mockserver.engine.dispatcher as dispatcher
import mockserver.handlers.webhooks as notices
from conformance.cli import main as conformance_main
from conformance.options import RunOptions
from conformance.runner import run
from contracts.signatures import sign
from mockserver import LiveServer, Mock, MockConfig
from mockserver.engine.deliveries import WebhookFault
from tests.broken.accounts import accounts
from tests.broken.serve import options
from tests.helpers import TESTS

FAST = {"interval_seconds": 0.05, "backoff_seconds": 0.1}


def check(prepare: Callable[[Mock], None] = lambda mock: None):
    mock = Mock(MockConfig(contracts=["further"], webhooks=FAST, credentials=accounts()))
    prepare(mock)
    with LiveServer(mock) as server:
        return run(options("further", server.url, profile="quick", checks=["webhooks"],
                           webhooks=True, time_budget=5))


def rules(results) -> set[str]:
    return {finding.rule for finding in results.findings}


def test_the_mocks_webhooks_conform() -> None:
    results = check()
    assert results.ok, [f"{f.rule}: {f.message}" for f in results.findings]
    done = results.exercised["webhooks"]
    assert done["deliveries checked"] >= 3 and done["runs notified"] == done["runs finished"]


def test_omitted_deliveries_are_caught() -> None:
    results = check(lambda mock: mock.webhooks.add_fault(WebhookFault(kind="drop", count=2)))
    assert "every run that ends is notified" in rules(results)


def test_a_wrong_signature_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatcher, "sign",
                        lambda body, secret, timestamp: sign(body, "whsec_wrong", timestamp))
    results = check()
    assert "the delivery is signed with the subscription's secret" in rules(results)


def test_a_body_that_is_not_the_declared_payload_is_caught(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notices, "encode", lambda body: '{"workflow_execution_id": 1}')
    results = check()
    assert "the body matches the webhook's schema" in rules(results)


def test_a_header_that_breaks_its_declaration_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dispatcher, "sign", lambda body, secret, timestamp: "v1=forged")
    found = {(f.rule, f.message.split(":")[0]) for f in check().findings}
    assert ("the webhook's declared headers are sent", "Webhook-Signature") in found


def test_the_cli_flag_runs_the_family() -> None:
    mock = Mock(MockConfig(contracts=["further"], webhooks=FAST))
    with LiveServer(mock) as server:
        outcome = CliRunner().invoke(conformance_main, [
            "run", "further", "--base-url", f"{server.url}/further", "--fast-forward",
            "--client-id", "YOUR_CLIENT_ID", "--client-secret", "YOUR_CLIENT_SECRET",
            "--profile", "quick", "--checks", "auth", "--webhooks"])
    assert outcome.exit_code == 0, outcome.output
    assert "webhooks" in outcome.output and "auth" in outcome.output


REPLICATE = str(TESTS / "any_contract" / "replicate.yaml")


def check_replicate(secret: str | None = None):
    """The suite's `--webhooks` on the Replicate contract, whose create body names the
    webhook URL: no subscription is made, each run names the receiver."""
    mock = Mock(MockConfig(contracts=[REPLICATE], webhooks=FAST))
    with LiveServer(mock) as server:
        return run(RunOptions(contract=REPLICATE, base_url=f"{server.url}/replicate",
                              token="r8_demo_token", other_token="r8_other_token",
                              fast_forward=True, profile="quick", checks=["webhooks"],
                              webhooks=True, time_budget=5, webhook_secret=secret))


def test_runs_that_name_their_webhook_url_notify_it_without_a_subscription(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_checks, "_subscribe",
                        lambda *args: pytest.fail("subscribed through the control API"))
    results = check_replicate()
    assert results.ok, [f"{f.rule}: {f.message}" for f in results.findings]
    done = results.exercised["webhooks"]
    assert done["deliveries checked"] >= 3 and done["runs notified"] == done["runs finished"]


def test_callback_deliveries_signed_with_another_secret_are_caught() -> None:
    results = check_replicate(secret="whsec_not_the_one")
    assert "the delivery is signed with the subscription's secret" in rules(results)


def test_an_implementation_that_ignores_the_named_url_is_caught(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notices, "_watch", lambda *args, **kwargs: None)
    results = check_replicate()
    assert "every run that ends is notified" in rules(results)


def test_the_cli_takes_the_callback_secret() -> None:
    mock = Mock(MockConfig(contracts=[REPLICATE], webhooks=FAST))
    with LiveServer(mock) as server:
        outcome = CliRunner().invoke(conformance_main, [
            "run", REPLICATE, "--base-url", f"{server.url}/replicate", "--fast-forward",
            "--token", "r8_demo_token", "--profile", "quick", "--checks", "auth",
            "--webhooks", "--webhook-secret", "whsec_not_the_one", "--time-budget", "5"])
    assert outcome.exit_code == 1, outcome.output
    assert "signed with the subscription's secret" in outcome.output
