"""Where the mock keeps its state: one small interface, three implementations.

Rule: imports nothing of `mockserver` outside this folder; values are plain JSON-able dicts.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from mockserver.storage import keys
from mockserver.storage.base import JOURNAL_LIMIT, Store, StoreUnavailable, Value
from mockserver.storage.memory import MemoryStore
from mockserver.storage.redis import RedisStore
from mockserver.storage.sqlite import SQLiteStore

__all__ = [
    "JOURNAL_LIMIT",
    "MemoryStore",
    "RedisStore",
    "SQLiteStore",
    "Store",
    "StoreUnavailable",
    "Value",
    "is_redis_url",
    "keys",
    "open_store",
    "shown",
]


def is_redis_url(where: str | Path) -> bool:
    """Whether a configured store is a Redis URL rather than `memory` or a file."""
    return isinstance(where, str) and where.startswith(("redis://", "rediss://"))


def shown(where: str | Path) -> str:
    """Where the state is, fit for a log: a Redis URL's password is left out."""
    if not is_redis_url(where):
        return str(where)
    parts = urlsplit(str(where))
    if parts.password is None:
        return str(where)
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


def open_store(where: str | Path) -> Store:
    """'memory', a Redis URL (`redis://HOST:PORT/DB`, `rediss://...`, `?prefix=NAME`) or the
    path of a SQLite file."""
    if where == "memory":
        return MemoryStore()
    if is_redis_url(where):
        return RedisStore.from_url(str(where))
    return SQLiteStore(Path(where))
