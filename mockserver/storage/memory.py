"""In-process storage for tests and interception: fast, and gone with the process.

Values are kept as JSON text, as in SQLite: every read hands out a fresh copy (a parse is far
cheaper than `copy.deepcopy`), and nothing that is not JSON can slip into the state.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from mockserver.storage.base import JOURNAL_LIMIT, Value, decode, encode

__all__ = ["MemoryStore"]


class MemoryStore:
    """One process's state in a dict, stored as JSON text so no caller shares a mutable value."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._values: dict[str, dict[str, str]] = {}
        self._blobs: dict[str, bytes] = {}
        self._journal: deque[tuple[int, str]] = deque(maxlen=JOURNAL_LIMIT)
        self._sequence = 0

    def get(self, kind: str, key: str) -> Value | None:
        text = self._values.get(kind, {}).get(key)
        return decode(text) if text is not None else None

    def get_many(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Value | None]:
        return {(kind, key): self.get(kind, key) for kind, key in keys}

    def put(self, kind: str, key: str, value: Value) -> None:
        text = encode(value)
        with self._lock:
            self._values.setdefault(kind, {})[key] = text

    def update(
        self, kind: str, key: str, change: Callable[[Value | None], Value | None]
    ) -> Value | None:
        with self._lock:
            current = self.get(kind, key)
            changed = change(current)
            if changed is None:
                return current
            self.put(kind, key, changed)
            return changed

    def delete(self, kind: str, key: str) -> bool:
        with self._lock:
            return self._values.get(kind, {}).pop(key, None) is not None

    def values(self, kind: str) -> list[Value]:
        with self._lock:
            texts = list(self._values.get(kind, {}).values())
        return [decode(text) for text in texts]

    def put_blob(self, key: str, data: bytes) -> None:
        with self._lock:
            self._blobs[key] = data

    def get_blob(self, key: str) -> bytes | None:
        return self._blobs.get(key)

    def append_journal(self, entry: str) -> None:
        with self._lock:
            self._sequence += 1
            self._journal.append((self._sequence, entry))

    def journal(self, limit: int = 100) -> list[Value]:
        with self._lock:
            newest = list(self._journal)[-limit:] if limit > 0 else []
        return [{**decode(text), "seq": seq} for seq, text in newest]

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._blobs.clear()
            self._journal.clear()
