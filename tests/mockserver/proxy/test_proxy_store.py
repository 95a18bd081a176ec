"""Where the proxy keeps its state: any store `serve` takes, Redis included."""

from __future__ import annotations

from pathlib import Path

from mockserver.proxy import ProxyApp, ProxyConfig, Route
from mockserver.storage import RedisStore, SQLiteStore
from tests.redis_server import redis_server_fixture, redis_url_fixture  # noqa: F401

ROUTES = [Route(contract="further", upstream="http://127.0.0.1:9")]


def test_a_redis_url_is_a_redis_store_not_a_file_name(redis_url):
    proxy = ProxyApp(ProxyConfig(routes=ROUTES, store=redis_url))
    assert isinstance(proxy.mock.store, RedisStore)


def test_a_path_is_a_sqlite_file(tmp_path: Path):
    proxy = ProxyApp(ProxyConfig(routes=ROUTES, store=tmp_path / "proxy.sqlite3"))
    assert isinstance(proxy.mock.store, SQLiteStore)
