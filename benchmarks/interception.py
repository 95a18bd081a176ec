"""Calls per second of authenticated Further AI polls with `requests`: intercepted in-process vs
the same calls to a live mock on loopback (threaded werkzeug), plus the bare WSGI app for scale.

    python benchmarks/interception.py [--calls 3000] [--vendors further phinite ...] [--profile]

`--profile` prints where the intercepted calls spend their time (cProfile, cumulative).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections.abc import Callable

import requests
from werkzeug.test import Client

from mockserver import Mock, MockConfig, create_app
from mockserver.testing.intercept import intercept
from mockserver.testing.live import LiveServer

EXECUTIONS = "/api/v1/workflow-builder/workflows/wf-1/executions"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF"


def start_run(session: requests.Session, base: str) -> tuple[str, dict[str, str]]:
    """A token and a running execution; returns the poll URL and the auth header."""
    token = session.post(f"{base}/api/v1/oauth2/access_token", timeout=5,
                         json={"client_id": "YOUR_CLIENT_ID",
                               "client_secret": "YOUR_CLIENT_SECRET"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    started = session.post(f"{base}{EXECUTIONS}", headers=headers, timeout=5,
                           files=[("files", ("policy.pdf", PDF, "application/pdf"))])
    return f"{base}{EXECUTIONS}/{started.json()['workflow_execution_id']}", headers


def rate(calls: int, call: Callable[[], int]) -> float:
    for _ in range(min(200, calls)):  # warm up
        assert call() == 200
    began = time.perf_counter()
    for _ in range(calls):
        call()
    return calls / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--vendors", nargs="*", default=["further"],
                        help="vendors the mock serves and intercepts (default: further)")
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    config = MockConfig(contracts=options.vendors)
    results: dict[str, float] = {}

    with intercept(config=config) as intercepted, requests.Session() as session:
        intercepted.handle.freeze()  # the run stays `running`: every poll does the same work
        url, headers = start_run(session, "https://api.further.ai")
        poll = lambda: session.get(url, headers=headers, timeout=5).status_code  # noqa: E731
        results["requests -> responses -> mock (in-process)"] = rate(options.calls, poll)
        if options.profile:
            profiler = cProfile.Profile()
            profiler.runcall(lambda: [poll() for _ in range(options.calls)])

    mock = Mock(config)
    mock.clock.freeze()
    with LiveServer(mock) as live, requests.Session() as session:
        url, headers = start_run(session, live.base_url("further"))
        results["requests -> werkzeug on loopback (live)"] = rate(
            options.calls, lambda: session.get(url, headers=headers, timeout=5).status_code)
        client = Client(create_app(mock=mock))
        path = url.removeprefix(live.url)
        results["werkzeug test client -> mock (no HTTP client)"] = rate(
            options.calls, lambda: client.get(path, headers=headers).status_code)

    print(f"{options.calls} authenticated polls of a running Further AI execution; "
          f"vendors served: {', '.join(mock.vendors)}")
    for name, figure in results.items():
        print(f"  {name:<48}{figure:>8.0f} calls/s  {1000 / figure:>6.2f} ms/call")
    if options.profile:
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(35)
        print(report.getvalue())


if __name__ == "__main__":
    main()
