"""One vendor served: its documented paths also work at the server's root, beside its mount."""

from __future__ import annotations

import pytest

from mockserver import Mock, MockConfig
from tests.helpers import InProcess

KEY = {"Authorization": "Bearer YOUR_TOKEN"}


@pytest.fixture
def config() -> MockConfig:
    return MockConfig(contracts=["futurity"])


def test_the_only_vendors_documented_paths_work_at_the_root(api):
    created = api.request("POST", "/v1/chats", headers=KEY, json={"title": "root"})
    assert created.status == 201
    chat = created.json()["data"]["id"]
    assert api.request("GET", f"/futurity/v1/chats/{chat}", headers=KEY).status == 200
    assert api.request("GET", f"/v1/chats/{chat}", headers=KEY).json()["data"]["title"] == "root"
    unknown = api.request("GET", "/v1/nowhere", headers=KEY)
    assert unknown.status == 404 and unknown.json()["error"]["code"] == "NOT_FOUND"


def test_the_control_api_and_docs_stay_where_they_are(api):
    assert api.request("GET", "/__mock__/health").json()["vendors"] == ["futurity"]
    assert api.request("GET", "/futurity/v1/openapi.json").status == 200


def test_with_several_vendors_the_root_serves_none():
    several = InProcess(Mock())
    answer = several.request("POST", "/v1/chats", headers=KEY, json={"title": "root"})
    assert answer.status == 404 and "No vendor is served" in answer.json()["error"]


def test_health_answers_for_readiness_probes(api):
    health = api.request("GET", "/__mock__/health")
    assert health.status == 200 and health.json()["status"] == "ok"
