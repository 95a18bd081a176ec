"""CPU per request of the mock's hot paths, in-process: figures a busy machine cannot scatter much.

Paths: Further AI's poll of a completed execution, of a running one, and its multipart create, each
a call of the WSGI app as `serve` builds it (strict responses, the journal with each request's
detail), on the SQLite store and on Redis (a private `redis-server` on loopback; the client's CPU
only, not redis-server's); and an authenticated poll through the pytest plugin's interception
(`requests` → `responses` → the mock). Wall-clock rates depend on the neighbours; process CPU time
much less, and instruction counts (`--instructions`, under valgrind's callgrind) not at all.

    python benchmarks/cpu_per_request.py [--calls 2000] [--rounds 5] [--paths ...]
    python benchmarks/cpu_per_request.py --instructions [--paths ...]

`--instructions` runs each path twice under callgrind (`--calls` and twice as many calls) and
prints the difference per call: start-up and warm-up cancel out. Slow: about a minute a path.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests
from hot_path import requests_for
from store_backends import redis_server

from mockserver import MockConfig, create_app
from mockserver.testing.intercept import intercept

PATHS = ("poll", "poll-running", "create", "intercept", "redis-poll", "redis-create")
WARM_UP = 200


@contextmanager
def paths(names: list[str]) -> Iterator[dict[str, Callable[[], int]]]:
    """Each named path as a call returning its status, ready to be called many times."""
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        found: dict[str, Callable[[], int]] = {}
        if {"poll", "poll-running", "create"} & set(names):
            app = create_app(MockConfig(contracts=["further"],
                                        store=str(folder / "cpu.sqlite3")))
            found.update(requests_for(app))
        if {"redis-poll", "redis-create"} & set(names):
            url = stack.enter_context(redis_server(folder))
            calls = requests_for(create_app(MockConfig(contracts=["further"], store=url)))
            found["redis-poll"], found["redis-create"] = calls["poll"], calls["create"]
        if "intercept" in names:
            found["intercept"] = stack.enter_context(intercepted_poll())
        yield {name: found[name] for name in names}


@contextmanager
def intercepted_poll() -> Iterator[Callable[[], int]]:
    """A poll of a completed Further AI execution by a test's `requests.Session`."""
    base = "https://api.further.ai/api/v1"
    with intercept("further") as mock, requests.Session() as session:
        token = session.post(f"{base}/oauth2/access_token", timeout=5, json={
            "client_id": "YOUR_CLIENT_ID", "client_secret": "YOUR_CLIENT_SECRET"}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "Prefer": "polls=1"}
        started = session.post(f"{base}/workflow-builder/workflows/wf-1/executions",
                               headers=headers, timeout=5,
                               files=[("files", ("a.pdf", b"%PDF-1.4", "application/pdf"))])
        url = (f"{base}/workflow-builder/workflows/wf-1/executions/"
               f"{started.json()['workflow_execution_id']}")
        del headers["Prefer"]
        mock.handle.freeze()
        yield lambda: session.get(url, headers=headers, timeout=5).status_code


def cpu_per_call(call: Callable[[], int], calls: int) -> float:
    """Microseconds of this process's CPU per call."""
    began = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - began) / calls * 1e6


def warm(call: Callable[[], int]) -> None:
    for _ in range(WARM_UP):
        status = call()
        assert status in (200, 201, 202), status


def run_only(name: str, calls: int) -> None:
    """One path, `calls` times after the warm-up: what callgrind counts."""
    with paths([name]) as found:
        warm(found[name])
        for _ in range(calls):
            found[name]()


def instructions(name: str, calls: int) -> float:
    """Instructions per call of one path: two callgrind runs, their difference per call."""
    counts = []
    with tempfile.TemporaryDirectory() as folder:
        for count in (calls, 2 * calls):
            out = Path(folder) / f"callgrind.{count}"
            subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                            sys.executable, __file__, "--only", name, "--calls", str(count)],
                           check=True, capture_output=True, cwd=Path(__file__).parent,
                           env={**os.environ, "PYTHONHASHSEED": "0"})  # the same dicts' layout
            summary = re.search(r"^summary: (\d+)", out.read_text(errors="replace"), re.M)
            assert summary is not None, f"no summary in {out}"
            counts.append(int(summary.group(1)))
    return (counts[1] - counts[0]) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=None,
                        help="calls per round (default 2000; 300 with --instructions)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--paths", nargs="*", choices=PATHS, default=list(PATHS))
    parser.add_argument("--instructions", action="store_true")
    parser.add_argument("--only", choices=PATHS, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.only:
        run_only(options.only, options.calls or 300)
        return
    if options.instructions:
        if shutil.which("valgrind") is None:
            parser.error("--instructions needs valgrind (Debian: apt-get install valgrind)")
        for name in options.paths:
            print(f"{name:<14}{instructions(name, options.calls or 300) / 1e3:>10,.0f} "
                  "thousand instructions per call", flush=True)
        return
    with paths(options.paths) as found:
        for call in found.values():
            warm(call)
        rounds: dict[str, list[float]] = {name: [] for name in found}
        for _ in range(options.rounds):  # alternating, so a busy moment falls on every path
            for name, call in found.items():
                rounds[name].append(cpu_per_call(call, options.calls or 2000))
    print(f"CPU per call, us: median (min-max) of {options.rounds} rounds of "
          f"{options.calls or 2000} calls")
    for name, figures in rounds.items():
        print(f"  {name:<14}{statistics.median(figures):>8.1f}  "
              f"({min(figures):.1f}-{max(figures):.1f})")
    for request in ("poll", "create"):
        if f"redis-{request}" in rounds and request in rounds:
            ratio = statistics.median(rounds[f"redis-{request}"]) / \
                statistics.median(rounds[request])
            print(f"  Redis / SQLite CPU, {request}: {ratio:.0%}")

if __name__ == "__main__":
    main()
