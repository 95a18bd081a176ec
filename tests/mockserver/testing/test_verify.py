"""Request verification: the journal keeps what a client sent and was answered (credentials
masked, bodies bounded), the handle's `verify` asserts on it, and the control API returns it."""

from __future__ import annotations

import hashlib
import json

import pytest

from mockserver import Mock, MockConfig, MockHandle
from mockserver.engine.names import UnknownName
from mockserver.testing.verify import VerificationError
from tests.helpers import KEY, PAYLOAD, PDF, start, sync, token, trigger


@pytest.fixture
def handle(mock: Mock) -> MockHandle:
    return MockHandle(mock)


def test_a_json_request_is_kept_with_query_masked_headers_and_response(api, handle):
    sync(api, prefer="outcome=completed")
    entry = handle.requests(vendor="phinite", operation="triggerFlow")[-1]
    assert entry.body == PAYLOAD and entry.query == {}
    assert entry.headers["Authorization"] == "Bearer ***_key"  # scheme and last four only
    assert "workspace_api_key" not in json.dumps(entry.model_dump())
    assert entry.headers["Prefer"] == "outcome=completed"
    assert entry.response_body["status"] == "completed"
    assert entry.response_size > 0 and entry.body_size == len(json.dumps(PAYLOAD).encode())


def test_a_request_body_shaped_like_an_entry_keeps_both_bodies_apart(api, handle):
    """The response's JSON text is spliced into the entry as it was sent; a request body that
    holds a `response_body` key of its own must not receive it."""
    payload = {**PAYLOAD, "user_variables": {"response_body": None}}
    sync(api, payload=payload)
    entry = handle.requests(operation="triggerFlow")[-1]
    assert entry.body == payload and entry.response_body["status"] in ("completed", "failed")


def test_credentials_in_bodies_are_masked_too(api, handle):
    token(api)
    entry = handle.requests(operation="createAccessToken")[-1]
    assert entry.body == {"client_id": "YOUR_CLIENT_ID", "client_secret": "***"}
    assert entry.response_body["access_token"] == "***"


def test_multipart_parts_are_described_by_name_type_size_and_digest(api, handle):
    trigger(api, token(api), metadata={"policy": "P-1"})
    entry = handle.requests(operation="triggerWorkflowExecution")[-1]
    [part] = entry.parts
    assert (part.field, part.filename, part.content_type) == ("files", "policy.pdf",
                                                               "application/pdf")
    assert part.size == len(PDF) and part.sha256 == hashlib.sha256(PDF).hexdigest()
    assert entry.body["metadata"] == {"policy": "P-1"}


def test_query_parameters_are_kept(api, handle):
    api.request("GET", "/futurity/v1/chats?limit=2&offset=0",
                headers={"Authorization": "Bearer YOUR_TOKEN"})
    assert handle.requests(operation="listChats")[-1].query == {"limit": "2", "offset": "0"}


@pytest.mark.parametrize("config", [MockConfig(journal={"max_body_bytes": 10})])
def test_bodies_over_the_limit_are_left_out_with_their_size(api, handle, config):
    sync(api)
    entry = handle.requests(operation="triggerFlow")[-1]
    assert entry.body is None and entry.response_body is None
    assert entry.omitted == ["body", "response_body"] and entry.body_size > 10


@pytest.mark.parametrize("config", [MockConfig(journal={"detail": False})])
def test_detail_can_be_switched_off(api, handle, config):
    sync(api)
    entry = handle.requests(operation="triggerFlow")[-1]
    assert entry.verdict == "conforms" and entry.body is None and entry.headers == {}


def test_verify_counts_and_matches_partially(api, handle):
    sync(api)
    sync(api, payload={"message": "other", "user_variables": {"key1": "x"}})
    handle.verify("triggerFlow", count=2)
    matched = handle.verify("triggerFlow", body={"user_variables": {"key1": "value1"}})
    assert len(matched) == 1
    handle.verify("triggerFlow", count=1, body={"message": lambda text: text.startswith("oth")})
    handle.verify("triggerFlow", at_least=2, headers={"authorization": lambda v: "***" in v})
    handle.verify("startBackgroundTask", count=0)


def test_a_failed_verify_shows_the_closest_requests(api, handle):
    sync(api)
    start(api)
    with pytest.raises(VerificationError) as failure:
        handle.verify("triggerFlow", body={"user_variables": {"key1": "value2"}})
    message = str(failure.value)
    assert "0 matched of 2 received" in message and "closest requests received" in message
    assert "body.user_variables.key1: expected 'value2', got 'value1'" in message
    assert message.index("triggerFlow") < message.index("startBackgroundTask")


def test_verify_refuses_a_misspelt_operation(handle):
    with pytest.raises(UnknownName, match="did you mean 'triggerFlow'"):
        handle.verify("triggerFlw")


def test_control_api_journal_returns_the_same_detail_filtered(api):
    sync(api)
    start(api)
    answer = api.request("GET", "/__mock__/journal?operation=triggerFlow")
    assert answer.status == 200
    [entry] = answer.json()
    assert entry["body"] == PAYLOAD and entry["headers"]["Authorization"].endswith("_key")
    assert entry["response_body"]["status"] in ("completed", "failed")
    assert KEY["Authorization"] not in answer.text
