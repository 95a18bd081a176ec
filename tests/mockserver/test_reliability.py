"""Reliability: nothing the mock acknowledged is lost, whether clients write into one record at
once (across worker processes) or the server is stopped mid-lifecycle, gently or not.

The concurrent tests run on `mockserver serve --workers 2` (SQLite shared by two processes) and
on the in-process `LiveServer` (memory store, threads).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from mockserver import LiveServer, Mock, MockConfig
from mockserver.web.server import SERVERS
from tests.helpers import InProcess, Served

FUTURITY = "/futurity/v1"
ME = {"Authorization": "Bearer YOUR_TOKEN"}
PHINITE = {"Authorization": "Bearer workspace_api_key"}
CLIENTS = 16
EACH = 10


@pytest.fixture(scope="module", params=[*(f"2 {server} workers" for server in SERVERS),
                                        "in-process threads"])
def base(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[str]:
    if request.param == "in-process threads":
        with LiveServer(Mock(MockConfig())) as live:
            yield live.url
        return
    served = Served("--workers", "2", cwd=tmp_path_factory.mktemp("concurrent"),
                    server=request.param.split()[1])
    try:
        yield served.base
    finally:
        served.stop()


def in_parallel(work, count: int = CLIENTS) -> list:
    """Run `work(client)` for each client at once, each with its own connection."""
    start = threading.Barrier(count)

    def client(index: int) -> list:
        with requests.Session() as session:
            start.wait()
            return work(session, index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(client, range(count)))


def test_every_message_posted_at_once_into_one_chat_is_kept(base: str) -> None:
    chat = requests.post(f"{base}{FUTURITY}/chats", json={"title": "busy"}, headers=ME,
                         timeout=10).json()["data"]["id"]

    def post(session: requests.Session, client: int) -> list[str]:
        acknowledged = []
        for n in range(EACH):
            sent = session.post(f"{base}{FUTURITY}/chats/{chat}/messages", headers=ME,
                                json={"content": f"client {client} message {n}"}, timeout=30)
            if sent.status_code == 201:
                acknowledged.append(sent.json()["data"]["id"])
        return acknowledged

    acknowledged = [message for sent in in_parallel(post) for message in sent]
    messages = requests.get(f"{base}{FUTURITY}/chats/{chat}", headers=ME,
                            timeout=10).json()["data"]["messages"]
    assert len(acknowledged) == CLIENTS * EACH
    users = [m["id"] for m in messages if m["role"] == "user"]
    assert sorted(users) == sorted(acknowledged)
    # each message is followed by its own answer: the pair was added in one step
    assert [m["role"] for m in messages] == ["user", "assistant"] * len(acknowledged)
    assert len({m["id"] for m in messages}) == len(messages)


def test_updates_and_runs_of_one_workflow_at_once_lose_nothing(base: str) -> None:
    workflow = requests.post(f"{base}{FUTURITY}/workflows", json={"name": "shared"}, headers=ME,
                             timeout=10).json()["data"]["id"]

    def work(session: requests.Session, client: int) -> list[int]:
        if client % 2:
            return [session.put(f"{base}{FUTURITY}/workflows/{workflow}", headers=ME,
                                json={"description": f"by {client}"}, timeout=30).status_code
                    for _ in range(EACH)]
        return [session.post(f"{base}{FUTURITY}/workflows/{workflow}/run", headers=ME, json={},
                             timeout=30).status_code for _ in range(EACH)]

    statuses = in_parallel(work)
    assert all(status in (200, 202) for sent in statuses for status in sent)
    stored = requests.get(f"{base}{FUTURITY}/workflows/{workflow}", headers=ME,
                          timeout=10).json()["data"]
    assert stored["last_run"] is not None and stored["description"].startswith("by ")


def test_fault_rules_and_scenarios_added_at_once_are_all_kept(base: str) -> None:
    requests.delete(f"{base}/__mock__/faults", timeout=10)

    def add(session: requests.Session, client: int) -> list[int]:
        rule = {"kinds": ["503"], "vendor": "further", "operation": "getWorkflowExecution",
                "times": 1 + client}
        return [session.post(f"{base}/__mock__/faults", json=rule, timeout=30).status_code
                for _ in range(EACH)] + \
            [session.post(f"{base}/__mock__/scenarios", timeout=30,
                          json={"vendor": "phinite", "outcome": "failed"}).status_code
             for _ in range(EACH)]

    assert {status for sent in in_parallel(add) for status in sent} == {201}
    assert len(requests.get(f"{base}/__mock__/faults", timeout=10).json()) == CLIENTS * EACH
    requests.delete(f"{base}/__mock__/faults", timeout=10)
    url = f"{base}/phinite/api/v1/ai/trigger/ws/tr/DEV"
    outcomes = in_parallel(lambda session, _: [
        session.post(url, headers=PHINITE, json={"message": "hi"}, timeout=30).json()["status"]
        for _ in range(EACH + 1)])
    # every queued scenario was taken exactly once: 160 failed, then the rest as usual
    flat = [outcome for sent in outcomes for outcome in sent]
    assert flat.count("failed") == CLIENTS * EACH and len(flat) == CLIENTS * (EACH + 1)


# -- restarts ----------------------------------------------------------------------------

@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_nothing_acknowledged_is_lost_when_the_server_stops_mid_lifecycle(
        tmp_path: Path, stop: signal.Signals, wsgi_server: str) -> None:
    with Served("--workers", "2", cwd=tmp_path, server=wsgi_server) as server:
        chat = requests.post(f"{server.base}{FUTURITY}/chats", json={"title": "t"}, headers=ME,
                             timeout=10).json()["data"]["id"]
        start = f"{server.base}/phinite/api/v1/ai/trigger/start/ws/tr/DEV"
        runs = [requests.post(start, headers={**PHINITE, "Prefer": "polls=3"},
                              json={"message": "m"}, timeout=10).json()["workflow_id"]
                for _ in range(4)]
        status = f"{server.base}/phinite/api/v1/ai/trigger/status/ws/{{}}"
        assert {requests.get(status.format(run), headers=PHINITE, timeout=10).json()["status"]
                for run in runs} == {"running"}  # one poll of three each
        acknowledged: list[str] = []
        stopped = threading.Event()

        def keep_posting(session: requests.Session, client: int) -> list[str]:
            mine = []
            while not stopped.is_set():
                try:
                    sent = session.post(f"{server.base}{FUTURITY}/chats/{chat}/messages",
                                        headers=ME, json={"content": f"{client}"}, timeout=10)
                except requests.RequestException:
                    break  # the server went away mid-request: not acknowledged
                if sent.status_code == 201:
                    mine.append(sent.json()["data"]["id"])
            return mine

        with ThreadPoolExecutor(1) as background:
            posting = background.submit(in_parallel, keep_posting, 4)
            deadline = time.monotonic() + 30
            while len(_messages(server.base, chat)) < 40 and time.monotonic() < deadline:
                time.sleep(0.05)
            server.kill() if stop == signal.SIGKILL else server.stop(stop)
            stopped.set()
            acknowledged = [message for sent in posting.result() for message in sent]
    assert len(acknowledged) >= 20
    restarted = Served("--workers", "2", cwd=tmp_path, server=wsgi_server)
    try:
        kept = {m["id"] for m in _messages(restarted.base, chat) if m["role"] == "user"}
        assert set(acknowledged) <= kept
        status = f"{restarted.base}/phinite/api/v1/ai/trigger/status/ws/{{}}"
        finals = [[requests.get(status.format(run), headers=PHINITE, timeout=10).json()["status"]
                   for _ in range(2)] for run in runs]
        assert finals == [["running", "completed"]] * len(runs)  # polls 2 and 3 of 3
    finally:
        restarted.stop()


def test_sigterm_right_after_the_last_answers_keeps_their_journal_entries(
        tmp_path: Path, wsgi_server: str) -> None:
    """Each worker holds its journal entries for up to 50 ms before writing them: a stop must
    write them first (granian's workers leave without the interpreter's exit functions unless
    they run them)."""
    with Served("phinite", "--workers", "2", cwd=tmp_path, server=wsgi_server) as server:
        url = f"{server.base}/phinite/api/v1/ai/trigger/ws/tr/DEV"
        for _ in range(20):
            assert requests.post(url, headers=PHINITE, json={"message": "m"},
                                 timeout=10).status_code == 200
        server.stop()
    journal = Mock(MockConfig(store=tmp_path / "mockserver-state.sqlite3")).store.journal(100)
    assert [entry["path"] for entry in journal].count("/phinite/api/v1/ai/trigger/ws/tr/DEV") \
        == 20


def test_the_workers_of_a_server_killed_outright_stop_by_themselves(
        tmp_path: Path, wsgi_server: str) -> None:
    """Killed with SIGKILL, the main process cannot stop its workers: they must notice, or
    they would serve on, unseen, holding the port."""
    with Served("--workers", "2", cwd=tmp_path, server=wsgi_server) as server:
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(10)
        deadline, answered = time.monotonic() + 20, True
        while answered and time.monotonic() < deadline:
            try:
                requests.get(f"{server.base}/__mock__/health", timeout=5)
                time.sleep(1)  # a steady stream of new connections holds granian's graceful stop
            except requests.ConnectionError:
                answered = False
        assert not answered, "a worker still serves 20 s after its main process was killed"


REPOSITORY = Path(__file__).resolve().parents[2]
ORPHANED_WHILE_STARTING = """
import multiprocessing, os, sys, time

def worker(out, main):
    while os.getppid() == main:  # a worker still starting when its main process dies
        time.sleep(0.05)
    from mockserver.web.on_granian import _main_process_id
    with open(out, "w") as answer:
        answer.write(f"{_main_process_id()} {os.getppid()}")

if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[2])
    multiprocessing.Process(target=worker, args=(sys.argv[1], os.getpid())).start()
    os._exit(0)  # as a SIGKILL would: nothing waits for the worker
"""


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_granian_worker_whose_main_process_died_while_it_started_knows_it(
        tmp_path: Path, start_method: str) -> None:
    """The orphan check compares the parent with the main process `multiprocessing` recorded,
    not with the parent the worker sees first: one started late sees the adopting process."""
    script, out = tmp_path / "main.py", tmp_path / "answer.txt"
    script.write_text(ORPHANED_WHILE_STARTING, encoding="utf-8")
    main = subprocess.Popen([sys.executable, str(script), str(out), start_method],
                            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPOSITORY)})
    main.wait(30)
    deadline = time.monotonic() + 30
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    recorded, adopted = map(int, out.read_text(encoding="utf-8").split())
    assert recorded == main.pid and adopted != main.pid


SLOW_TO_START = """
import functools, sys, time
from mockserver.web import on_granian, server

def build(marker):
    open(marker, "w").close()
    time.sleep(3)  # a worker still building its app when the stop comes
    from mockserver import create_app
    return create_app()

if __name__ == "__main__":
    on_granian.run(functools.partial(build, sys.argv[1]), server.listen("127.0.0.1", 0, "granian"),
                   workers=1, threads=1, access_log=False)
"""


def test_a_granian_worker_told_to_stop_while_it_starts_stops_once_started(
        tmp_path: Path) -> None:
    """Until it installs its own, a forked worker has the main process's SIGTERM handler: the
    main process's stop, passed on then, must not be lost (it was: granian waited out its 30 s
    grace period and killed the worker)."""
    script, building = tmp_path / "main.py", tmp_path / "building"
    script.write_text(SLOW_TO_START, encoding="utf-8")
    main = subprocess.Popen([sys.executable, str(script), str(building)], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(REPOSITORY)})
    try:
        deadline = time.monotonic() + 30
        while not building.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert building.exists(), "the worker never started building its app"
        stopped_at = time.monotonic()
        main.send_signal(signal.SIGTERM)
        main.wait(20)
        assert time.monotonic() - stopped_at < 15
    finally:
        main.kill()
        main.wait()


def _messages(base: str, chat: str) -> list[dict]:
    return requests.get(f"{base}{FUTURITY}/chats/{chat}", headers=ME,
                        timeout=10).json()["data"]["messages"]


def test_sigterm_ends_a_day_long_prefer_latency_at_once(tmp_path: Path,
                                                        wsgi_server: str) -> None:
    (tmp_path / "mock.yaml").write_text("max_latency_seconds: 600\n", encoding="utf-8")
    with Served("phinite", "--config", "mock.yaml", "--workers", "1", cwd=tmp_path,
                server=wsgi_server) as server:
        answered: list[int] = []

        def wait_a_day() -> None:
            answered.append(requests.post(
                f"{server.base}/phinite/api/v1/ai/trigger/ws/tr/DEV", json={"message": "hi"},
                headers={**PHINITE, "Prefer": "latency=86400000"}, timeout=120).status_code)

        waiting = threading.Thread(target=wait_a_day)
        waiting.start()
        time.sleep(1.0)  # the request is now in its 600-second wait
        output = server.stop(timeout=20)  # far less than the 600 s asked for: else this fails
        waiting.join(timeout=20)
    assert answered == [200], output
    assert "Traceback" not in output


def test_a_store_kept_from_a_server_of_other_vendors_still_serves(tmp_path: Path) -> None:
    store = tmp_path / "state.sqlite3"
    before = InProcess(Mock(MockConfig(store=store)))
    started = before.request("POST", "/phinite/api/v1/ai/trigger/start/ws/tr/DEV",
                             headers=PHINITE, json={"message": "m"})
    assert started.status == 202
    after = InProcess(Mock(MockConfig(store=store, contracts=["further"])))
    runs = after.request("GET", "/__mock__/runs")
    assert runs.status == 200 and runs.json() == []
