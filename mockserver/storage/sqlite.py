"""A SQLite file, so that state survives a restart and is shared by several worker processes.

Each thread has its own connection; WAL lets readers run beside the one writer, and
every write is a cross-process critical section. Writers take turns on a thread lock and an
exclusive `flock` on a side file, so a waiting writer is woken the moment the lock is free;
SQLite's own busy handler instead sleeps in steps of up to 100 ms, which turns brief contention
between worker processes into long tail latencies and lost throughput.

Journal entries are written in batches, at most `_JOURNAL_FLUSH_SECONDS` after they happen, so
that recording a request does not cost every request a write of its own. A read of the journal
first writes what this process holds; another worker's newest entries may lag by that interval.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mockserver.storage.base import JOURNAL_LIMIT, Value

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL);
"""


_WRITE_DEADLINE = 30.0
_JOURNAL_FLUSH_SECONDS = 0.05
_JOURNAL_BATCH = 200


class SQLiteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._writer = threading.Lock()
        self._lock_file = open(path.with_name(path.name + ".lock"), "a+b")  # noqa: SIM115
        self._pending: list[str] = []
        self._pending_lock = threading.Lock()
        self._flusher: threading.Timer | None = None
        atexit.register(self.flush_journal)
        setup = sqlite3.connect(self.path, timeout=_WRITE_DEADLINE)
        setup.execute("PRAGMA journal_mode=WAL")
        setup.executescript(_SCHEMA)
        setup.close()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=_WRITE_DEADLINE, isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = connection
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        with self._writer:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            finally:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    def get(self, kind: str, key: str) -> Value | None:
        row = self._connection().execute(
            "SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Value | None]:
        found: dict[tuple[str, str], Value | None] = dict.fromkeys(keys)
        if not keys:
            return found
        where = " OR ".join("(kind = ? AND key = ?)" for _ in keys)
        rows = self._connection().execute(
            f"SELECT kind, key, value FROM entries WHERE {where}",
            [part for pair in keys for part in pair]).fetchall()
        for kind, key, value in rows:
            found[(kind, key)] = json.loads(value)
        return found

    def put(self, kind: str, key: str, value: Value) -> None:
        with self._transaction() as connection:
            connection.execute(
                "INSERT OR REPLACE INTO entries (kind, key, value) VALUES (?, ?, ?)",
                (kind, key, json.dumps(value)),
            )

    def update(
        self, kind: str, key: str, change: Callable[[Value | None], Value | None]
    ) -> Value | None:
        with self._transaction() as connection:
            row = connection.execute(
                "SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, key)
            ).fetchone()
            current = json.loads(row[0]) if row else None
            changed = change(current)
            if changed is None:
                return current
            connection.execute(
                "INSERT OR REPLACE INTO entries (kind, key, value) VALUES (?, ?, ?)",
                (kind, key, json.dumps(changed)),
            )
            return changed

    def delete(self, kind: str, key: str) -> bool:
        with self._transaction() as connection:
            cursor = connection.execute(
                "DELETE FROM entries WHERE kind = ? AND key = ?", (kind, key)
            )
            return cursor.rowcount > 0

    def values(self, kind: str) -> list[Value]:
        rows = self._connection().execute(
            "SELECT value FROM entries WHERE kind = ? ORDER BY rowid", (kind,)
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def put_blob(self, key: str, data: bytes) -> None:
        with self._transaction() as connection:
            connection.execute("INSERT OR REPLACE INTO blobs (key, data) VALUES (?, ?)",
                               (key, data))

    def get_blob(self, key: str) -> bytes | None:
        row = self._connection().execute("SELECT data FROM blobs WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row else None

    def append_journal(self, entry: Value) -> None:
        with self._pending_lock:
            self._pending.append(json.dumps(entry))
            full = len(self._pending) >= _JOURNAL_BATCH
            if not full and self._flusher is None:
                self._flusher = threading.Timer(_JOURNAL_FLUSH_SECONDS, self.flush_journal)
                self._flusher.daemon = True
                self._flusher.start()
        if full:
            self.flush_journal()

    def flush_journal(self) -> None:
        with self._pending_lock:
            batch, self._pending = self._pending, []
            self._flusher = None
        if not batch:
            return
        with self._transaction() as connection:
            connection.executemany("INSERT INTO journal (entry) VALUES (?)",
                                   [(entry,) for entry in batch])
            newest = connection.execute("SELECT max(seq) FROM journal").fetchone()[0]
            connection.execute("DELETE FROM journal WHERE seq <= ?", (newest - JOURNAL_LIMIT,))

    def journal(self, limit: int = 100) -> list[Value]:
        self.flush_journal()
        rows = self._connection().execute(
            "SELECT seq, entry FROM journal ORDER BY seq DESC LIMIT ?", (max(limit, 0),)
        ).fetchall()
        return [{**json.loads(entry), "seq": seq} for seq, entry in reversed(rows)]

    def clear(self) -> None:
        with self._pending_lock:
            self._pending = []
        with self._transaction() as connection:
            connection.execute("DELETE FROM entries")
            connection.execute("DELETE FROM blobs")
            connection.execute("DELETE FROM journal")

