"""Poll and create throughput and p99 with each shared store, side by side in one run.

Three set-ups, each served as `mockserver serve` serves (gunicorn by default, `--server granian`
for the other; 2 workers x 4 threads, strict responses; access log off) by the poll
benchmark's server script:
one replica on SQLite, one replica on Redis, and two replicas on one Redis. `wrk` drives Further
AI's authenticated poll of a completed execution and its multipart create at 16 connections
in all (8 to each of two replicas, at the same time). Every set-up runs at once and, round after
round, each takes its turn at the poll and the create, so that a shared machine's load falls on
all alike; the medians are reported, and the median of each round's Redis/SQLite poll ratio.
Then, on one Redis replica, the poll again with 10 to 100,000 runs stored, to show that its cost
does not grow with the number of runs.

    python benchmarks/store_backends.py [--rounds 5] [--seconds 3] [--connections 16]
                                        [--server granian|gunicorn]

Needs `wrk` and `redis-server` (Debian: apt-get install wrk redis-server); starts a private
redis-server on a free port and stops it at the end.
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import redis
import requests
from poll_endpoint import CREATE_SCRIPT, EXECUTIONS, SERVER, _latency, free_port

from mockserver.storage import RedisStore
from mockserver.storage.keys import run_key
from mockserver.web.server import DEFAULT_SERVER, SERVERS

REPOSITORY = Path(__file__).resolve().parents[1]
STORED_RUNS = (10, 1_000, 10_000, 100_000)


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str],
        script: Path | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {"rps": rate, "p99": _latency(output, "99%"),
            "errors": float(non_2xx.group(1)) if non_2xx else 0.0}


def wrk_together(urls: list[str], seconds: int, connections: int, headers: dict[str, str],
                 script: Path | None = None) -> dict[str, float]:
    """`connections` spread over several replicas at once, as a load balancer would: the
    rates add up; the p99 is the worst replica's."""
    with ThreadPoolExecutor(len(urls)) as pool:
        results = list(pool.map(lambda url: wrk(url, seconds, connections // len(urls), headers,
                                                 script), urls))
    return {"rps": sum(r["rps"] for r in results), "p99": max(r["p99"] for r in results),
            "errors": sum(r["errors"] for r in results)}


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", str(folder)],
                               stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


@contextmanager
def replicas(store: str, count: int, options: argparse.Namespace) -> Iterator[list[str]]:
    ports = [free_port() for _ in range(count)]
    # the journal keeps each request's detail, as `serve` does by default
    servers = [subprocess.Popen([sys.executable, "-c", SERVER, store, str(port),
                                 str(options.workers), str(options.threads), "on",
                                 options.server], cwd=REPOSITORY)  # this checkout's mockserver
               for port in ports]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base in bases:
            for _ in range(200):
                try:
                    requests.get(f"{base}/__mock__/health", timeout=1).raise_for_status()
                    break
                except requests.RequestException:  # not up, or still booting
                    time.sleep(0.1)
        yield bases
    finally:
        for server in servers:
            server.send_signal(signal.SIGTERM)
        for server in servers:
            server.wait(30)


def completed_execution(base: str) -> tuple[dict[str, str], str]:
    """A bearer token and the id of an execution that has completed."""
    token = requests.post(f"{base}/further/api/v1/oauth2/access_token",
                          json={"client_id": "YOUR_CLIENT_ID",
                                "client_secret": "YOUR_CLIENT_SECRET"}, timeout=5)
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    started = requests.post(base + EXECUTIONS, headers={**auth, "Prefer": "polls=1"}, timeout=5,
                            files=[("files", ("a.pdf", b"%PDF-1.4", "application/pdf"))])
    execution = started.json()["workflow_execution_id"]
    polled = requests.get(f"{base}{EXECUTIONS}/{execution}", headers=auth, timeout=5)
    assert polled.json()["status"] == "completed", polled.text
    return auth, execution


Rounds = list[tuple[dict[str, float], dict[str, float]]]
"""One set-up's (poll, create) figures, round by round."""


def measure(setups: list[list[str]], options: argparse.Namespace, script: Path) -> list[Rounds]:
    """Every set-up's poll and create, round after round in turn, so that a busy neighbour on a
    shared machine slows each set-up alike rather than whichever ran at the time."""
    targets = []
    for bases in setups:
        auth, execution = completed_execution(bases[0])
        targets.append((auth, [f"{base}{EXECUTIONS}/{execution}" for base in bases],
                        [base + EXECUTIONS for base in bases]))
    for auth, polls, creates in targets:  # warm up
        wrk_together(polls, 2, options.connections, auth)
        wrk_together(creates, 2, options.connections, auth, script)
    found: list[Rounds] = [[] for _ in setups]
    for _ in range(options.rounds):
        for rounds, (auth, polls, creates) in zip(found, targets, strict=True):
            rounds.append((wrk_together(polls, options.seconds, options.connections, auth),
                           wrk_together(creates, options.seconds, options.connections, auth,
                                        script)))
    return found


def medians(rounds: Rounds) -> dict[str, dict[str, float]]:
    return {name: {figure: statistics.median(r[index][figure] for r in rounds)
                   for figure in ("rps", "p99", "errors")}
            for index, name in enumerate(("poll", "create"))}


def poll_by_stored_runs(redis_url: str, options: argparse.Namespace) -> list[tuple[int, dict]]:
    """The poll on one Redis replica as the number of stored runs grows to 100,000."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    url = f"{redis_url}?prefix={prefix}"
    store = RedisStore.from_url(url)
    found = []
    with replicas(url, 1, options) as bases:
        auth, execution = completed_execution(bases[0])
        template = store.get("run", run_key("further", execution))
        assert template is not None
        stored = 1
        poll = f"{bases[0]}{EXECUTIONS}/{execution}"
        wrk(poll, 2, options.connections, auth)
        for wanted in STORED_RUNS:
            for _ in range(wanted - stored):
                run_id = str(uuid.uuid4())
                store.put("run", run_key("further", run_id), {**template, "id": run_id})
            stored = wanted
            rounds = [wrk(poll, options.seconds, options.connections, auth)
                      for _ in range(options.rounds)]
            found.append((wanted, {figure: statistics.median(r[figure] for r in rounds)
                                   for figure in ("rps", "p99", "errors")}))
    store.clear()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--server", choices=SERVERS, default=DEFAULT_SERVER)
    options = parser.parse_args()
    for tool in ("wrk", "redis-server"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (Debian: apt-get install {tool})", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory() as folder, redis_server(Path(folder)) as redis_url:
        script = Path(folder) / "create.lua"
        script.write_text(CREATE_SCRIPT, encoding="utf-8")
        setups = [("1 replica, SQLite", str(Path(folder) / "bench.sqlite3"), 1),
                  ("1 replica, Redis", f"{redis_url}?prefix=bench-one", 1),
                  ("2 replicas, one Redis", f"{redis_url}?prefix=bench-two", 2)]
        with ExitStack() as running:
            served = [running.enter_context(replicas(store, count, options))
                      for _, store, count in setups]
            found = measure(served, options, script)
        scaling = poll_by_stored_runs(redis_url, options)
    results = [(title, medians(rounds)) for (title, _, _), rounds in zip(setups, found,
                                                                           strict=True)]
    print(f"{options.server}, {options.workers} workers x {options.threads} threads per replica; "
          f"wrk {options.connections} connections in all; medians of {options.rounds} rounds "
          f"of {options.seconds} s")
    print(f"{'set-up':<24}{'poll req/s':>12}{'poll p99':>10}{'create req/s':>14}"
          f"{'create p99':>12}{'non-2xx':>9}")
    for title, figures in results:
        poll, create = figures["poll"], figures["create"]
        print(f"{title:<24}{poll['rps']:>12.0f}{poll['p99']:>10.2f}{create['rps']:>14.0f}"
              f"{create['p99']:>12.2f}{poll['errors'] + create['errors']:>9.0f}")
    ratio = results[1][1]["poll"]["rps"] / results[0][1]["poll"]["rps"]
    paired = statistics.median(redis[0]["rps"] / sqlite[0]["rps"]
                               for sqlite, redis in zip(found[0], found[1], strict=True))
    print(f"Redis poll / SQLite poll, one replica: {ratio:.0%} of the medians, {paired:.0%} "
          "median of the rounds' ratios (target >= 85%)")
    print(f"{'stored runs':<14}{'poll req/s':>12}{'poll p99':>10}{'non-2xx':>9}")
    for count, figures in scaling:
        print(f"{count:<14,}{figures['rps']:>12.0f}{figures['p99']:>10.2f}"
              f"{figures['errors']:>9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
