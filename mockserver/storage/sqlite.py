"""A SQLite file, so that state survives a restart and is shared by several worker processes.

Each thread has its own connection; WAL lets readers run beside the one writer, and
`BEGIN IMMEDIATE` makes `update` a cross-process critical section.
"""

from __future__ import annotations

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


class SQLiteStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        with self._connection() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=30000")
            self._local.connection = connection
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def get(self, kind: str, key: str) -> Value | None:
        row = self._connection().execute(
            "SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, kind: str, key: str, value: Value) -> None:
        self._connection().execute(
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
        cursor = self._connection().execute(
            "DELETE FROM entries WHERE kind = ? AND key = ?", (kind, key)
        )
        return cursor.rowcount > 0

    def values(self, kind: str) -> list[Value]:
        rows = self._connection().execute(
            "SELECT value FROM entries WHERE kind = ? ORDER BY rowid", (kind,)
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def put_blob(self, key: str, data: bytes) -> None:
        self._connection().execute(
            "INSERT OR REPLACE INTO blobs (key, data) VALUES (?, ?)", (key, data)
        )

    def get_blob(self, key: str) -> bytes | None:
        row = self._connection().execute("SELECT data FROM blobs WHERE key = ?", (key,)).fetchone()
        return bytes(row[0]) if row else None

    def append_journal(self, entry: Value) -> int:
        with self._transaction() as connection:
            seq = connection.execute(
                "INSERT INTO journal (entry) VALUES (?)", (json.dumps(entry),)
            ).lastrowid
            if seq % 500 == 0:
                connection.execute("DELETE FROM journal WHERE seq <= ?", (seq - JOURNAL_LIMIT,))
        return int(seq)

    def journal(self, limit: int = 100) -> list[Value]:
        rows = self._connection().execute(
            "SELECT seq, entry FROM journal ORDER BY seq DESC LIMIT ?", (max(limit, 0),)
        ).fetchall()
        return [{**json.loads(entry), "seq": seq} for seq, entry in reversed(rows)]

    def clear(self) -> None:
        with self._transaction() as connection:
            connection.execute("DELETE FROM entries")
            connection.execute("DELETE FROM blobs")
            connection.execute("DELETE FROM journal")
