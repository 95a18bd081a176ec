"""A Redis server, so that several replicas of the mock, on as many hosts, share one state.

Every key starts with a prefix (`mockserver` unless the URL says `?prefix=NAME`), so several
mocks can share one Redis. Under prefix `P`:

- `P:v:<length of kind>:<kind>:<key>` holds one value's JSON text. One Redis key per value, so
  that an atomic `update` watches the value it changes and nothing else; the kind's length keeps
  kind `a:b`, key `c` apart from kind `a`, key `b:c`.
- `P:i:<kind>` is the kind's keys in a sorted set, scored by creation, so that `values(kind)`
  reads that kind alone, oldest first. `P:kinds` names the kinds (for `clear`), `P:order` scores.
- `P:blobs` is a hash of uploaded files; `P:journal` a capped list of `<seq> <entry>`, with
  `P:seq` counting every entry ever appended; `P:resets` counts the resets (`clear`).

A write that touches several keys is one Lua script: atomic, and one round trip. `update` reads
the value under WATCH, applies the caller's change in Python and writes in MULTI/EXEC, and starts
again if another client changed the value meanwhile, as a poll on another replica may have.
A poll's reads (clock, faults, token, its run) are one MGET.

Journal entries are written in batches by one background thread per process, as in SQLite: at
most `_JOURNAL_FLUSH_SECONDS` after they happen, in one script that numbers them and trims the
list to the cap atomically, so recording a request costs it no round trip of its own. A read of
the journal first writes what this process holds, and a process writes the rest when it exits
(SIGTERM included); another replica's newest entries may lag by that interval, and a replica
killed outright (SIGKILL, a lost host) loses at most that interval's entries, never a run, a
poll's count or any other value, which are written before the response goes out. Each entry is
tagged with the newest reset count its process had read when it was recorded, so an entry of a
request served before a reset, still pending on another replica, is dropped when it arrives
after the reset.

Values (and the reset count) are cached in each process by `TrackedCache`, which Redis keeps
current by announcing every change to them, whoever made it (`CLIENT TRACKING`, broadcast mode):
a poll of a run no one is changing then reads nothing from Redis. The scripts build key names,
so this needs a single Redis server (a primary, possibly with replicas), not Redis Cluster.

Losing Redis raises `StoreUnavailable`, which the server answers with the vendor's 503; redis-py
reconnects on the next call, so a replica recovers by itself once Redis is back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialWithJitterBackoff, NoBackoff
from redis.retry import Retry

from mockserver.storage.base import JOURNAL_LIMIT, StoreUnavailable, Value, decode, encode
from mockserver.storage.batching import JournalBatcher
from mockserver.storage.tracking import TrackedCache

__all__ = ["DEFAULT_PREFIX", "RedisStore"]

DEFAULT_PREFIX = "mockserver"
# Fail within about a second when Redis is gone (a 503 beats a hung request), and retry once
# so that a connection Redis closed while idle costs no request an error.
_TIMEOUT_SECONDS = 1.0
_RETRY = Retry(ExponentialWithJitterBackoff(base=0.01, cap=0.1), 1)

# A replica after a failover, a Redis at its memory limit, one still loading its data: answered
# as the vendor's 503, as an unreachable Redis is, not as a crash.
_REFUSING = (redis.exceptions.ReadOnlyError, redis.exceptions.OutOfMemoryError,
             redis.exceptions.BusyLoadingError)

_JOURNAL_FLUSH_SECONDS = 0.05
_JOURNAL_BATCH = 200

Key = tuple[str, str]

# KEYS: value, index, kinds, order. ARGV: text, key, kind.
_PUT = """
redis.call('SET', KEYS[1], ARGV[1])
if redis.call('ZADD', KEYS[2], 'NX', redis.call('INCR', KEYS[4]), ARGV[2]) == 1 then
    redis.call('SADD', KEYS[3], ARGV[3])
end
"""

# KEYS: value, index. ARGV: key.
_DELETE = """
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
"""

# KEYS: index. ARGV: the kind's value-key prefix.
_VALUES = """
local texts = {}
for i, key in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    texts[i] = redis.call('GET', ARGV[1] .. key)
end
return texts
"""

# KEYS: journal, seq, resets. ARGV: limit, then (resets read or '', entry) pairs. An entry read
# before the newest reset is dropped; the rest are numbered in order, the cap kept in one step.
_APPEND = """
local resets = tonumber(redis.call('GET', KEYS[3]) or '0')
local kept = {}
for i = 2, #ARGV, 2 do
    if ARGV[i] == '' or tonumber(ARGV[i]) >= resets then
        kept[#kept + 1] = ARGV[i + 1]
    end
end
if #kept == 0 then
    return
end
local seq = redis.call('INCRBY', KEYS[2], #kept) - #kept
for i, entry in ipairs(kept) do
    redis.call('RPUSH', KEYS[1], (seq + i) .. ' ' .. entry)
end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
"""

# KEYS: kinds, blobs, journal, resets. ARGV: prefix. The sequence numbers go on, as in SQLite.
_CLEAR = """
for _, kind in ipairs(redis.call('SMEMBERS', KEYS[1])) do
    local index = ARGV[1] .. ':i:' .. kind
    local values = ARGV[1] .. ':v:' .. string.len(kind) .. ':' .. kind .. ':'
    for _, key in ipairs(redis.call('ZRANGE', index, 0, -1)) do
        redis.call('DEL', values .. key)
    end
    redis.call('DEL', index)
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return redis.call('INCR', KEYS[4])
"""


class RedisStore:
    def __init__(self, client: redis.Redis, prefix: str = DEFAULT_PREFIX,
                 listener: Callable[[], redis.Redis] | None = None) -> None:
        """Connects only when first used: a worker that starts while Redis is away still
        starts, answers 503 meanwhile, and recovers with Redis. `listener` makes the client for
        the cache's announcements; without it nothing is cached."""
        self._redis = client
        self.prefix = prefix
        self._kinds = f"{prefix}:kinds"
        self._order = f"{prefix}:order"
        self._blobs = f"{prefix}:blobs"
        self._journal = f"{prefix}:journal"
        self._seq = f"{prefix}:seq"
        self._resets = f"{prefix}:resets"
        self._resets_read = ""
        """The newest reset count a read of this process saw; '' before the first."""
        self._cache = TrackedCache(listener, [f"{prefix}:v:", self._resets]) \
            if listener is not None else None
        self._put = client.register_script(_PUT)
        self._delete = client.register_script(_DELETE)
        self._values = client.register_script(_VALUES)
        self._append = client.register_script(_APPEND)
        self._clear = client.register_script(_CLEAR)
        self._resets_lock = threading.Lock()
        # A full batch is written by the request that fills it: a flusher thread waits for the
        # GIL again after each of the write's socket calls, behind busy request threads, and
        # fell so far behind that requests wrote its backlog anyway (`hot_path.py --latency
        # --store redis`); a request thread gets the GIL straight back.
        self._journal_batches = JournalBatcher[str](self._write_journal,  # tagged: resets read
                                                    flush_seconds=_JOURNAL_FLUSH_SECONDS,
                                                    batch_size=_JOURNAL_BATCH,
                                                    backlog=_JOURNAL_BATCH)

    @classmethod
    def from_url(cls, url: str) -> RedisStore:
        """`redis://HOST:PORT/DB` or `rediss://...`, with any of redis-py's URL options;
        `prefix=NAME` in the query sets the key prefix."""
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        prefix = dict(query).get("prefix") or DEFAULT_PREFIX
        options = urlencode([(name, value) for name, value in query if name != "prefix"])
        where = urlunsplit(parts._replace(query=options))
        client = redis.Redis.from_url(where, socket_timeout=_TIMEOUT_SECONDS,
                                      socket_connect_timeout=_TIMEOUT_SECONDS, retry=_RETRY)
        return cls(client, prefix, lambda: redis.Redis.from_url(
            where, socket_timeout=_TIMEOUT_SECONDS, socket_connect_timeout=_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), 0), protocol=2))

    def check(self) -> None:
        """Raise `StoreUnavailable` unless Redis answers: `serve` checks once before it starts,
        so that a wrong URL, password or database is one clear error rather than a 503 on
        every request."""
        with self._reaching():
            try:
                self._redis.ping()
            except redis.ResponseError as error:  # e.g. a database number out of range
                raise StoreUnavailable(f"Redis at {self._where()} refuses the mock: {error}") \
                    from error

    def _where(self) -> str:
        """host:port/db, without the password the URL may hold."""
        where = self._redis.connection_pool.connection_kwargs
        return f"{where.get('host', 'localhost')}:{where.get('port', 6379)}/{where.get('db', 0)}"

    @contextmanager
    def _writing(self, names: list[str] | None) -> Iterator[None]:
        """A write to these keys (None: every key): this process's next reads must not use the
        cache's older texts, whose announcement may still be on its way, even if the write
        failed half-way."""
        try:
            with self._reaching():
                yield
        finally:
            if self._cache:
                self._cache.forget(names)

    @contextmanager
    def _reaching(self) -> Iterator[None]:
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise StoreUnavailable(f"cannot reach Redis at {self._where()}: {error}") from error
        except _REFUSING as error:  # reachable, but taking no writes (or none yet)
            raise StoreUnavailable(f"Redis at {self._where()} refuses: {error}") from error

    def _value_key(self, kind: str, key: str) -> str:
        return f"{self.prefix}:v:{len(kind.encode())}:{kind}:{key}"

    def _index(self, kind: str) -> str:
        return f"{self.prefix}:i:{kind}"

    def get(self, kind: str, key: str) -> Value | None:
        return self.get_many([(kind, key)])[(kind, key)]

    def get_many(self, keys: list[Key]) -> dict[Key, Value | None]:
        if not keys:
            return {}
        names = [self._value_key(kind, key) for kind, key in keys] + [self._resets]
        texts, generation = self._cache.read(names) if self._cache else ({}, -1)
        missing = [name for name in names if name not in texts]
        if missing:
            with self._reaching():
                read = dict(zip(missing, self._redis.mget(missing), strict=True))
            if self._cache:
                self._cache.fill(read, generation)
            texts.update(read)
        self._saw_resets(int(texts[self._resets] or 0))
        return {key: decode(text) if (text := texts[name]) is not None else None
                for key, name in zip(keys, names, strict=False)}

    def _saw_resets(self, count: int) -> None:
        with self._resets_lock:
            if self._resets_read == "" or count > int(self._resets_read):
                self._resets_read = str(count)

    def _put_arguments(self, kind: str, key: str, text: str) -> tuple[list[str], list[str]]:
        keys = [self._value_key(kind, key), self._index(kind), self._kinds, self._order]
        return keys, [text, key, kind]

    def put(self, kind: str, key: str, value: Value) -> None:
        keys, args = self._put_arguments(kind, key, encode(value))
        with self._writing(keys[:1]):
            self._put(keys=keys, args=args)

    def update(
        self, kind: str, key: str, change: Callable[[Value | None], Value | None]
    ) -> Value | None:
        """`change` may run more than once: again each time another client wrote the value
        between this read and this write."""
        value_key = self._value_key(kind, key)
        with self._writing([value_key]), self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(value_key)
                    text = pipe.get(value_key)
                    current = decode(text) if text is not None else None
                    changed = change(current)
                    if changed is None:
                        return current
                    keys, args = self._put_arguments(kind, key, encode(changed))
                    pipe.multi()
                    # EVAL, not the registered script: a pipeline would first ask Redis
                    # whether the script is loaded, one more round trip.
                    pipe.eval(_PUT, len(keys), *keys, *args)
                    pipe.execute()
                    return changed
                except redis.WatchError:
                    continue

    def delete(self, kind: str, key: str) -> bool:
        value_key = self._value_key(kind, key)
        with self._writing([value_key]):
            deleted = self._delete(keys=[value_key, self._index(kind)], args=[key])
        return bool(deleted)

    def values(self, kind: str) -> list[Value]:
        with self._reaching():
            texts = self._values(keys=[self._index(kind)], args=[self._value_key(kind, "")])
        return [decode(text) for text in texts if text is not None]

    def put_blob(self, key: str, data: bytes) -> None:
        with self._reaching():
            self._redis.hset(self._blobs, key, data)

    def get_blob(self, key: str) -> bytes | None:
        with self._reaching():
            data: Any = self._redis.hget(self._blobs, key)
        return bytes(data) if data is not None else None

    def append_journal(self, entry: str) -> None:
        self._journal_batches.add(self._resets_read, entry)

    def flush_journal(self) -> None:
        """Write this process's pending entries; kept for a later flush if Redis is away."""
        self._journal_batches.flush()

    def _write_journal(self, batch: list[tuple[str, str]]) -> None:
        with self._reaching():
            self._append(keys=[self._journal, self._seq, self._resets],
                         args=[JOURNAL_LIMIT, *(part for pair in batch for part in pair)])

    def journal(self, limit: int = 100) -> list[Value]:
        if limit <= 0:
            return []
        self.flush_journal()
        with self._reaching():
            items: list[bytes] = self._redis.lrange(self._journal, -limit, -1)  # type: ignore[assignment]
        entries = []
        for item in items:
            seq, text = item.split(b" ", 1)
            entries.append({**decode(text), "seq": int(seq)})
        return entries

    def clear(self) -> None:
        self._journal_batches.drop()
        with self._writing(None):
            resets = self._clear(keys=[self._kinds, self._blobs, self._journal, self._resets],
                                 args=[self.prefix])
        self._saw_resets(int(resets))
