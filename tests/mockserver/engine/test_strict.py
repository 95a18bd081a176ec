"""The strict check's memory of conforming bodies: it skips only bytes it has passed."""

from __future__ import annotations

from pydantic_core import to_json

from mockserver.engine.contract import Contract
from mockserver.engine.strict import CheckedResponses, response_problems

GOOD = {"workflow_id": "wf-1", "workflow_execution_id": "ex-1", "status": "running"}
BAD = {**GOOD, "workflow_execution_id": 7}


def test_remembered_bodies_pass_and_every_other_body_is_still_checked() -> None:
    operation = Contract("further").operations["getWorkflowExecution"]
    checked = CheckedResponses(size=2)
    assert response_problems(operation, 200, "application/json", BAD)  # the schema refuses it
    for _ in range(2):
        assert checked.problems(operation, 200, "application/json", GOOD, to_json(GOOD)) == []
    assert checked.problems(operation, 200, "application/json", BAD, to_json(BAD)) == \
        response_problems(operation, 200, "application/json", BAD)
    assert checked.problems(operation, 200, "application/json", BAD, to_json(BAD))  # not kept
    assert checked.problems(operation, 418, "application/json", GOOD, to_json(GOOD))
    assert checked.problems(operation, 200, "application/json", BAD, None)


def test_a_full_memory_is_forgotten_not_grown() -> None:
    operation = Contract("further").operations["getWorkflowExecution"]
    checked = CheckedResponses(size=2)
    for run in ("ex-1", "ex-2", "ex-3"):
        body = {**GOOD, "workflow_execution_id": run}
        assert checked.problems(operation, 200, "application/json", body, to_json(body)) == []
    assert len(checked._passed) <= 2
