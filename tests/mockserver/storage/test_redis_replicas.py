"""Two `mockserver serve` replicas on different ports (standing in for hosts) with one Redis
behave as one mock: tokens, runs, clock, faults, scenarios, reset and the journal are shared,
no acknowledged run or poll is lost with a killed replica (only its journal entries of the last
flush interval may be), and a lost Redis is a 503, not an outage."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from mockserver.storage import RedisStore
from tests.helpers import Served, further_token
from tests.redis_server import RedisServer, redis_server_fixture  # noqa: F401

KEY = {"Authorization": "Bearer workspace_api_key"}
START = "/phinite/api/v1/ai/trigger/start/ws/tr/DEV"
STATUS = "/phinite/api/v1/ai/trigger/status/ws/{}"


@pytest.fixture(scope="module")
def replicas(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[Served, Served]]:
    """Two replicas, from two working directories, of one mock in the shared Redis."""
    url = redis_server.unique_url()
    first = Served("--store", url, cwd=tmp_path_factory.mktemp("host-a"))
    try:
        second = Served("--store", url, cwd=tmp_path_factory.mktemp("host-b"))
    except RuntimeError:
        first.stop()
        raise
    yield first, second
    for replica in (first, second):
        replica.stop()


@pytest.fixture
def pair(replicas: tuple[Served, Served]) -> tuple[str, str]:
    """The two base URLs, with the shared state reset (through one of them) before the test."""
    first, second = replicas
    assert requests.post(f"{second.base}/__mock__/reset", timeout=5).status_code == 200
    return first.base, second.base


def start(base: str, prefer: str | None = None) -> str:
    headers = {**KEY, "Prefer": prefer} if prefer else KEY
    response = requests.post(base + START, headers=headers, json={"message": "hi"}, timeout=10)
    assert response.status_code == 202, response.text
    return response.json()["workflow_id"]


def status(base: str, run_id: str) -> str:
    response = requests.get(base + STATUS.format(run_id), headers=KEY, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["status"]


def test_a_token_issued_by_one_replica_is_accepted_by_the_other(pair):
    a, b = pair
    headers = further_token(a)
    url = "/further/api/v1/workflow-builder/workflows/wf-1/executions/{}"
    missing = requests.get(b + url.format("00000000-0000-0000-0000-000000000000"),
                           headers=headers, timeout=5)
    assert missing.status_code == 404  # authenticated: only the execution is unknown
    assert requests.get(b + url.format("00000000-0000-0000-0000-000000000000"),
                        headers={"Authorization": "Bearer forged"}, timeout=5).status_code == 401


def test_a_run_created_on_one_finishes_on_the_other_at_the_planned_poll(pair):
    a, b = pair
    run_id = start(a, "polls=3")
    assert [status(b, run_id), status(a, run_id), status(b, run_id)] == \
        ["running", "running", "completed"]


def test_the_clock_driven_through_one_replica_moves_runs_on_the_other(pair):
    a, b = pair
    requests.post(f"{a}/__mock__/clock/freeze", timeout=5)
    run_id = start(b, "seconds=30")
    assert status(a, run_id) == "running"
    requests.post(f"{b}/__mock__/clock/advance", json={"seconds": 31}, timeout=5)
    assert status(a, run_id) == "completed"


def test_each_change_through_one_replica_is_seen_by_the_next_request_to_the_other(pair):
    """Each replica's workers cache what they read; Redis's announcements must keep every cache
    current, with no pause between a change and the next request elsewhere."""
    a, b = pair
    requests.post(f"{a}/__mock__/clock/freeze", timeout=5)
    run_id = start(a, "seconds=10")
    for step in range(12):
        writer, reader = (a, b) if step % 2 == 0 else (b, a)
        moved = requests.post(f"{writer}/__mock__/clock/advance", json={"seconds": 1}, timeout=5)
        seen = requests.get(f"{reader}/__mock__/clock", timeout=5).json()
        assert seen["now"] == moved.json()["now"], step
        assert status(reader, run_id) == ("running" if step < 9 else "completed"), step
    requests.delete(f"{a}/__mock__/faults", timeout=5)
    for step in range(6):
        writer, reader = (a, b) if step % 2 == 0 else (b, a)
        rule = {"kinds": ["503"], "vendor": "phinite", "operation": "startBackgroundTask",
                "times": 1}
        assert requests.post(f"{writer}/__mock__/faults", json=rule, timeout=5).status_code == 201
        answered = requests.post(reader + START, headers=KEY, json={"message": "hi"}, timeout=5)
        assert answered.status_code == 503, step


def test_a_fault_rule_added_on_one_replica_fires_on_the_other(pair):
    a, b = pair
    rule = {"kinds": ["503"], "vendor": "phinite", "operation": "startBackgroundTask",
            "times": 1}
    assert requests.post(f"{a}/__mock__/faults", json=rule, timeout=5).status_code == 201
    injected = requests.post(b + START, headers=KEY, json={"message": "hi"}, timeout=5)
    assert injected.status_code == 503 and "injected" in injected.json()["detail"]
    start(a)  # fired once, on either replica: never again
    assert requests.get(f"{a}/__mock__/faults", timeout=5).json()[0]["fired"] == 1


def test_a_scenario_queued_on_one_replica_steers_the_next_run_on_the_other(pair):
    a, b = pair
    scenario = {"vendor": "phinite", "outcome": "failed", "polls": 1}
    assert requests.post(f"{a}/__mock__/scenarios", json=scenario, timeout=5).status_code == 201
    assert status(a, start(b)) == "failed"
    assert status(b, start(a, "polls=1")) == "completed"  # it was used up


def test_reset_through_one_replica_resets_all(pair):
    a, b = pair
    headers = further_token(a)
    run_id = start(a)
    requests.post(f"{b}/__mock__/reset", timeout=5)
    assert requests.get(f"{a}/__mock__/runs", timeout=5).json() == []
    assert requests.get(a + STATUS.format(run_id), headers=KEY, timeout=5).status_code == 404
    url = "/further/api/v1/workflow-builder/workflows/wf-1/executions/x"
    assert requests.get(a + url, headers=headers, timeout=5).status_code == 401


def test_16_clients_over_two_replicas_lose_no_run_and_no_write(pair):
    """Each client starts runs on one replica and polls them to the end on the other; one run
    polled by all of them at once counts every poll exactly once."""
    a, b = pair

    def client(index: int) -> list[list[str]]:
        here, there = (a, b) if index % 2 else (b, a)
        seen = []
        for _ in range(3):
            run_id = start(here, "polls=3")
            seen.append([status(there, run_id) for _ in range(3)])
        return seen

    with ThreadPoolExecutor(16) as pool:
        every = [seen for client_seen in pool.map(client, range(16)) for seen in client_seen]
    assert every == [["running", "running", "completed"]] * 48
    runs = requests.get(f"{a}/__mock__/runs", timeout=10).json()
    assert len(runs) == 48 and {(run["state"], run["polls"]) for run in runs} == {("completed", 3)}

    shared = start(b, "polls=40")
    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda i: status((a, b)[i % 2], shared), range(60)))
    assert statuses.count("running") == 39 and statuses.count("completed") == 21
    journal = settled_journal(b, 48 * 4 + 1 + 60)
    assert len([entry for entry in journal if entry["path"].endswith(f"/{shared}")]) == 60
    assert len(journal) == 48 * 4 + 1 + 60  # every request journaled, by either replica


def settled_journal(base: str, expected: int) -> list[dict]:
    """The journal once it holds `expected` entries: each replica writes its entries in batches,
    so the other replica's newest ones arrive within its flush interval (about 50 ms)."""
    deadline = time.monotonic() + 10
    while True:
        journal = requests.get(f"{base}/__mock__/journal", params={"limit": 1000},
                               timeout=10).json()
        if len(journal) >= expected or time.monotonic() > deadline:
            return journal
        time.sleep(0.05)


def test_no_acknowledged_run_or_poll_is_lost_when_a_replica_is_killed(redis_server, tmp_path):
    """Runs and poll counts are written before the response goes out; only the killed
    replica's journal entries of its last flush interval may be lost, so none are asserted."""
    url = redis_server.unique_url()
    doomed = Served("--store", url, cwd=tmp_path)
    survivor = Served("--store", url, cwd=tmp_path)
    try:
        started = [start(doomed.base, "polls=2") for _ in range(20)]
        status(doomed.base, started[0])
        doomed.process.send_signal(signal.SIGKILL)
        doomed.process.wait(10)
        runs = requests.get(f"{survivor.base}/__mock__/runs", timeout=5).json()
        assert sorted(run["id"] for run in runs) == sorted(started)
        assert [status(survivor.base, started[0]), status(survivor.base, started[1])] == \
            ["completed", "running"]
    finally:
        doomed.stop()
        survivor.stop()


def test_a_replica_stopped_by_sigterm_writes_its_pending_journal_entries(redis_server,
                                                                           tmp_path,
                                                                           wsgi_server):
    url = redis_server.unique_url()
    served = Served("phinite", "--store", url, cwd=tmp_path, server=wsgi_server)
    try:
        for _ in range(5):
            start(served.base)
    finally:
        served.stop()  # SIGTERM right after the last response
    journal = RedisStore.from_url(url).journal(100)
    assert [(entry["path"], entry["status"]) for entry in journal] == [(START, 202)] * 5


def test_serve_exits_2_with_one_line_when_redis_is_unreachable(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--store", "redis://127.0.0.1:1/0"],
        cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Error: cannot reach Redis at 127.0.0.1:1/0: Error 111 connecting to 127.0.0.1:1. "
        "Connection refused."]


def test_serve_exits_2_with_one_line_when_redis_refuses_the_database(redis_server, tmp_path):
    where = f"127.0.0.1:{redis_server.port}/99"
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--store", f"redis://{where}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: Redis at {where} refuses the mock: DB index is out of range"]


def test_serve_does_not_print_the_redis_password(redis_server, tmp_path):
    url = f"redis://default:s3cret@127.0.0.1:{redis_server.port}/0?prefix=test-password"
    served = Served("phinite", "--store", url, cwd=tmp_path)
    try:
        start(served.base)
    finally:
        output = served.stop()
    assert f"(store: redis://default:***@127.0.0.1:{redis_server.port}/0" in output
    assert "s3cret" not in output


def test_a_config_file_can_name_the_redis_store(redis_server, tmp_path):
    url = redis_server.unique_url()
    (tmp_path / "mock.yaml").write_text(f"store: '{url}'\n", encoding="utf-8")
    served = Served("phinite", "--config", "mock.yaml", cwd=tmp_path)
    try:
        start(served.base)
    finally:
        output = served.stop()
    assert f"(store: {url}," in output and not (tmp_path / "mockserver-state.sqlite3").exists()


def test_a_served_replica_answers_503_while_redis_is_lost_and_recovers(tmp_path: Path):
    redis_server = RedisServer(tmp_path / "redis", persistent=True)
    served = Served("phinite", "--store", redis_server.url, cwd=tmp_path)
    try:
        run_id = start(served.base, "polls=2")
        redis_server.stop(signal.SIGKILL)
        lost = requests.get(served.base + STATUS.format(run_id), headers=KEY, timeout=10)
        assert lost.status_code == 503 and lost.headers["Retry-After"] == "1"
        assert lost.json() == {
            "detail": "Service temporarily unavailable: the mock's store is unreachable"}
        assert requests.get(f"{served.base}/__mock__/runs", timeout=10).status_code == 503
        redis_server.start()
        assert [status(served.base, run_id), status(served.base, run_id)] == \
            ["running", "completed"]
    finally:
        output = served.stop()
        redis_server.stop()
    assert "Traceback" not in output
