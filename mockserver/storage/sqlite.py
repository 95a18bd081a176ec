"""A SQLite file, so that state survives a restart and is shared by several worker processes.

Each thread has its own connection; WAL lets readers run beside the one writer, and
every write is a cross-process critical section. Writers take turns on a thread lock and an
exclusive `flock` on a side file, so a waiting writer is woken the moment the lock is free;
SQLite's own busy handler instead sleeps in steps of up to 100 ms, which turns brief contention
between worker processes into long tail latencies and lost throughput.

Point reads (`get`, `get_many`) are served from a per-process cache of the stored text, valid for
as long as a write counter shared by every process (eight bytes of the lock file, mapped into
memory) stays where it was: any write to the values, in any worker, moves it and so empties
every cache. A poll loop thus reads its run, token and control state without touching SQLite.

Journal entries are written in batches by one background thread per process, at most
`_JOURNAL_FLUSH_SECONDS` after they happen, so that recording a request does not cost every
request a write of its own. A batch is one row (a JSON array of its entries), not a row per
entry: each row is a statement during which SQLite lets go of the GIL and the flusher then waits
for it again, and under load that hand-off, once per entry, cost the request threads a sixth of
their throughput. The row is compressed (zlib, fastest level: about 1 µs an entry): entries that
keep each request's detail repeat themselves, a poll loop's batch shrinks some forty times, and
the bytes SQLite no longer writes, logs and checkpoints were a tenth of a detailed poll's cost.
A read of the journal first writes what this process holds; another worker's newest entries may
lag by that interval. Each entry is tagged with the reset count (eight more bytes of the lock
file) when it is recorded, so an entry still pending in one worker when another resets the mock
is dropped rather than written after the reset.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import sqlite3
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mockserver.storage.base import JOURNAL_LIMIT, Value, decode, encode
from mockserver.storage.batching import JournalBatcher

__all__ = ["SQLiteStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS journal_batches (last INTEGER PRIMARY KEY, entries BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO counters VALUES ('journal', 0);
"""
# `journal_batches`: `last` is the sequence number of the batch's newest entry, `entries` a JSON
# array of the batch, oldest first, compressed (rows converted from a file of an earlier version
# are plain text). `counters.journal` counts every entry ever written, across
# resets, so that sequence numbers never repeat.

_FROM_ONE_ROW_PER_ENTRY = """
BEGIN IMMEDIATE;
INSERT INTO journal_batches (last, entries)
    SELECT * FROM (SELECT max(seq) AS last, '[' || group_concat(entry, ',') || ']'
                   FROM (SELECT seq, entry FROM journal ORDER BY seq))
    WHERE last IS NOT NULL;
UPDATE counters SET value = (SELECT coalesce(max(last), 0) FROM journal_batches)
    WHERE name = 'journal';
DROP TABLE journal;
COMMIT;
"""


_WRITE_DEADLINE = 30.0
_JOURNAL_FLUSH_SECONDS = 0.05
_JOURNAL_BATCH = 200
_CACHE_LIMIT = 10_000
_COUNTERS = struct.Struct("<QQ")  # writes to the values, resets

Key = tuple[str, str]


class SQLiteStore:
    """State in one SQLite file, shared by every worker process of a server."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._writer = threading.Lock()
        self._lock_fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        with self._locked():
            if os.fstat(self._lock_fd).st_size < _COUNTERS.size:
                os.ftruncate(self._lock_fd, _COUNTERS.size)
        self._counters = mmap.mmap(self._lock_fd, _COUNTERS.size)
        self._cache: dict[Key, str | None] = {}
        self._cache_generation = -1
        self._cache_lock = threading.Lock()
        self._journal_batches = JournalBatcher[int](self._write_journal,  # tagged: resets then
                                                    flush_seconds=_JOURNAL_FLUSH_SECONDS,
                                                    batch_size=_JOURNAL_BATCH)
        setup = sqlite3.connect(self.path, timeout=_WRITE_DEADLINE)
        with self._locked():
            # Under the lock too: workers opening a new file at once, one switching it to WAL
            # while another already reads or writes, were refused "database is locked" at once
            # (SQLite's busy timeout does not wait on it), and the worker died at start.
            setup.execute("PRAGMA journal_mode=WAL")
            setup.executescript(_SCHEMA)
            if setup.execute("SELECT 1 FROM sqlite_master WHERE name = 'journal'").fetchone():
                setup.executescript(_FROM_ONE_ROW_PER_ENTRY)  # a file of an earlier version
        setup.close()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=_WRITE_DEADLINE, isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
        return connection

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._writer:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextmanager
    def _transaction(self, *, changes_values: bool = True, resets: bool = False,
                     writes: dict[Key, str | None] | None = None, one_statement: bool = False
                     ) -> Iterator[sqlite3.Connection]:
        """`writes`: filled by the caller with every value it changes (None: deleted), so this
        process's cache stays current through its own write (see `_keep_own_writes`).
        `one_statement`: the caller executes a single statement, which SQLite makes its own
        transaction, so no BEGIN and COMMIT are sent (two of a create's three executes)."""
        connection = self._connection()
        with self._locked():
            if one_statement:
                yield connection
            else:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            if changes_values:
                # After the commit: a reader that sees the new count also sees the new rows.
                before, resets_before = _COUNTERS.unpack_from(self._counters)
                _COUNTERS.pack_into(self._counters, 0, before + 1, resets_before + resets)
                if writes is not None and not resets:
                    self._keep_own_writes(before, writes)

    def _keep_own_writes(self, before: int, writes: dict[Key, str | None]) -> None:
        """Called under the write lock: if this process's cache was current up to the count
        its own write found (no other write came between), it is current after it too, with
        the written values. A create then leaves the clock, faults and token cached."""
        with self._cache_lock:
            if self._cache_generation == before:
                self._cache.update(writes)
                self._cache_generation = before + 1

    def _generation(self) -> int:
        return _COUNTERS.unpack_from(self._counters)[0]

    def _resets(self) -> int:
        return _COUNTERS.unpack_from(self._counters)[1]

    def get(self, kind: str, key: str) -> Value | None:
        text = self._texts([(kind, key)])[(kind, key)]
        return decode(text) if text is not None else None

    def get_many(self, keys: list[Key]) -> dict[Key, Value | None]:
        return {key: decode(text) if text is not None else None
                for key, text in self._texts(keys).items()}

    def _texts(self, keys: list[Key]) -> dict[Key, str | None]:
        """The stored text of each key (None: absent), from the cache where it is current."""
        generation = self._generation()
        with self._cache_lock:
            if generation != self._cache_generation:
                self._cache.clear()
                self._cache_generation = generation
            found = {key: self._cache[key] for key in keys if key in self._cache}
        missing = [key for key in keys if key not in found]
        if not missing:
            return found
        where = " OR ".join("(kind = ? AND key = ?)" for _ in missing)
        rows = self._connection().execute(
            f"SELECT kind, key, value FROM entries WHERE {where}",
            [part for pair in missing for part in pair]).fetchall()
        read: dict[Key, str | None] = dict.fromkeys(missing)
        read.update(((kind, key), value) for kind, key, value in rows)
        with self._cache_lock:
            # Only if no write has emptied the cache since the count was read: what was just
            # read may be older than that write.
            if self._cache_generation == generation:
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache.update(read)
        return found | read

    def put(self, kind: str, key: str, value: Value) -> None:
        text = encode(value)
        with self._transaction(writes={(kind, key): text}, one_statement=True) as connection:
            connection.execute(
                "INSERT OR REPLACE INTO entries (kind, key, value) VALUES (?, ?, ?)",
                (kind, key, text),
            )

    def update(
        self, kind: str, key: str, change: Callable[[Value | None], Value | None]
    ) -> Value | None:
        writes: dict[Key, str | None] = {}
        with self._transaction(writes=writes) as connection:
            row = connection.execute(
                "SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
            current = decode(row[0]) if row else None
            changed = change(current)
            if changed is None:
                return current
            text = encode(changed)
            connection.execute(
                "INSERT OR REPLACE INTO entries (kind, key, value) VALUES (?, ?, ?)",
                (kind, key, text),
            )
            writes[(kind, key)] = text
            return changed

    def delete(self, kind: str, key: str) -> bool:
        with self._transaction(writes={(kind, key): None}, one_statement=True) as connection:
            cursor = connection.execute(
                "DELETE FROM entries WHERE kind = ? AND key = ?", (kind, key)
            )
            return cursor.rowcount > 0

    def values(self, kind: str) -> list[Value]:
        rows = self._connection().execute(
            "SELECT value FROM entries WHERE kind = ? ORDER BY rowid", (kind,)
        ).fetchall()
        return [decode(row[0]) for row in rows]

    def put_blob(self, key: str, data: bytes) -> None:
        with self._transaction(one_statement=True) as connection:
            connection.execute("INSERT OR REPLACE INTO blobs (key, data) VALUES (?, ?)",
                               (key, data))

    def get_blob(self, key: str) -> bytes | None:
        row = self._connection().execute("SELECT data FROM blobs WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row else None

    def append_journal(self, entry: str) -> None:
        self._journal_batches.add(self._resets(), entry)

    def flush_journal(self) -> None:
        self._journal_batches.flush()

    def _write_journal(self, batch: list[tuple[int, str]]) -> None:
        with self._transaction(changes_values=False) as connection:
            resets = self._resets()  # under the write lock, which a reset takes too
            entries = [entry for recorded, entry in batch if recorded == resets]
            if not entries:
                return
            connection.execute("UPDATE counters SET value = value + ? WHERE name = 'journal'",
                               (len(entries),))
            last = connection.execute(
                "SELECT value FROM counters WHERE name = 'journal'").fetchone()[0]
            packed = zlib.compress(f"[{','.join(entries)}]".encode(), 1)
            connection.execute("INSERT INTO journal_batches (last, entries) VALUES (?, ?)",
                               (last, packed))
            connection.execute("DELETE FROM journal_batches WHERE last <= ?",
                               (last - JOURNAL_LIMIT,))

    def journal(self, limit: int = 100) -> list[Value]:
        self.flush_journal()
        limit = min(max(limit, 0), JOURNAL_LIMIT)
        rows = self._connection().execute(  # the batches holding the newest `limit` entries
            "SELECT last, entries FROM journal_batches"
            " WHERE last > (SELECT max(last) FROM journal_batches) - ? ORDER BY last",
            (limit,)).fetchall()
        found: list[Value] = []
        for last, entries in rows:
            batch = decode(zlib.decompress(entries) if isinstance(entries, bytes) else entries)
            first = last - len(batch) + 1
            found.extend({**entry, "seq": first + index} for index, entry in enumerate(batch))
        return found[len(found) - limit:] if limit else []

    def clear(self) -> None:
        self._journal_batches.drop()
        with self._transaction(resets=True) as connection:
            connection.execute("DELETE FROM entries")
            connection.execute("DELETE FROM blobs")
            connection.execute("DELETE FROM journal_batches")

