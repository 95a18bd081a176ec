"""Every store keeps the same promises: atomic updates, isolation of kinds, a bounded journal.

The contract tests run for memory, SQLite and Redis alike; those about several processes, for
the two stores that several processes share.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from mockserver.storage import SQLiteStore, Store, open_store
from mockserver.storage.base import JOURNAL_LIMIT
from tests.redis_server import redis_server_fixture  # noqa: F401


def _where(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """What `open_store` is given for a backend; Redis only started when a test needs it."""
    if backend == "redis":
        return str(request.getfixturevalue("redis_server").unique_url())
    return str(tmp_path / "s.sqlite3") if backend == "sqlite" else "memory"


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    return open_store(_where(request.param, request, tmp_path))


@pytest.fixture(params=["sqlite", "redis"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store lives that several processes open."""
    return _where(request.param, request, tmp_path)


def test_values_round_trip_and_are_copies(store):
    store.put("run", "a", {"n": 1, "nested": {"x": [1, 2]}})
    got = store.get("run", "a")
    got["nested"]["x"].append(3)
    assert store.get("run", "a") == {"n": 1, "nested": {"x": [1, 2]}}
    assert store.get("token", "a") is None
    assert store.values("run") == [{"n": 1, "nested": {"x": [1, 2]}}]
    assert store.delete("run", "a") and not store.delete("run", "a")


def test_update_can_decline_a_change(store):
    store.put("run", "a", {"n": 1})
    assert store.update("run", "a", lambda current: None) == {"n": 1}
    assert store.update("run", "missing", lambda current: None) is None


def increment(store: Store, times: int) -> None:
    for _ in range(times):
        store.update("counter", "c", lambda current: {"n": (current or {"n": 0})["n"] + 1})


def test_update_is_atomic_across_threads(store):
    threads = [threading.Thread(target=increment, args=(store, 100)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("counter", "c") == {"n": 800}


def _increment_in_process(where: str, times: int) -> None:
    increment(open_store(where), times)


def test_update_is_atomic_across_processes(shared):
    open_store(shared)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_increment_in_process, args=(shared, 50))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert open_store(shared).get("counter", "c") == {"n": 200}


def _open_and_write_at_once(path: Path, everyone_ready: threading.Barrier) -> None:
    everyone_ready.wait()
    store = SQLiteStore(path)
    for n in range(20):
        store.get("counter", str(n))
        store.put("counter", str(n), {"n": n})


def test_sqlite_files_opened_by_several_workers_at_once_all_open(tmp_path):
    """Like a server's workers, forked together, each opening the new file and writing at once
    (a worker refused with "database is locked" ended the server, as CI once saw)."""
    context = multiprocessing.get_context("fork")
    exit_codes = []
    for attempt in range(80):
        ready = context.Barrier(6)
        workers = [context.Process(target=_open_and_write_at_once,
                                   args=(tmp_path / f"state-{attempt}.sqlite3", ready))
                   for _ in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        exit_codes += [worker.exitcode for worker in workers]
    assert exit_codes == [0] * 480


def test_sqlite_state_survives_reopening(tmp_path):
    path = tmp_path / "state.sqlite3"
    first = SQLiteStore(path)
    first.put("run", "r1", {"state": "running"})
    first.put_blob("file", b"\x00bytes")
    first.append_journal('{"path": "/x"}')
    first.flush_journal()
    second = SQLiteStore(path)
    assert second.get("run", "r1") == {"state": "running"}
    assert second.get_blob("file") == b"\x00bytes"
    assert second.journal(10)[0]["path"] == "/x"


def test_journal_keeps_the_newest_entries_in_order(store):
    for index in range(JOURNAL_LIMIT + 600):
        store.append_journal(f'{{"i": {index}}}')
    newest = store.journal(3)
    assert [entry["i"] for entry in newest] == [JOURNAL_LIMIT + 597, JOURNAL_LIMIT + 598,
                                               JOURNAL_LIMIT + 599]
    assert newest[0]["seq"] < newest[1]["seq"] < newest[2]["seq"]
    assert len(store.journal(10 * JOURNAL_LIMIT)) <= JOURNAL_LIMIT + 500
    store.clear()
    assert store.journal(10) == [] and store.values("run") == []


def test_journal_numbers_never_repeat_across_a_reset(store):
    store.append_journal('{"path": "/a"}')
    store.append_journal('{"path": "/b"}')
    before = [entry["seq"] for entry in store.journal()]
    store.clear()
    store.append_journal('{"path": "/c"}')
    after = store.journal()
    assert [entry["path"] for entry in after] == ["/c"] and after[0]["seq"] > max(before)


def test_a_reset_drops_entries_another_process_still_holds_from_before_it(shared):
    """Each process writes its journal in batches: an entry of a request served before a reset
    made through another process must not land in the journal after that reset."""
    worker, resetter = open_store(shared), open_store(shared)
    worker.get_many([("control", "clock")])  # what every request reads first
    worker.append_journal('{"path": "/before"}')
    resetter.clear()
    worker.flush_journal()
    assert resetter.journal() == []
    worker.get_many([("control", "clock")])
    worker.append_journal('{"path": "/after"}')
    assert [entry["path"] for entry in worker.journal()] == ["/after"]
    assert [entry["path"] for entry in resetter.journal()] == ["/after"]


def test_sqlite_keeps_the_journal_of_a_file_from_an_earlier_version(tmp_path):
    """Earlier versions kept a row per journal entry; opening such a file keeps its entries
    and their numbers, and numbers the next ones after them."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                    "entry TEXT NOT NULL)")
        old.executemany("INSERT INTO journal (seq, entry) VALUES (?, ?)",
                        [(7, '{"path": "/a"}'), (8, '{"path": "/b"}')])
    store = SQLiteStore(path)
    store.append_journal('{"path": "/c"}')
    assert [(entry["seq"], entry["path"]) for entry in store.journal()] == [
        (7, "/a"), (8, "/b"), (9, "/c")]
    assert [entry["path"] for entry in SQLiteStore(path).journal()] == ["/a", "/b", "/c"]


def test_get_many_reads_several_values_at_once(store):
    store.put("control", "clock", {"offset": 1.0})
    store.put("token", "t1", {"identity": "a"})
    found = store.get_many([("control", "clock"), ("token", "t1"), ("token", "nope")])
    assert found == {("control", "clock"): {"offset": 1.0}, ("token", "t1"): {"identity": "a"},
                     ("token", "nope"): None}
    assert store.get_many([]) == {}


def _write_in_process(where: str, key: str, value: dict | None) -> None:
    store = open_store(where)
    store.put("run", key, value) if value is not None else store.delete("run", key)


def test_reads_see_every_other_process_write(shared):
    """SQLite caches reads per process; a write anywhere must still be seen by the next read."""
    reader = open_store(shared)
    reader.put("run", "a", {"state": "running"})
    context = multiprocessing.get_context("spawn")
    for key, value in (("a", {"state": "completed"}), ("b", {"state": "failed"}), ("a", None)):
        before = reader.get_many([("run", "a"), ("run", "b")])  # cached, absent values too
        worker = context.Process(target=_write_in_process, args=(shared, key, value))
        worker.start()
        worker.join(60)
        assert worker.exitcode == 0
        assert reader.get("run", key) == value
        assert reader.get_many([("run", "a"), ("run", "b")]) == {**before, ("run", key): value}


def test_journal_reaches_other_processes_without_being_read_here(shared):
    """The writer's own background thread stores its entries; nothing there reads the journal."""
    open_store(shared).append_journal('{"path": "/x"}')
    other = open_store(shared)  # another process's view: its own pending entries, none here
    for _ in range(100):
        if other.journal(10):
            break
        time.sleep(0.05)
    assert [entry["path"] for entry in other.journal(10)] == ["/x"]


def test_pending_journal_entries_are_seen_by_the_next_read(store):
    for index in range(3):
        store.append_journal(f'{{"i": {index}}}')
    assert [entry["i"] for entry in store.journal(10)] == [0, 1, 2]  # before any flush interval


def test_journal_entries_keep_their_text_whatever_it_holds(store):
    """Entries of every shape come back as written: line breaks between tokens, escaped ones
    inside strings, spaces, digits and non-ASCII at the start of a value (a batch is one text
    of lines on Redis)."""
    written = ['{"a":\n1,\r\n "b": "x\\ny"}', '{"path": " 12 /v1/é"}', '{"n": 2}\n']
    for entry in written:
        store.append_journal(entry)
    got = [{name: value for name, value in entry.items() if name != "seq"}
           for entry in store.journal(10)]
    assert got == [{"a": 1, "b": "x\ny"}, {"path": " 12 /v1/é"}, {"n": 2}]


def test_the_journal_cap_holds_when_many_threads_append_in_batches(store):
    def append(thread: int) -> None:
        for index in range(800):
            store.append_journal(f'{{"thread": {thread}, "i": {index}}}')

    threads = [threading.Thread(target=append, args=(thread,)) for thread in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = store.journal(10 * JOURNAL_LIMIT)
    assert [entry["seq"] for entry in kept] == list(range(6400 - JOURNAL_LIMIT + 1, 6401))
    for thread in range(8):  # each thread's entries stay in the order it appended them
        mine = [entry["i"] for entry in kept if entry["thread"] == thread]
        assert mine == sorted(mine)


def _append_and_exit(where: str) -> None:
    store = open_store(where)
    for index in range(3):
        store.append_journal(f'{{"i": {index}}}')
    # Returns at once: the flusher thread is still waiting out its interval.


def test_pending_journal_entries_are_written_when_the_process_exits(shared):
    context = multiprocessing.get_context("spawn")
    worker = context.Process(target=_append_and_exit, args=(shared,))
    worker.start()
    worker.join(60)
    assert worker.exitcode == 0
    assert [entry["i"] for entry in open_store(shared).journal(10)] == [0, 1, 2]


def test_sqlite_keeps_its_cache_through_its_own_writes_and_no_one_elses(tmp_path):
    """A process's own write leaves what it has cached current (nothing read again), with the
    values it wrote; any other write, even between two of its own, still empties it."""
    path = tmp_path / "s.sqlite3"
    mine, other = SQLiteStore(path), SQLiteStore(path)  # two caches, one file and counter
    keys = [("clock", "c"), ("run", "a"), ("run", "gone")]
    mine.put("clock", "c", {"t": 1})
    mine.put("run", "gone", {"state": "running"})
    mine.get_many(keys)
    statements: list[str] = []
    mine._connection().set_trace_callback(statements.append)
    mine.put("run", "a", {"state": "running"})
    mine.update("run", "a", lambda run: {**run, "polls": 1})
    mine.delete("run", "gone")
    writes = len(statements)
    assert mine.get_many(keys) == {("clock", "c"): {"t": 1},
                                   ("run", "a"): {"state": "running", "polls": 1},
                                   ("run", "gone"): None}
    assert len(statements) == writes  # all from the cache
    other.put("clock", "c", {"t": 2})
    mine.put("run", "a", {"state": "completed"})  # its own write after another's
    written = len(statements)
    assert mine.get_many(keys)[("clock", "c")] == {"t": 2}
    assert len(statements) > written  # read again
    assert mine.get("run", "a") == {"state": "completed"}
