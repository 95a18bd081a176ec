"""Journal entries held in a process and written in batches, for the stores that several
processes share.

A request hands its entry over and goes on; one background thread per process writes what has
gathered at most `flush_seconds` later, or at once when `batch_size` entries are waiting. A
request writes the batch itself only when the flusher has fallen `backlog` entries behind (a
slow store): otherwise the one request in every few hundred that filled a batch would pay for
its write, and that write was the poll's slowest percentile. Each entry carries the tag its
store gives it (the reset count the request saw), so that the store can drop entries from
before a reset made elsewhere. A batch the store could not write is kept, in order and within
the journal's cap, for the next flush; what is still held when the process exits is written
then.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Generic, TypeVar

from mockserver.storage.base import JOURNAL_LIMIT

__all__ = ["JournalBatcher"]

Tag = TypeVar("Tag")


class JournalBatcher(Generic[Tag]):
    """Entries waiting for `write`, which receives them oldest first as (tag, entry) pairs."""

    def __init__(self, write: Callable[[list[tuple[Tag, str]]], None], *,
                 flush_seconds: float = 0.05, batch_size: int = 200,
                 backlog: int = 2000) -> None:
        self._write = write
        self._flush_seconds = flush_seconds
        self._batch_size = batch_size
        self._backlog = backlog
        self._pending: list[tuple[Tag, str]] = []
        self._lock = threading.Lock()
        self._waiting = threading.Event()
        self._full = threading.Event()
        self._flushing = threading.Lock()  # one batch at a time, so entries keep their order
        self._flusher = threading.Thread()
        atexit.register(self._flush_at_exit)

    def add(self, tag: Tag, entry: str) -> None:
        with self._lock:
            self._pending.append((tag, entry))
            waiting = len(self._pending)
            started = not self._flusher.is_alive()  # not yet, or left behind by a fork
            if started:
                self._flusher = threading.Thread(target=self._flush_soon, name="journal-flush",
                                                 daemon=True)
                self._flusher.start()
        if waiting == 1 or started:  # the flusher takes every entry that comes meanwhile
            self._waiting.set()
        if waiting >= self._backlog:
            with suppress(Exception):  # kept for the flusher: the request itself succeeded
                self.flush()
        elif waiting >= self._batch_size:
            self._full.set()

    def flush(self) -> None:
        """Write what is held now; if the store fails, keep it for the next flush and raise."""
        with self._flushing:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                self._write(batch)
            except BaseException:
                with self._lock:  # older first; never more than the journal keeps
                    self._pending = (batch + self._pending)[-JOURNAL_LIMIT:]
                raise

    def drop(self) -> None:
        """Forget what is held (the store is being reset)."""
        with self._lock:
            self._pending = []

    def _flush_soon(self) -> None:
        while True:
            self._waiting.wait()
            self._full.wait(self._flush_seconds)  # real time, even under virtual sleep
            self._waiting.clear()
            self._full.clear()
            try:
                self.flush()
            except Exception:  # kept: tried again an interval later, however full
                self._waiting.set()
                threading.Event().wait(self._flush_seconds)

    def _flush_at_exit(self) -> None:
        with suppress(Exception):  # the store gone too: nothing left to write them to
            self.flush()
