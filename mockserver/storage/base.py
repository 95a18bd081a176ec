"""The storage interface every part of the mock goes through.

Values are JSON-compatible dicts; the callers turn them into their pydantic models. `update` is
the one read-modify-write primitive, atomic across threads and, for SQLite, across processes
(for Redis, across hosts), so that two polls of the same run can never both see the state before
the other's change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from pydantic_core import from_json, to_json

__all__ = ["JOURNAL_LIMIT", "Store", "decode", "encode"]

Value = dict[str, Any]
JOURNAL_LIMIT = 5000


class StoreUnavailable(Exception):
    """The store cannot be reached (a Redis server down or cut off). Raised instead of the
    client library's own errors so that the server can answer the vendor's 503, and the caller
    can retry once the store is back."""


def encode(value: Any) -> str:
    """A value's JSON text. pydantic-core's encoder and parser are several times faster than
    the `json` module's, and every poll decodes its run and token."""
    return to_json(value).decode()


def decode(text: str | bytes) -> Any:
    """A value from its stored JSON text."""
    return from_json(text)


class Store(Protocol):
    """The storage interface: JSON values by (kind, key), blobs, and a capped journal."""

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

    def append_journal(self, entry: str) -> None:
        """Record a request, given as a JSON object's text (it is stored as it is, so the hot
        path encodes it once). Only the newest entries are kept."""
        ...

    def journal(self, limit: int = 100) -> list[Value]:
        """The newest `limit` entries, oldest first, each with its sequence number as `seq`."""
        ...

    def clear(self) -> None: ...
