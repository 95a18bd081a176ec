"""The journal batcher both shared stores use: order kept, nothing lost to a failed write."""

from __future__ import annotations

import threading

import pytest

from mockserver.storage.base import StoreUnavailable
from mockserver.storage.batching import JournalBatcher


def test_entries_are_written_in_order_by_the_background_thread():
    written: list[tuple[int, str]] = []
    done = threading.Event()

    def write(batch: list[tuple[int, str]]) -> None:
        written.extend(batch)
        if len(written) == 3:
            done.set()

    batcher = JournalBatcher(write, flush_seconds=0.01)
    for index in range(3):
        batcher.add(0, f"e{index}")
    assert done.wait(5)
    assert written == [(0, "e0"), (0, "e1"), (0, "e2")]


def test_a_full_batch_is_written_at_once_by_the_flusher_not_by_the_request():
    written: list[tuple[str, list[str]]] = []
    done = threading.Event()

    def write(batch: list[tuple[int, str]]) -> None:
        written.append((threading.current_thread().name, [entry for _, entry in batch]))
        done.set()

    batcher = JournalBatcher(write, flush_seconds=60, batch_size=3)
    for index in range(3):
        batcher.add(0, f"e{index}")
    assert done.wait(5), "a full batch waits for no interval"
    assert written == [("journal-flush", ["e0", "e1", "e2"])]


def test_a_backlog_the_flusher_cannot_keep_up_with_is_written_by_the_request():
    """A flusher stuck behind a slow write: the request that reaches the backlog waits until
    it is written (by itself, or the flusher if that gets there first), so what a process holds
    stays bounded."""
    release, writing = threading.Event(), threading.Event()
    written: list[str] = []

    def write(batch: list[tuple[int, str]]) -> None:
        if not writing.is_set():
            writing.set()
            release.wait(5)
        written.extend(entry for _, entry in batch)

    batcher = JournalBatcher(write, flush_seconds=60, batch_size=2, backlog=4)
    batcher.add(0, "a")
    batcher.add(0, "b")
    assert writing.wait(5)  # the flusher holds "a" and "b" in a slow write
    for entry in "cde":
        batcher.add(0, entry)
    assert written == []
    threading.Timer(0.2, release.set).start()
    batcher.add(0, "f")  # the fourth held: this request waits for the slow write, then writes
    assert written == ["a", "b", "c", "d", "e", "f"]


class Store:
    """A store that refuses every write while `away`."""

    def __init__(self) -> None:
        self.away = True
        self.written: list[str] = []

    def write(self, batch: list[tuple[int, str]]) -> None:
        if self.away:
            raise StoreUnavailable("away")
        self.written.extend(entry for _, entry in batch)


def test_a_batch_the_store_refused_is_kept_for_the_next_flush_before_newer_entries():
    store = Store()
    batcher = JournalBatcher(store.write, flush_seconds=60)
    batcher.add(0, "old")
    with pytest.raises(StoreUnavailable):
        batcher.flush()
    batcher.add(0, "new")
    store.away = False
    batcher.flush()
    assert store.written == ["old", "new"]


def test_dropped_entries_are_never_written():
    written: list[str] = []
    batcher = JournalBatcher(lambda batch: written.extend(e for _, e in batch), flush_seconds=60)
    batcher.add(0, "before the reset")
    batcher.drop()
    batcher.flush()
    assert written == []


def test_a_request_that_fills_a_batch_the_store_refuses_is_not_failed_for_it():
    """The request's own writes are done when its entry is added: a journal that cannot be
    written now is kept for the flusher, not raised into the request's answer."""
    store = Store()
    batcher = JournalBatcher(store.write, flush_seconds=60, batch_size=2)
    batcher.add(0, "a")
    batcher.add(0, "b")  # fills the batch: the write fails, quietly
    store.away = False
    batcher.flush()
    assert store.written == ["a", "b"]
