"""Phinite: the single endpoint, background tasks, environments, limits and FastAPI-style errors."""

from __future__ import annotations

import pytest

from tests.helpers import KEY, OTHER, PAYLOAD, start, status, sync


def test_single_endpoint_answers_the_final_result_in_the_same_request(api):
    result = sync(api)
    assert result.status == 200
    body = result.json()
    assert body["status"] == "completed"
    assert body["response"]["user_variables"] == PAYLOAD["user_variables"]
    assert body["logs"]


def test_single_endpoint_can_be_forced_to_fail(api):
    body = sync(api, prefer="outcome=failed").json()
    assert body["status"] == "failed" and isinstance(body["response"], str)


def test_background_task_logs_grow_until_a_final_response(api, mock):
    started = start(api)
    assert started.status == 202 and started.json()["status"] == "running"
    workflow_id = started.json()["workflow_id"]
    counts, statuses = [], []
    for _ in range(30):
        body = status(api, workflow_id).json()
        statuses.append(body["status"])
        counts.append(len(body["logs"]))
        if body["status"] in ("completed", "failed"):
            break
        assert body["response"] is None
        mock.clock.advance(0.5)
    assert statuses[0] == "running" and statuses[-1] == "completed"
    assert counts == sorted(counts) and counts[-1] > counts[0]
    assert body["response"]["user_variables"] == PAYLOAD["user_variables"]
    assert body["workflow_id"] == workflow_id


def test_environments_are_distinct_deployments(api):
    answers = {env: sync(api, env).json()["response"]["output"] for env in ("DEV", "UAT", "PROD")}
    assert len(set(answers.values())) == 3
    assert all(f"[{env}]" in answer for env, answer in answers.items())


def test_background_task_past_2700_seconds_fails(api, mock):
    workflow_id = start(api, prefer="seconds=3000").json()["workflow_id"]
    mock.clock.advance(2699)
    assert status(api, workflow_id).json()["status"] == "running"
    mock.clock.advance(1)
    body = status(api, workflow_id).json()
    assert body["status"] == "failed" and "2700" in body["response"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Token workspace_api_key"}])
def test_bad_credentials_get_the_documented_401(api, headers):
    result = sync(api, headers=headers)
    assert result.status == 401
    assert result.json() == {"detail": "Invalid authentication credentials"}


def test_user_variables_as_a_string_get_the_documented_422(api):
    result = sync(api, payload={"message": "start the task", "user_variables": "string"})
    assert result.status == 422
    assert result.json() == {"detail": [{"type": "dict_type", "loc": ["body", "user_variables"],
                                         "msg": "Input should be a valid dictionary",
                                         "input": "string"}]}


def test_missing_message_malformed_json_and_bad_environment_get_422(api):
    missing = sync(api, payload={"user_variables": {}}).json()["detail"][0]
    assert missing["type"] == "missing" and missing["loc"] == ["body", "message"]
    malformed = api.request("POST", "/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV",
                            headers={**KEY, "Content-Type": "application/json"}, data="{oops")
    assert malformed.status == 422
    assert malformed.json()["detail"][0]["type"] == "json_invalid"
    environment = sync(api, environment="STAGING")
    assert environment.status == 422
    assert environment.json()["detail"][0]["loc"] == ["path", "environment"]
    assert environment.json()["detail"][0]["type"] == "enum"


def test_unknown_task_and_other_workspace_key_get_404(api):
    workflow_id = start(api).json()["workflow_id"]
    assert status(api, "does-not-exist").status == 404
    assert status(api, workflow_id, headers=OTHER).status == 404
    assert status(api, workflow_id, workspace="ws-2").status == 404
    assert status(api, workflow_id).status == 200
