"""The storage interface every part of the mock goes through.

Values are JSON-compatible dicts; the callers turn them into their pydantic models. `update` is
the one read-modify-write primitive, atomic across threads and, for SQLite, across processes,
so that two polls of the same run can never both see the state before the other's change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Value = dict[str, Any]
JOURNAL_LIMIT = 5000


class Store(Protocol):
    def get(self, kind: str, key: str) -> Value | None: ...

    def get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Value | None]:
        """Several values in one read: (kind, key) -> value or None."""
        ...

    def put(self, kind: str, key: str, value: Value) -> None: ...

    def update(
        self, kind: str, key: str, change: Callable[[Value | None], Value | None]
    ) -> Value | None:
        """Apply `change` to the stored value atomically; returning None leaves it unchanged."""
        ...

    def delete(self, kind: str, key: str) -> bool: ...

    def values(self, kind: str) -> list[Value]:
        """Every value of a kind, oldest first."""
        ...

    def put_blob(self, key: str, data: bytes) -> None: ...

    def get_blob(self, key: str) -> bytes | None: ...

    def append_journal(self, entry: Value) -> None:
        """Record a request. Only the newest entries are kept."""
        ...

    def journal(self, limit: int = 100) -> list[Value]:
        """The newest `limit` entries, oldest first."""
        ...

    def clear(self) -> None: ...
