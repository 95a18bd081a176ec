"""The Redis store's per-process cache: reads it serves never miss a write made anywhere else,
and anything that could hide Redis's announcements turns it off."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from mockserver.storage import RedisStore, StoreUnavailable, tracking
from tests.redis_server import RedisServer, redis_server_fixture, redis_url_fixture  # noqa: F401


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test alone, so that its command counts are this test's."""
    server = RedisServer(tmp_path / "redis")
    yield server
    server.stop()


def mget_calls(port: int) -> int:
    stats = redis.Redis(port=port).info("commandstats")
    return int(stats.get("cmdstat_mget", {}).get("calls", 0))


def test_repeated_reads_are_served_by_the_cache(private_redis):
    store = RedisStore.from_url(private_redis.url)
    store.put("run", "r", {"state": "completed"})
    store.get_many([("run", "r"), ("token", "t")])
    before = mget_calls(private_redis.port)
    for _ in range(50):
        assert store.get_many([("run", "r"), ("token", "t")]) == {
            ("run", "r"): {"state": "completed"}, ("token", "t"): None}
    assert mget_calls(private_redis.port) - before <= 1


def test_a_store_without_a_listener_caches_nothing(private_redis):
    store = RedisStore(redis.Redis(port=private_redis.port))
    store.put("run", "r", {"n": 1})
    before = mget_calls(private_redis.port)
    for _ in range(5):
        store.get("run", "r")
    assert mget_calls(private_redis.port) - before == 5


def test_every_write_through_another_replica_is_read_at_once(redis_url):
    """No sleep between the write and the read: the announcement must already be there."""
    reader, writer = RedisStore.from_url(redis_url), RedisStore.from_url(redis_url)
    for n in range(300):
        if n % 3 == 0:
            writer.put("run", "r", {"n": n})
        elif n % 3 == 1:
            writer.update("run", "r", lambda current, n=n: {"n": n})
        else:
            writer.delete("run", "r")
        expected = None if n % 3 == 2 else {"n": n}
        assert reader.get("run", "r") == expected, n
        assert reader.get("run", "r") == expected, n  # and again, from the cache


def test_a_reset_through_another_replica_empties_the_cache(redis_url):
    reader, resetter = RedisStore.from_url(redis_url), RedisStore.from_url(redis_url)
    reader.put("token", "t", {"identity": "a"})
    assert reader.get("token", "t") == {"identity": "a"}
    resetter.clear()
    assert reader.get("token", "t") is None


def test_a_flush_of_the_whole_database_empties_the_cache(private_redis):
    store = RedisStore.from_url(private_redis.url)
    store.put("run", "r", {"n": 1})
    assert store.get("run", "r") == {"n": 1}
    redis.Redis(port=private_redis.port).flushdb()
    assert store.get("run", "r") is None


def test_a_lost_announcement_connection_turns_the_cache_off(private_redis):
    """Killed by Redis (an operator, a proxy's idle timeout): the writes made meanwhile were
    announced to nobody, so the cache must not answer until it listens again."""
    reader, writer = RedisStore.from_url(private_redis.url), RedisStore.from_url(private_redis.url)
    reader.put("run", "r", {"n": 1})
    assert reader.get("run", "r") == {"n": 1}
    admin = redis.Redis(port=private_redis.port)
    assert admin.client_kill_filter(_type="pubsub") >= 1
    writer.put("run", "r", {"n": 2})
    assert reader.get("run", "r") == {"n": 2}
    before = mget_calls(private_redis.port)
    reader.get("run", "r")
    assert mget_calls(private_redis.port) - before == 1  # not cached while it does not listen


def test_the_cache_listens_again_after_a_pause(private_redis, monkeypatch):
    monkeypatch.setattr(tracking, "_RETRY_SECONDS", 0.1)
    reader = RedisStore.from_url(private_redis.url)
    reader.put("run", "r", {"n": 1})
    reader.get("run", "r")
    redis.Redis(port=private_redis.port).client_kill_filter(_type="pubsub")
    reader.get("run", "r")  # notices, and stops caching
    time.sleep(0.2)
    reader.get("run", "r")  # listens again, and fills
    before = mget_calls(private_redis.port)
    for _ in range(10):
        assert reader.get("run", "r") == {"n": 1}
    assert mget_calls(private_redis.port) - before <= 1


def test_a_silent_announcement_connection_turns_the_cache_off(private_redis, monkeypatch):
    """A connection that stays open but carries nothing (a partition, a stopped Redis) cannot be
    told from one with nothing to say but by asking: an unanswered PING ends the cache. Reads
    go on until it has (a PONG that arrived before the stop but is read after it counts as
    Redis heard from), each the stored value while the cache lasts."""
    monkeypatch.setattr(tracking, "_PING_SECONDS", 0.05)
    monkeypatch.setattr(tracking, "_SILENCE_SECONDS", 0.2)
    store = RedisStore.from_url(private_redis.url)
    store.put("run", "r", {"n": 1})
    store.get("run", "r")
    time.sleep(0.1)
    store.get("run", "r")  # sends a PING
    assert private_redis.process is not None
    private_redis.process.send_signal(signal.SIGSTOP)  # the socket stays open, nothing answers
    try:
        deadline, cached = time.monotonic() + 5, []
        with pytest.raises(StoreUnavailable):  # in the end, asked Redis, not the cache
            while time.monotonic() < deadline:
                cached.append(store.get("run", "r"))
                time.sleep(0.02)
        assert cached.count({"n": 1}) == len(cached)
    finally:
        private_redis.process.send_signal(signal.SIGCONT)


def test_an_announced_key_that_is_not_utf8_is_taken_in_stride(private_redis):
    """Anything may write under the prefix; its key names are bytes, not always text."""
    store = RedisStore.from_url(private_redis.url)
    store.put("run", "r", {"n": 1})
    assert store.get("run", "r") == {"n": 1}
    redis.Redis(port=private_redis.port).set(b"mockserver:v:3:run:\xff\xfe", b"{}")
    store.put("run", "r", {"n": 2})
    assert store.get("run", "r") == {"n": 2}


def test_a_redis_that_takes_no_writes_is_store_unavailable(private_redis):
    """A replica after a failover answers READONLY: the vendor's 503, not a crash."""
    store = RedisStore.from_url(private_redis.url)
    admin = redis.Redis(port=private_redis.port)
    admin.replicaof("127.0.0.1", 1)  # a primary that does not exist: this one turns read-only
    try:
        with pytest.raises(StoreUnavailable, match="refuses"):
            store.put("run", "r", {"n": 1})
    finally:
        admin.replicaof("NO", "ONE")
