"""One mount rule (`web/mounts.py`): a vendor is reached below its prefix and at its real host,
and, when it is the only one served, at the root; the control API and docs stay where they are."""

from __future__ import annotations

import pytest

from mockserver import Mock, MockConfig
from mockserver.web.mounts import Mounts
from tests.helpers import (
    FUTURITY_KEY,
    WAYS,
    AtUrl,
    InProcess,
    OverSocket,
    Served,
    futurity_chat,
    futurity_reads,
)

KEY = FUTURITY_KEY


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


@pytest.mark.parametrize("way", list(WAYS))
def test_prefix_root_and_host_give_the_same_answers(api, way):
    answers = futurity_reads(api, futurity_chat(api, way))
    assert [status for status, _ in answers[way]] == [200, 200, 404]
    assert answers["prefix"] == answers["root"] == answers["host"]


def test_the_control_api_and_docs_stay_where_they_are(api):
    assert api.request("GET", "/__mock__/health").json()["vendors"] == ["futurity"]
    assert api.request("GET", "/futurity/v1/openapi.json").status == 200
    docs = api.request("GET", "/futurity/v1/docs", headers={"Host": "api.futurity.work"})
    assert docs.status == 200 and "text/html" in docs.headers["Content-Type"]


@pytest.mark.parametrize("transport", [InProcess, OverSocket])
def test_with_several_vendors_the_root_serves_none_but_prefix_and_host_do(transport):
    several = transport(Mock())
    try:
        answer = several.request("POST", "/v1/chats", headers=KEY, json={"title": "root"})
        assert answer.status == 404 and "No vendor is served at /v1/chats" in answer.json()["error"]
        assert answer.json()["vendors"]["futurity"] == "/futurity/v1"
        answers = futurity_reads(several, futurity_chat(several, "host"))
        assert answers["prefix"] == answers["host"]
        assert [status for status, _ in answers["host"]] == [200, 200, 404]
        assert answers["root"][0][0] == 404 and "No vendor" in answers["root"][0][1]["error"]
    finally:
        if isinstance(several, OverSocket):
            several.close()


def test_the_rule_over_a_served_process(tmp_path):
    with Served("futurity", "--store", "memory", cwd=tmp_path) as one:
        api = AtUrl(one.base)
        answers = futurity_reads(api, futurity_chat(api, "root"))
    assert answers["prefix"] == answers["root"] == answers["host"]
    with Served("futurity", "phinite", "--store", "memory", cwd=tmp_path) as two:
        api = AtUrl(two.base)
        answers = futurity_reads(api, futurity_chat(api, "host"))
    assert answers["prefix"] == answers["host"] and answers["root"][0][0] == 404
    assert answers["root"][0][1]["vendors"] == {"futurity": "/futurity/v1",
                                                "phinite": "/phinite"}


def test_what_is_no_vendors_path():
    mock = Mock(MockConfig(contracts=["futurity"]))
    mounts = Mounts(mock, {"futurity": "F"})
    assert mounts.resolve("", "/__mock__/health") is None
    assert mounts.resolve("api.futurity.work", "/futurity/v1/openapi.json") is None
    assert mounts.resolve("", "/futurity/v1/docs") is None
    assert mounts.resolve("", "/futurity/v1/chats") == ("F", "/futurity/v1")
    assert mounts.resolve("", "/futurity/v1") == ("F", "/futurity/v1")
    assert mounts.resolve("api.futurity.work", "/v1/chats") == ("F", "/v1")
    assert mounts.resolve("", "/v1/chats") == ("F", "/v1")
    assert mounts.resolve("", "/v2/chats") is None
    several = Mounts(Mock(MockConfig(contracts=["futurity", "phinite"])),
                     {"futurity": "F", "phinite": "P"})
    assert several.resolve("", "/v1/chats") is None
    assert several.resolve("api.futurity.work", "/v1/chats") == ("F", "/v1")
    assert several.resolve("app.phinite.ai", "/api/v1/ai/trigger/a/b/DEV") == ("P", "")


def test_health_answers_for_readiness_probes(api):
    health = api.request("GET", "/__mock__/health")
    assert health.status == 200 and health.json()["status"] == "ok"
