"""Where the mock keeps its state: one small interface, two implementations.

Rule: imports nothing of `mockserver` outside this folder; values are plain JSON-able dicts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from mockserver.storage import keys
from mockserver.storage.base import JOURNAL_LIMIT, Store, Value
from mockserver.storage.memory import MemoryStore
from mockserver.storage.sqlite import SQLiteStore

__all__ = ["JOURNAL_LIMIT", "MemoryStore", "SQLiteStore", "Store", "Value", "keys", "open_store"]


def open_store(where: Literal["memory"] | Path) -> Store:
    """The store a configuration names: in memory, or an SQLite file shared by processes."""
    return MemoryStore() if where == "memory" else SQLiteStore(Path(where))
