"""What only the Redis store promises: key prefixes, a lost Redis as `StoreUnavailable` and a
vendor 503 (in-process and over a socket), recovery when it returns."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from mockserver import Mock, MockConfig
from mockserver.storage import RedisStore, StoreUnavailable, open_store
from tests import redis_server as redis_server_module
from tests.helpers import InProcess
from tests.redis_server import (  # noqa: F401
    RedisServer,
    redis_server_fixture,
    redis_url_fixture,
)

KEY = {"Authorization": "Bearer workspace_api_key"}
START = "/phinite/api/v1/ai/trigger/start/ws/tr/DEV"


def test_without_redis_server_its_tests_skip_but_under_ci_they_fail(monkeypatch):
    monkeypatch.setattr(redis_server_module, "installed_redis_server", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="redis-server is not installed"):
        redis_server_module.redis_server_binary()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the Redis tests"):
        redis_server_module.redis_server_binary()


def test_a_prefix_keeps_mocks_sharing_one_redis_apart(redis_server):
    team_a, team_b = open_store(redis_server.unique_url()), open_store(redis_server.unique_url())
    team_a.put("run", "r", {"team": "a"})
    team_b.put("run", "r", {"team": "b"})
    team_a.append_journal('{"path": "/a"}')
    team_b.clear()
    assert team_a.get("run", "r") == {"team": "a"} and team_b.get("run", "r") is None
    assert [entry["path"] for entry in team_a.journal()] == ["/a"] and team_b.journal() == []
    client = redis.Redis(port=redis_server.port)
    prefix = team_a.prefix  # type: ignore[attr-defined]
    assert prefix.startswith("test-") and all(
        name.startswith(prefix.encode()) for name in client.keys(f"{prefix}*"))


def test_kinds_and_keys_that_share_colons_stay_apart(redis_url):
    store = open_store(redis_url)
    store.put("a:b", "c", {"n": 1})
    store.put("a", "b:c", {"n": 2})
    assert store.get("a:b", "c") == {"n": 1} and store.get("a", "b:c") == {"n": 2}
    assert store.values("a") == [{"n": 2}] and store.values("a:b") == [{"n": 1}]
    store.clear()
    assert store.get_many([("a:b", "c"), ("a", "b:c")]) == {("a:b", "c"): None,
                                                           ("a", "b:c"): None}


def test_values_are_in_creation_order_and_a_rewrite_keeps_its_place(redis_url):
    store = open_store(redis_url)
    for key in "cab":
        store.put("run", key, {"key": key})
    store.update("run", "c", lambda current: {"key": "c", "again": True})
    store.put("token", "t", {"other": "kind"})
    assert [value["key"] for value in store.values("run")] == ["c", "a", "b"]
    assert store.delete("run", "c") and [v["key"] for v in store.values("run")] == ["a", "b"]


def test_blobs_round_trip_bytes(redis_url):
    store = open_store(redis_url)
    store.put_blob("file", b"\x00\xffbytes")
    assert store.get_blob("file") == b"\x00\xffbytes" and store.get_blob("nope") is None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis this test may stop: persistent, as a production one would be."""
    server = RedisServer(tmp_path / "redis", persistent=True)
    yield server
    server.stop()


def test_an_unreachable_redis_is_store_unavailable_when_checked(own_redis):
    url = own_redis.url
    own_redis.stop()
    where = f"cannot reach Redis at 127.0.0.1:{own_redis.port}/0"
    store = RedisStore.from_url(url)  # connects only when used
    with pytest.raises(StoreUnavailable, match=where):
        store.check()


def test_a_lost_redis_is_store_unavailable_until_it_returns(own_redis):
    store = RedisStore.from_url(own_redis.url)
    store.put("run", "r", {"state": "running"})
    own_redis.stop(signal.SIGKILL)
    store.append_journal('{"path": "/while-lost"}')  # pending: written once Redis is back
    for operation in (lambda: store.get("run", "r"), lambda: store.put("run", "s", {}),
                      lambda: store.update("run", "r", lambda current: current),
                      lambda: store.journal(), store.flush_journal,
                      lambda: store.get_many([("run", "r")]), lambda: store.values("run")):
        with pytest.raises(StoreUnavailable):
            operation()
    own_redis.start()
    assert store.get("run", "r") == {"state": "running"}  # acknowledged before the loss
    assert [entry["path"] for entry in store.journal()] == ["/while-lost"]


@pytest.fixture
def config(own_redis: RedisServer) -> MockConfig:
    return MockConfig(contracts=["phinite", "further"], store=own_redis.url)


def test_a_lost_redis_is_the_vendors_503_until_it_returns(api, own_redis):
    assert api.request("POST", START, headers=KEY, json={"message": "hi"}).status == 202
    own_redis.stop(signal.SIGKILL)
    lost = api.request("POST", START, headers=KEY, json={"message": "hi"})
    assert lost.status == 503 and lost.headers["Retry-After"] == "1"
    assert lost.json() == {"detail": "Service temporarily unavailable: the mock's store is "
                                     "unreachable"}  # Phinite's own error format
    token = api.request("POST", "/further/api/v1/oauth2/access_token",
                        json={"client_id": "YOUR_CLIENT_ID", "client_secret": "YOUR_CLIENT_SECRET"})
    assert token.status == 503 and token.json() == {  # the OAuth endpoint's own format
        "error": "server_error",
        "error_description": "Service temporarily unavailable: the mock's store is unreachable"}
    control = api.request("GET", "/__mock__/runs")
    assert control.status == 503 and "unreachable" in control.json()["error"]
    own_redis.start()
    assert api.request("POST", START, headers=KEY, json={"message": "hi"}).status == 202
    assert len(api.request("GET", "/__mock__/runs").json()) == 2


def test_a_mock_started_while_redis_is_away_answers_503_until_it_returns(own_redis):
    """As a gunicorn worker (re)started during an outage must: not fail to boot, which would
    take the whole server down."""
    own_redis.stop()
    mock = Mock(MockConfig(contracts=["phinite"], store=own_redis.url))
    api = InProcess(mock)
    assert api.request("POST", START, headers=KEY, json={"message": "hi"}).status == 503
    own_redis.start()
    assert api.request("POST", START, headers=KEY, json={"message": "hi"}).status == 202
