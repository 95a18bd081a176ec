"""Calls per second of authenticated Further AI polls with `requests`: intercepted in-process vs
the same calls to a live mock on loopback (threaded werkzeug), plus the bare WSGI app for scale;
each with the journal's request detail on (the default) and off. The baseline is `responses`
itself answering the same URL with the same fixed body and no mock behind it: the least any
interception through `requests` and `responses` costs, which the in-process figure is printed
as a share of.

    python benchmarks/interception.py [--calls 3000] [--rounds 5] [--vendors ...] [--profile]

`--profile` prints where the intercepted calls spend their time (cProfile, cumulative).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from collections.abc import Callable

import requests
import responses
from werkzeug.test import Client

from mockserver import Mock, MockConfig, create_app
from mockserver.testing.intercept import intercept
from mockserver.testing.live import LiveServer

EXECUTIONS = "/api/v1/workflow-builder/workflows/wf-1/executions"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF"
INTERCEPTED = "requests -> responses -> mock (in-process)"
BARE = "requests -> responses -> fixed body (baseline)"


def start_run(session: requests.Session, base: str) -> tuple[str, dict[str, str]]:
    """A token and a running execution; returns the poll URL and the auth header."""
    token = session.post(f"{base}/api/v1/oauth2/access_token", timeout=5,
                         json={"client_id": "YOUR_CLIENT_ID",
                               "client_secret": "YOUR_CLIENT_SECRET"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    started = session.post(f"{base}{EXECUTIONS}", headers=headers, timeout=5,
                           files=[("files", ("policy.pdf", PDF, "application/pdf"))])
    return f"{base}{EXECUTIONS}/{started.json()['workflow_execution_id']}", headers


def rate(calls: int, call: Callable[[], int]) -> tuple[float, float]:
    """Calls per second, and the process's CPU microseconds per call: on a machine shared
    with other work the second varies far less than the first."""
    for _ in range(min(200, calls)):  # warm up
        assert call() == 200
    began, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        call()
    return (calls / (time.perf_counter() - began),
            (time.process_time() - cpu) / calls * 1_000_000)


def measure(config: MockConfig, calls: int, profiler: cProfile.Profile | None
            ) -> dict[str, tuple[float, float]]:
    """Calls per second and CPU per call of each path for one configuration of the mock."""
    results: dict[str, tuple[float, float]] = {}
    with intercept(config=config) as intercepted, requests.Session() as session:
        intercepted.handle.freeze()  # the run stays `running`: every poll does the same work
        url, headers = start_run(session, "https://api.further.ai")
        poll = lambda: session.get(url, headers=headers, timeout=5).status_code  # noqa: E731
        body = session.get(url, headers=headers, timeout=5).json()
        results[INTERCEPTED] = rate(calls, poll)
        if profiler is not None:
            profiler.runcall(lambda: [poll() for _ in range(calls)])
    with responses.RequestsMock() as bare, requests.Session() as session:
        bare.get(url, json=body)
        results[BARE] = rate(
            calls, lambda: session.get(url, headers=headers, timeout=5).status_code)

    mock = Mock(config)
    mock.clock.freeze()
    with LiveServer(mock) as live, requests.Session() as session:
        url, headers = start_run(session, live.base_url("further"))
        results["requests -> werkzeug on loopback (live)"] = rate(
            calls, lambda: session.get(url, headers=headers, timeout=5).status_code)
        client = Client(create_app(mock=mock))
        path = url.removeprefix(live.url)
        results["werkzeug test client -> mock (no HTTP client)"] = rate(
            calls, lambda: client.get(path, headers=headers).status_code)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--vendors", nargs="*", default=["further"],
                        help="vendors the mock serves and intercepts (default: further)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    profiler = cProfile.Profile() if options.profile else None
    # request detail in the journal (the default) against the verdict only, alternating for
    # several rounds: on a shared machine a single round says more about the neighbours
    configs = {"on": MockConfig(contracts=options.vendors),
               "off": MockConfig(contracts=options.vendors, journal={"detail": False})}
    rounds: dict[str, list[dict[str, tuple[float, float]]]] = {"on": [], "off": []}
    for index in range(options.rounds):
        for detail, config in configs.items():
            chosen = profiler if detail == "on" and index == 0 else None
            rounds[detail].append(measure(config, options.calls, chosen))
    on, off = ({name: (statistics.median(result[name][0] for result in rounds[detail]),
                       statistics.median(result[name][1] for result in rounds[detail]))
                for name in rounds[detail][0]} for detail in ("on", "off"))

    print(f"{options.calls} authenticated polls of a running Further AI execution per path, "
          f"medians of {options.rounds} alternating rounds; vendors served: "
          f"{', '.join(options.vendors)}")
    print(f"  {'path':<48}{'calls/s on':>11}{'off':>7}{'CPU us/call on':>16}{'off':>7}"
          f"{'CPU on / off':>14}")
    for name, (calls_on, cpu_on) in on.items():
        calls_off, cpu_off = off[name]
        print(f"  {name:<48}{calls_on:>11.0f}{calls_off:>7.0f}{cpu_on:>16.0f}{cpu_off:>7.0f}"
              f"{cpu_on / cpu_off:>14.0%}")
    for detail, figures in (("on", on), ("off", off)):
        print(f"  in-process through the mock, detail {detail}: "
              f"{figures[INTERCEPTED][0] / figures[BARE][0]:.0%} of the baseline's calls/s")
    if profiler is not None:
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(35)
        print(report.getvalue())


if __name__ == "__main__":
    main()
