"""Where the served mock's hot requests spend their time, in-process: Further AI's poll of a
completed execution, of a running one, and its multipart create, each a call of the WSGI app as
`serve` builds it (SQLite store, strict responses, the journal with each request's detail) with
the environ a server would pass (no HTTP, no test client), profiled with cProfile. Prints the
calls per second and CPU per call without the profiler, then the functions that cost most (own
time, and cumulative).

    python benchmarks/hot_path.py [--calls 3000] [--top 25] [--store sqlite|memory|redis]
    python benchmarks/hot_path.py --latency [--calls 30000] [--store ...]

`--latency` times each poll of a completed execution instead, one after another in one thread,
and prints the percentiles of the wall time per call: the journal's batch writes show there. The
app is frozen for the garbage collector as `serve`'s workers freeze it.
`--store redis` starts a private `redis-server` (needs redis-server on the PATH).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from store_backends import redis_server
from werkzeug.test import Client, EnvironBuilder

from mockserver import MockConfig, create_app
from mockserver.web.worker import frozen

EXECUTIONS = "/further/api/v1/workflow-builder/workflows/wf-1/executions"
PDF = b"%PDF-1.4"


def requests_for(app: Any) -> dict[str, Callable[[], int]]:
    """The poll and the create, each a call of the app returning the status."""
    client = Client(app)
    token = client.post("/further/api/v1/oauth2/access_token",
                        json={"client_id": "YOUR_CLIENT_ID",
                              "client_secret": "YOUR_CLIENT_SECRET"}).json["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    started = client.post(EXECUTIONS, headers={**auth, "Prefer": "polls=1"},
                          data={"files": [(io.BytesIO(PDF), "a.pdf", "application/pdf")]})
    poll = f"{EXECUTIONS}/{started.json['workflow_execution_id']}"
    assert client.get(poll, headers=auth).json["status"] == "completed"
    running = client.post(EXECUTIONS, headers={**auth, "Prefer": "seconds=86400"},
                          data={"files": [(io.BytesIO(PDF), "a.pdf", "application/pdf")]})
    live = f"{EXECUTIONS}/{running.json['workflow_execution_id']}"
    assert client.get(live, headers=auth).json["status"] == "running"
    # the same bytes as the served benchmarks' create (poll_endpoint.CREATE_SCRIPT)
    body = (b'--bench\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--bench--\r\n")
    content_type = "multipart/form-data; boundary=bench"
    polling = EnvironBuilder(path=poll, headers=auth).get_environ()
    polling_live = EnvironBuilder(path=live, headers=auth).get_environ()
    creating = EnvironBuilder(path=EXECUTIONS, method="POST", headers=auth, data=body,
                              content_type=content_type).get_environ()

    def call(environ: dict[str, Any], data: bytes = b"") -> int:
        answered: list[str] = []
        fresh = {**environ, "wsgi.input": io.BytesIO(data)}
        for _ in app(fresh, lambda status, headers, *info: answered.append(status)):
            pass
        return int(answered[0].split()[0])

    return {"poll": lambda: call(polling), "poll-running": lambda: call(polling_live),
            "create": lambda: call(creating, body)}


def rate(call: Callable[[], int], calls: int) -> tuple[float, float]:
    """Calls per second and CPU microseconds per call."""
    for _ in range(min(200, calls)):
        assert call() in (200, 201, 202)
    began, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        call()
    return calls / (time.perf_counter() - began), (time.process_time() - cpu) / calls * 1e6


def print_latency(call: Callable[[], int], calls: int, store: str) -> None:
    """Percentiles of the wall time of `calls` calls in a row, after a warm-up."""
    for _ in range(1000):
        call()
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1e6)
    times.sort()
    shown = ", ".join(f"p{label} {times[int(len(times) * share)]:,.0f}"
                      for label, share in (("50", 0.5), ("99", 0.99), ("99.9", 0.999)))
    print(f"poll of a completed execution, {calls:,} calls in one thread ({store} store): "
          f"{shown}, max {times[-1]:,.0f} us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--store", choices=["sqlite", "memory", "redis"], default="sqlite")
    parser.add_argument("--latency", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        store = {"sqlite": str(Path(folder) / "hot.sqlite3"), "memory": "memory"}.get(
            options.store) or stack.enter_context(redis_server(Path(folder)))
        calls = requests_for(frozen(create_app(MockConfig(contracts=["further"], store=store))))
        if options.latency:
            print_latency(calls["poll"], options.calls, options.store)
            return
        for name, call in calls.items():
            per_second, cpu = rate(call, options.calls)
            print(f"{name}: {per_second:,.0f} calls/s, {cpu:.0f} us CPU per call "
                  f"({options.store} store, no profiler)")
        for name, call in calls.items():
            profiler = cProfile.Profile()
            profiler.runcall(lambda call=call: [call() for _ in range(options.calls)])
            for order in ("tottime", "cumulative"):
                report = io.StringIO()
                stats = pstats.Stats(profiler, stream=report)
                stats.sort_stats(order).print_stats(options.top)
                text = report.getvalue()
                print(f"\n== {name}: {options.calls} calls, by {order} ==")
                print(text[text.index("   ncalls"):].rstrip())


if __name__ == "__main__":
    main()
