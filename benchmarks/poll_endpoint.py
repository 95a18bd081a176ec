"""Throughput and latency of the mock's authenticated poll vs a bare Flask route, on granian and
on gunicorn side by side, and of Further AI's multipart create on each.

Both routes live in the same Flask app, served as `mockserver serve` serves it (`mockserver.web.
server`: 2 workers x 4 threads, SQLite store, strict responses, the journal with each request's
detail) but without the access log, which would add the same cost to both routes. One such server
runs on granian and one on gunicorn; each round, `wrk` drives the bare route, the poll of a
completed run, the poll of a running one and the create of each in turn at the same concurrency, so
that a shared machine's neighbours slow all alike, and the medians of the rounds are reported: each
route's requests per second as a share of the bare route on the same server, and its p99. Each round
also reads each server's CPU per request (all its processes, from /proc), which a busy machine
disturbs far less than throughput. (gunicorn leaves each round's keep-alive connections with
whichever worker accepted them first, so one of its rounds may run on a single worker; the median
outvotes it.)

    python benchmarks/poll_endpoint.py [--rounds 8] [--seconds 3] [--connections 16]
                                       [--detail on|off] [--store sqlite|memory]

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

from mockserver.web.server import DEFAULT_THREADS, DEFAULT_WORKERS, SERVERS

SERVER = """
import sys
from flask import jsonify
from mockserver import MockConfig, create_app
from mockserver.web import server

store, port, workers, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
detail, name = sys.argv[5] == "on", sys.argv[6] if len(sys.argv) > 6 else server.DEFAULT_SERVER


def build():
    app = create_app(MockConfig(contracts=["further"], store=store,  # strict, as served
                                journal={"detail": detail}))
    # beside the control API: with one vendor served, every other path is the vendor's
    app.add_url_rule("/__mock__/bare", "bare", lambda: jsonify(status="running"))
    return app


server.run(build, server.listen("127.0.0.1", port, name), server=name, workers=workers,
           threads=threads, access_log=False)
"""
"""The benchmarks' server: argv store, port, workers, threads, detail (on/off), server."""

EXECUTIONS = "/further/api/v1/workflow-builder/workflows/wf-1/executions"
CREATE_SCRIPT = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=bench"
wrk.body = "--bench\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.pdf\"\r\n" ..
           "Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--bench--\r\n"
"""
"""wrk's Lua script for Further AI's create: one small PDF, multipart, as the SDK sends it."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str],
        script: Path | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
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
    """One mock with the bare route on one HTTP server, a completed execution to poll and a
    running one (planned to take a day, so every poll of it finds it live)."""

    def __init__(self, folder: str, name: str, options: argparse.Namespace) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        store = str(Path(folder) / f"{name}.sqlite3") if options.store == "sqlite" else "memory"
        self.process = subprocess.Popen([sys.executable, "-c", SERVER, store, str(self.port),
                                         str(options.workers), str(options.threads),
                                         options.detail, name])
        self.poll_url = self.running_url = ""
        self.auth: dict[str, str] = {}

    def prepare(self, connections: int, script: Path) -> None:
        for _ in range(200):
            try:
                requests.get(f"{self.base}/__mock__/bare", timeout=1)
                break
            except (requests.ConnectionError, requests.Timeout):  # not up, or still booting
                time.sleep(0.1)
        token = requests.post(f"{self.base}/further/api/v1/oauth2/access_token",
                              json={"client_id": "YOUR_CLIENT_ID",
                                    "client_secret": "YOUR_CLIENT_SECRET"}, timeout=5)
        self.auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
        self.poll_url = self.execution("polls=1", "completed")
        self.running_url = self.execution("seconds=86400", "running")
        for url, headers, body in self.routes(script):  # warm up
            wrk(url, 2, connections, headers, body)

    def execution(self, prefer: str, state: str) -> str:
        """The poll URL of a new execution with this `Prefer`, once a poll finds it in `state`."""
        started = requests.post(self.base + EXECUTIONS, timeout=5,
                                headers={**self.auth, "Prefer": prefer},
                                files=[("files", ("a.pdf", b"%PDF-1.4", "application/pdf"))])
        url = f"{self.base}{EXECUTIONS}/{started.json()['workflow_execution_id']}"
        polled = requests.get(url, headers=self.auth, timeout=5)
        assert polled.json()["status"] == state, polled.text
        return url

    def routes(self, script: Path) -> list[tuple[str, dict[str, str], Path | None]]:
        """(url, headers, wrk script) of the bare route, the two polls and the create."""
        return [(f"{self.base}/__mock__/bare", {}, None), (self.poll_url, self.auth, None),
                (self.running_url, self.auth, None), (self.base + EXECUTIONS, self.auth, script)]

    def measure(self, seconds: int, connections: int, script: Path
                ) -> tuple[dict[str, float], ...]:
        """The bare route's, the polls' and the create's wrk figures, each with `cpu`: the
        server's CPU (all its processes) per request."""
        measured = []
        for url, headers, body in self.routes(script):
            before = server_cpu(self.process.pid)
            figures = wrk(url, seconds, connections, headers, body)
            spent = server_cpu(self.process.pid) - before
            figures["cpu"] = spent / max(figures["rps"] * seconds, 1) * 1e6
            measured.append(figures)
        return tuple(measured)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--detail", choices=["on", "off"], default="on",
                        help="the journal's request detail (on: as served)")
    parser.add_argument("--store", choices=["sqlite", "memory"], default="sqlite")
    parser.add_argument("--servers", nargs="+", choices=SERVERS, default=list(SERVERS))
    options = parser.parse_args()
    if options.store == "memory":
        options.workers = 1  # the in-memory store is per process
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "create.lua"
        script.write_text(CREATE_SCRIPT, encoding="utf-8")
        servers = {name: Server(folder, name, options) for name in options.servers}
        try:
            for server in servers.values():
                server.prepare(options.connections, script)
            rounds = [{name: server.measure(options.seconds, options.connections, script)
                       for name, server in servers.items()} for _ in range(options.rounds)]
        finally:
            for server in servers.values():
                server.stop()
    print(f"{options.workers} workers x {options.threads} threads, {options.store} store, "
          f"journal detail {options.detail}; wrk {options.connections} connections, keep-alive, "
          f"{options.rounds} rounds of {options.seconds} s, the servers in turn")
    print(f"{'round':<7}{'server':<10}{'bare req/s':>11}{'poll req/s':>11}{'ratio':>7}"
          f"{'running':>9}{'ratio':>7}{'bare p99':>10}{'poll p50':>10}{'poll p99':>10}"
          f"{'run p99':>9}{'create/s':>10}{'create p99':>12}{'non-2xx':>9}"
          f"{'CPU us bare':>12}{'poll':>6}{'running':>8}")
    for index, measured in enumerate(rounds, 1):
        for name, (bare, poll, live, create) in measured.items():
            print(f"{index:<7}{name:<10}{bare['rps']:>11.0f}{poll['rps']:>11.0f}"
                  f"{poll['rps'] / bare['rps']:>7.0%}{live['rps']:>9.0f}"
                  f"{live['rps'] / bare['rps']:>7.0%}{bare['p99']:>10.2f}{poll['p50']:>10.2f}"
                  f"{poll['p99']:>10.2f}{live['p99']:>9.2f}{create['rps']:>10.0f}"
                  f"{create['p99']:>12.2f}"
                  f"{sum(r['errors'] for r in (bare, poll, live, create)):>9.0f}"
                  f"{bare['cpu']:>12.0f}{poll['cpu']:>6.0f}{live['cpu']:>8.0f}")
    print("medians of the rounds (targets: polls >= 80% of bare on granian, p99 <= 10 ms, "
          "create >= 3,000/s):")
    for name in servers:
        def median(route: int, figure: str, name: str = name) -> float:
            return statistics.median(r[name][route][figure] for r in rounds)

        def ratio(route: int, name: str = name) -> float:
            return statistics.median(r[name][route]["rps"] / r[name][0]["rps"] for r in rounds)

        print(f"  {name:<9} bare {median(0, 'rps'):,.0f} req/s (p99 {median(0, 'p99'):.2f} ms); "
              f"poll of a completed run {median(1, 'rps'):,.0f} req/s = {ratio(1):.0%} of bare, "
              f"p99 {median(1, 'p99'):.2f} ms; of a running run {median(2, 'rps'):,.0f} req/s = "
              f"{ratio(2):.0%} of bare, p99 {median(2, 'p99'):.2f} ms; "
              f"create {median(3, 'rps'):,.0f} req/s = {ratio(3):.0%} of bare, "
              f"p99 {median(3, 'p99'):.2f} ms; server CPU us per request: bare "
              f"{median(0, 'cpu'):.0f}, polls {median(1, 'cpu'):.0f} and {median(2, 'cpu'):.0f}, "
              f"create {median(3, 'cpu'):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
