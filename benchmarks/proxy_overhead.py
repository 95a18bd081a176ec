"""What the validation proxy costs: the latency it adds per exchange and throughput through it,
against the mock directly, in one run.

The mock (`mockserver serve further`) and the proxy in front of it (`mockserver proxy further
--upstream ...`) run as users start them: gunicorn, 2 workers x 4 threads, SQLite stores, the
proxy logging its line per exchange (to /dev/null here). The exchange is Further AI's
authenticated poll of a completed run, which the proxy routes, validates (request), checks
(response, lifecycle) and journals.

Latency: one keep-alive connection, polls one at a time, direct and through the proxy
alternately, so both see the same machine; the proxy's added latency is the difference of the
percentiles. Throughput: `wrk` at 16 connections, direct and proxied alternating for several
rounds, medians reported (see docs/benchmarks.md on why single rounds scatter).

    python benchmarks/proxy_overhead.py [--polls 2000] [--rounds 5] [--seconds 3]

Needs `wrk` for the throughput part (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(*args: str, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "mockserver", *args, "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            requests.get(f"http://127.0.0.1:{port}/__mock__/journal?limit=1", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"mockserver {args[0]} did not start")


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {"rps": float(found.group(1)) if found else 0.0,
            "p50": _latency(output, "50%"), "p99": _latency(output, "99%"),
            "errors": float(non_2xx.group(1)) if non_2xx else 0.0}


def _latency(output: str, percentile: str) -> float:
    found = re.search(rf"{percentile}\s+([\d.]+)(us|ms|s)", output)
    if found is None:
        return float("nan")
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def sequential(urls: dict[str, str], headers: dict[str, str], polls: int
               ) -> dict[str, list[float]]:
    """Milliseconds per poll on one keep-alive connection each, the routes interleaved."""
    sessions = {name: requests.Session() for name in urls}
    timings: dict[str, list[float]] = {name: [] for name in urls}
    for _ in range(polls):
        for name, url in urls.items():
            began = time.perf_counter()
            answer = sessions[name].get(url, headers=headers, timeout=10)
            timings[name].append((time.perf_counter() - began) * 1000)
            if answer.status_code != 200:
                raise RuntimeError(f"{name} poll answered {answer.status_code}")
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    options = parser.parse_args()
    mock_port, proxy_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as folder:
        mock = start("serve", "further", "--store", str(Path(folder) / "mock.sqlite3"),
                     port=mock_port)
        proxy = start("proxy", "further", "--upstream", f"http://127.0.0.1:{mock_port}/further",
                      "--store", str(Path(folder) / "proxy.sqlite3"), port=proxy_port)
        try:
            roots = {"direct": f"http://127.0.0.1:{mock_port}",
                     "proxied": f"http://127.0.0.1:{proxy_port}"}
            token = requests.post(f"{roots['proxied']}/further/api/v1/oauth2/access_token",
                                  json={"client_id": "YOUR_CLIENT_ID",
                                        "client_secret": "YOUR_CLIENT_SECRET"}, timeout=5)
            auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
            path = "/further/api/v1/workflow-builder/workflows/wf-1/executions"
            started = requests.post(roots["proxied"] + path, headers={**auth,
                                    "Prefer": "polls=1"}, timeout=5,
                                    files=[("files", ("a.pdf", b"%PDF-1.4", "application/pdf"))])
            poll = f"{path}/{started.json()['workflow_execution_id']}"
            urls = {name: root + poll for name, root in roots.items()}
            sequential(urls, auth, 100)  # warm up
            timings = sequential(urls, auth, options.polls)
            rounds = []
            if shutil.which("wrk"):
                for _ in range(options.rounds):
                    rounds.append({name: wrk(url, options.seconds, options.connections, auth)
                                   for name, url in urls.items()})
            journal = requests.get(f"{roots['proxied']}/__mock__/journal?limit=5000",
                                   timeout=10).json()
        finally:
            for process in (proxy, mock):
                process.send_signal(signal.SIGTERM)
                process.wait(30)
    print("Further AI poll of a completed run; mock and proxy on gunicorn gthread, "
          "2 workers x 4 threads, SQLite stores")
    print(f"\nlatency, one connection, {options.polls} polls each, interleaved (ms)")
    print(f"{'':<10}{'p50':>8}{'p90':>8}{'p99':>8}{'mean':>8}")
    for name, values in timings.items():
        print(f"{name:<10}{percentile(values, 0.5):>8.2f}{percentile(values, 0.9):>8.2f}"
              f"{percentile(values, 0.99):>8.2f}{statistics.fmean(values):>8.2f}")
    added = {share: percentile(timings["proxied"], share) - percentile(timings["direct"], share)
             for share in (0.5, 0.99)}
    print(f"the proxy adds: p50 {added[0.5]:.2f} ms, p99 {added[0.99]:.2f} ms per exchange")
    violations = sum(1 for entry in journal if entry["verdict"] != "conforms")
    print(f"proxy journal: {len(journal)} entries read back, {violations} violations")
    if not rounds:
        print("\nwrk is not installed: no throughput figures (Debian: apt-get install wrk)")
        return 0
    print(f"\nthroughput, wrk {options.connections} connections, {options.rounds} rounds of "
          f"{options.seconds} s, direct and proxied alternating")
    print(f"{'round':<8}{'direct req/s':>14}{'proxied req/s':>15}{'ratio':>8}"
          f"{'direct p99':>12}{'proxied p99':>13}{'non-2xx':>9}")
    for index, found in enumerate(rounds, 1):
        direct, proxied = found["direct"], found["proxied"]
        print(f"{index:<8}{direct['rps']:>14.0f}{proxied['rps']:>15.0f}"
              f"{proxied['rps'] / direct['rps']:>8.0%}{direct['p99']:>12.2f}"
              f"{proxied['p99']:>13.2f}{direct['errors'] + proxied['errors']:>9.0f}")
    median = {name: statistics.median(r[name]["rps"] for r in rounds)
              for name in ("direct", "proxied")}
    print(f"median req/s: direct {median['direct']:.0f}, proxied {median['proxied']:.0f} "
          f"({median['proxied'] / median['direct']:.0%}); median p99: direct "
          f"{statistics.median(r['direct']['p99'] for r in rounds):.2f} ms, proxied "
          f"{statistics.median(r['proxied']['p99'] for r in rounds):.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
