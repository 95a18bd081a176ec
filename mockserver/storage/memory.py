"""In-process storage for tests and interception: fast, and gone with the process."""

from __future__ import annotations

import copy
import threading
from collections import deque
from collections.abc import Callable

from mockserver.storage.base import JOURNAL_LIMIT, Value


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._values: dict[str, dict[str, Value]] = {}
        self._blobs: dict[str, bytes] = {}
        self._journal: deque[Value] = deque(maxlen=JOURNAL_LIMIT)
        self._sequence = 0

    def get(self, kind: str, key: str) -> Value | None:
        with self._lock:
            value = self._values.get(kind, {}).get(key)
            return copy.deepcopy(value) if value is not None else None

    def put(self, kind: str, key: str, value: Value) -> None:
        with self._lock:
            self._values.setdefault(kind, {})[key] = copy.deepcopy(value)

    def update(
        self, kind: str, key: str, change: Callable[[Value | None], Value | None]
    ) -> Value | None:
        with self._lock:
            current = self.get(kind, key)
            changed = change(current)
            if changed is None:
                return current
            self.put(kind, key, changed)
            return copy.deepcopy(changed)

    def delete(self, kind: str, key: str) -> bool:
        with self._lock:
            return self._values.get(kind, {}).pop(key, None) is not None

    def values(self, kind: str) -> list[Value]:
        with self._lock:
            return copy.deepcopy(list(self._values.get(kind, {}).values()))

    def put_blob(self, key: str, data: bytes) -> None:
        with self._lock:
            self._blobs[key] = data

    def get_blob(self, key: str) -> bytes | None:
        with self._lock:
            return self._blobs.get(key)

    def append_journal(self, entry: Value) -> int:
        with self._lock:
            self._sequence += 1
            self._journal.append({**entry, "seq": self._sequence})
            return self._sequence

    def journal(self, limit: int = 100) -> list[Value]:
        with self._lock:
            return copy.deepcopy(list(self._journal)[-limit:]) if limit > 0 else []

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._blobs.clear()
            self._journal.clear()
