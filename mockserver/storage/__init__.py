"""Where the mock keeps its state: one small interface, two implementations."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from mockserver.storage.base import Store
from mockserver.storage.memory import MemoryStore
from mockserver.storage.sqlite import SQLiteStore

__all__ = ["MemoryStore", "SQLiteStore", "Store", "open_store"]


def open_store(where: Literal["memory"] | Path) -> Store:
    return MemoryStore() if where == "memory" else SQLiteStore(Path(where))
