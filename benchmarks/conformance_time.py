"""Wall time of `conformance run` per contract and profile, against the mock as users run it.

The mock is a `mockserver serve` subprocess (gunicorn, its default workers, an SQLite store in a
temporary directory) on a free loopback port, reset before every run; each run is the
`conformance` CLI in its own process, exactly as CI would call it, with `--fast-forward`.
`--real-time` adds the standard profile without it: runs take the mock's default 2-6 s of real
time and the suite polls with the documented backoff, as against a real server.

    python benchmarks/conformance_time.py [--deep] [--real-time] [--seed 0] [--contracts a,b]

Target: the standard profile with --fast-forward under 60 s per contract on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

# The demo credentials each vendor's mock accepts, as `conformance run` takes them.
CREDENTIALS = {
    "further": ["--client-id", "YOUR_CLIENT_ID", "--client-secret", "YOUR_CLIENT_SECRET"],
    "phinite": ["--token", "workspace_api_key", "--other-token", "other_workspace_api_key"],
    "flowflow": ["--token", "REPLACE_API_TOKEN", "--other-token", "OTHER_API_TOKEN"],
    "futurity": ["--token", "YOUR_TOKEN", "--other-token", "OTHER_TOKEN"],
}
VERDICTS = {0: "conforms", 1: "VIOLATIONS", 2: "UNUSABLE"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_mock(port: int, state: Path) -> subprocess.Popen[bytes]:
    tool = Path(sys.executable).with_name("mockserver")
    server = subprocess.Popen([str(tool), "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--store", str(state)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/__mock__/", timeout=1).ok:
                return server
        except requests.ConnectionError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the mock did not start within 60 s")


def timed_run(root: str, contract: str, base_url: str, profile: str, seed: int,
              fast_forward: bool = True) -> tuple[float, int]:
    """Seconds one `conformance run` takes, and its exit code."""
    requests.post(f"{root}/__mock__/reset", timeout=10).raise_for_status()
    tool = Path(sys.executable).with_name("conformance")
    started = time.perf_counter()
    finished = subprocess.run([str(tool), "run", contract, "--base-url", base_url,
                               *CREDENTIALS[contract], "--profile", profile, "--seed", str(seed),
                               *(["--fast-forward"] if fast_forward else [])],
                              capture_output=True, timeout=3600)
    return time.perf_counter() - started, finished.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deep", action="store_true", help="Also time the deep profile.")
    parser.add_argument("--real-time", action="store_true",
                        help="Also time the standard profile without --fast-forward.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--contracts", default=",".join(CREDENTIALS))
    args = parser.parse_args()
    profiles = ["quick", "standard", *(["deep"] if args.deep else [])]
    columns = [*profiles, *(["standard, real time"] if args.real_time else [])]
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as work:
        server = start_mock(port, Path(work) / "state.sqlite3")
        try:
            vendors = requests.get(f"{root}/__mock__/", timeout=10).json()["vendors"]
            print(f"conformance run wall time, seconds ({os.cpu_count()} cores, seed {args.seed})")
            print(f"| contract | {' | '.join(columns)} |")
            print(f"| --- |{' ---: |' * len(columns)}")
            for contract in args.contracts.split(","):
                cells = []
                for profile in profiles:
                    seconds, code = timed_run(root, contract, vendors[contract]["base_url"],
                                              profile, args.seed)
                    cells.append(f"{seconds:.1f} ({VERDICTS.get(code, code)})")
                if args.real_time:
                    seconds, code = timed_run(root, contract, vendors[contract]["base_url"],
                                              "standard", args.seed, fast_forward=False)
                    cells.append(f"{seconds:.1f} ({VERDICTS.get(code, code)})")
                print(f"| {contract} | {' | '.join(cells)} |", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
