"""Throughput and latency of the authenticated poll endpoint vs a bare Flask route, with the
journal's request detail on (the default) and off.

Both routes live in the same Flask app on the same gunicorn server, started as `mockserver serve`
starts it (`mockserver.web.server`, SQLite store) but without the access log, which would add the
same cost to both; `wrk` drives each in turn at the same concurrency. Two such servers run, one
keeping request detail in the journal and one the verdict only; each round measures both.
Each round also reads the server's CPU per request (all its processes, from /proc), which
a shared machine's neighbours disturb far less than throughput. The two alternate for several
rounds and the medians are reported: gunicorn leaves each round's
keep-alive connections with whichever worker accepted them first, so one round may run on a
single worker, and a shared machine's neighbours slow some rounds too.

    python benchmarks/poll_endpoint.py [--rounds 12] [--seconds 3] [--connections 16]

Needs `wrk` (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from mockserver.web.server import DEFAULT_THREADS, DEFAULT_WORKERS

SERVER = """
import sys
from flask import jsonify
from mockserver import MockConfig, create_app
from mockserver.web import server

store, port, workers, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
detail = sys.argv[5] == "on"


def build():
    app = create_app(MockConfig(contracts=["further"], store=store,  # strict, as served
                                journal={"detail": detail}))
    # beside the control API: with one vendor served, every other path is the vendor's
    app.add_url_rule("/__mock__/bare", "bare", lambda: jsonify(status="running"))
    return app


server.run(build, host="127.0.0.1", port=port, workers=workers, threads=threads,
                access_log=False)
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {"rps": rate, "p50": _latency(output, "50%"), "p99": _latency(output, "99%"),
            "errors": float(non_2xx.group(1)) if non_2xx else 0.0}


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) spent so far by a process and all its descendants (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, waiting = 0.0, [pid]
    while waiting:
        current = waiting.pop()
        waiting += children.get(current, [])
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _latency(output: str, percentile: str) -> float:
    value, unit = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


class Server:
    """One gunicorn mock with the bare route, and a running execution to poll."""

    def __init__(self, folder: str, detail: str, options: argparse.Namespace) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        store = str(Path(folder) / f"{detail}.sqlite3") if options.store == "sqlite" else "memory"
        self.process = subprocess.Popen([sys.executable, "-c", SERVER, store, str(self.port),
                                         str(options.workers), str(options.threads), detail])
        self.poll_url = ""
        self.auth: dict[str, str] = {}

    def prepare(self, connections: int) -> None:
        for _ in range(100):
            try:
                requests.get(f"{self.base}/__mock__/bare", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up, or still booting
                time.sleep(0.1)
        token = requests.post(f"{self.base}/further/api/v1/oauth2/access_token",
                              json={"client_id": "YOUR_CLIENT_ID",
                                    "client_secret": "YOUR_CLIENT_SECRET"}, timeout=5)
        self.auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        executions = f"{self.base}/further/api/v1/workflow-builder/workflows/wf-1/executions"
        started = requests.post(executions, headers=self.auth, timeout=5,
                                files=[("files", ("a.pdf", b"%PDF-1.4", "application/pdf"))])
        self.poll_url = f"{executions}/{started.json()['workflow_execution_id']}"
        assert requests.get(self.poll_url, headers=self.auth, timeout=5).status_code == 200
        wrk(f"{self.base}/__mock__/bare", 2, connections, {})  # warm up both
        wrk(self.poll_url, 2, connections, self.auth)

    def measure(self, seconds: int, connections: int) -> tuple[dict[str, float], ...]:
        """Each route's wrk figures, with `cpu`: the server's CPU (all its processes) per
        request, which a busy machine disturbs far less than throughput."""
        measured = []
        for url, headers in ((f"{self.base}/__mock__/bare", {}), (self.poll_url, self.auth)):
            before = server_cpu(self.process.pid)
            figures = wrk(url, seconds, connections, headers)
            spent = server_cpu(self.process.pid) - before
            figures["cpu"] = spent / max(figures["rps"] * seconds, 1) * 1e6
            measured.append(figures)
        return tuple(measured)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--store", choices=["sqlite", "memory"], default="sqlite")
    options = parser.parse_args()
    if options.store == "memory":
        options.workers = 1  # the in-memory store is per process
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        servers = {detail: Server(folder, detail, options) for detail in ("on", "off")}
        try:
            for server in servers.values():
                server.prepare(options.connections)
            rounds = [{detail: server.measure(options.seconds, options.connections)
                       for detail, server in servers.items()} for _ in range(options.rounds)]
        finally:
            for server in servers.values():
                server.stop()
    print(f"gunicorn gthread, {options.workers} workers x {options.threads} threads, "
          f"{options.store} store; wrk {options.connections} connections, "
          f"{options.rounds} rounds of {options.seconds} s each, detail on and off alternating")
    print(f"{'round':<7}{'detail':<8}{'bare req/s':>11}{'poll req/s':>11}{'ratio':>7}"
          f"{'bare p99':>10}{'poll p50':>10}{'poll p99':>10}{'non-2xx':>9}"
          f"{'CPU us bare':>12}{'CPU us poll':>12}")
    for index, measured in enumerate(rounds, 1):
        for detail, (bare, poll) in measured.items():
            print(f"{index:<7}{detail:<8}{bare['rps']:>11.0f}{poll['rps']:>11.0f}"
                  f"{poll['rps'] / bare['rps']:>7.0%}{bare['p99']:>10.2f}{poll['p50']:>10.2f}"
                  f"{poll['p99']:>10.2f}{bare['errors'] + poll['errors']:>9.0f}"
                  f"{bare['cpu']:>12.0f}{poll['cpu']:>12.0f}")
    for detail in servers:
        ratio = statistics.median(r[detail][1]["rps"] / r[detail][0]["rps"] for r in rounds)
        p99 = statistics.median(r[detail][1]["p99"] for r in rounds)
        cpu = statistics.median(r[detail][1]["cpu"] for r in rounds)
        print(f"detail {detail}: median poll / bare throughput {ratio:.0%} (target >= 70%); "
              f"median poll p99 {p99:.2f} ms (target < 20 ms); "
              f"median server CPU per poll {cpu:.0f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
