"""The webhooks a lifecycle sends: declared under `webhooks`, modelled, and linted."""

from __future__ import annotations

from pathlib import Path

import pytest

import contracts

BODY = '            schema: {$ref: "#/components/schemas/'
AFTER = '"}\n      responses:\n        "200":\n          description: Any 2xx'
FURTHER = contracts.path("further").read_text(encoding="utf-8")


def test_further_declares_executionFinished_for_its_terminal_states() -> None:
    webhooks = contracts.extensions("further").lifecycles["execution"].webhooks
    assert webhooks is not None
    assert webhooks.when == {"completed": "executionFinished", "failed": "executionFinished"}
    assert webhooks.signature.header == "Webhook-Signature"
    assert "executionFinished" in contracts.load("further")["webhooks"]


@pytest.mark.parametrize(("original", "mistake", "named"), [
    ("completed: executionFinished", "completed: executionFinishd",
     "x-lifecycles.execution.webhooks.when.completed: no webhook 'executionFinishd' under the "
     "top-level `webhooks`; did you mean 'executionFinished'?"),
    ("failed: executionFinished", "finished: executionFinished",
     "x-lifecycles.execution: Value error, lifecycle names undeclared states: ['finished']"),
    ("        - name: Webhook-Signature\n", "        - name: X-Signature\n",
     "webhooks.executionFinished.post.parameters: the signature header 'Webhook-Signature'"),
    (BODY + "Execution" + AFTER, BODY + "Step" + AFTER,
     "webhooks.executionFinished.post.requestBody: the body's schema is not the poll's"),
])
def test_a_webhook_mistake_is_named_with_its_place(tmp_path: Path, original: str, mistake: str,
                                                   named: str) -> None:
    assert original in FURTHER
    broken = tmp_path / "further.yaml"
    broken.write_text(FURTHER.replace(original, mistake, 1), encoding="utf-8")
    problems = [str(problem) for problem in contracts.lint(str(broken))]
    assert any(problem.startswith(named) for problem in problems), problems


def test_a_callback_field_the_create_body_does_not_declare_is_named(tmp_path: Path) -> None:
    replicate = Path(__file__).parent.parent / "any_contract" / "replicate.yaml"
    text = replicate.read_text(encoding="utf-8")
    assert "callback: /webhook\n" in text
    broken = tmp_path / "replicate.yaml"
    broken.write_text(text.replace("callback: /webhook\n", "callback: /hook\n"), encoding="utf-8")
    problems = [str(problem) for problem in contracts.lint(str(broken))]
    assert "x-lifecycles.prediction.webhooks.callback: '/hook' is not a place createPrediction's " \
        "JSON request body declares" in problems, problems
