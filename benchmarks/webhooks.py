"""What webhooks cost: the extra write a create pays for watching its run, and how fast the
dispatcher sends signed deliveries to a receiver over a loopback socket.

    python benchmarks/webhooks.py [--runs 400] [--deliveries 300]

Creates are Further AI triggers through the Flask test client (no socket), nobody subscribed,
with the shipped contract and with a copy whose lifecycle declares no webhooks (best of three);
deliveries go to a threaded werkzeug receiver on 127.0.0.1 that answers 200, sent by
`Mock.deliver_due()` in one thread.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml
from werkzeug.serving import WSGIRequestHandler, make_server

import contracts
from mockserver import Mock, MockConfig, create_app
from mockserver.vendors.further import BEHAVIOUR as FURTHER

TOKEN = "/further/api/v1/oauth2/access_token"
EXECUTIONS = "/further/api/v1/workflow-builder/workflows/wf-1/executions"
PDF = b"%PDF-1.4\n%%EOF"


class Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def without_webhooks(folder: Path) -> str:
    document = yaml.safe_load(contracts.path("further").read_text(encoding="utf-8"))
    document.pop("webhooks")
    document["x-lifecycles"]["execution"].pop("webhooks")
    copy = folder / "further.yaml"
    copy.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return str(copy)


def creates(contract: str, store: str, runs: int) -> float:
    """Mean microseconds per trigger."""
    # the copy is no shipped contract: bind Further's vendor module to it explicitly
    mock = Mock(MockConfig(contracts=[contract], store=store), behaviours={"further": FURTHER})
    client = create_app(mock=mock).test_client()
    token = client.post(TOKEN, json={"client_id": "YOUR_CLIENT_ID",
                                     "client_secret": "YOUR_CLIENT_SECRET"}).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    def trigger() -> None:
        answer = client.post(EXECUTIONS, headers=headers, content_type="multipart/form-data",
                             data={"files": [(io.BytesIO(PDF), "a.pdf", "application/pdf")]})
        assert answer.status_code == 202, answer.get_data(as_text=True)

    for _ in range(20):
        trigger()  # warm up
    started = time.perf_counter()
    for _ in range(runs):
        trigger()
    return (time.perf_counter() - started) / runs * 1e6


def deliveries(store: str, count: int) -> tuple[float, float, float]:
    """(deliveries per second, p50 and p95 attempt latency in ms)."""
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    mock = Mock(MockConfig(contracts=["further"], store=store, webhooks={
        "subscriptions": [{"vendor": "further",
                           "url": f"http://127.0.0.1:{server.server_port}/hooks"}]}))
    mock.clock.freeze()
    client = create_app(mock=mock).test_client()
    token = client.post(TOKEN, json={"client_id": "YOUR_CLIENT_ID",
                                     "client_secret": "YOUR_CLIENT_SECRET"}).json["access_token"]
    for _ in range(count):
        client.post(EXECUTIONS, headers={"Authorization": f"Bearer {token}",
                                         "Prefer": "seconds=0"},
                    content_type="multipart/form-data",
                    data={"files": [(io.BytesIO(PDF), "a.pdf", "application/pdf")]})
    started = time.perf_counter()
    sent = mock.deliver_due()
    elapsed = time.perf_counter() - started
    server.shutdown()
    assert len(sent) == count and all(d.state == "delivered" for d in sent)
    latencies = sorted(d.attempts[0].latency_ms for d in sent)
    return count / elapsed, statistics.median(latencies), latencies[int(len(latencies) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--deliveries", type=int, default=300)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        plain = without_webhooks(Path(folder))
        print(f"Python {sys.version.split()[0]}; {options.runs} triggers, "
              f"{options.deliveries} deliveries per row")
        print(f"{'store':<8} {'create, no webhooks':>20} {'create, webhooks':>17} "
              f"{'deliveries/s':>13} {'p50 ms':>7} {'p95 ms':>7}")
        for name in ("memory", "sqlite"):
            before, after = [], []
            for attempt in range(3):  # alternated, best of three: the machine is shared
                fresh = "memory" if name == "memory" else str(Path(folder) / f"{attempt}.db")
                before.append(creates(plain, fresh, options.runs))
                fresh = "memory" if name == "memory" else str(Path(folder) / f"{attempt}w.db")
                after.append(creates("further", fresh, options.runs))
            store3 = "memory" if name == "memory" else str(Path(folder) / f"{name}3.sqlite3")
            rate, p50, p95 = deliveries(store3, options.deliveries)
            print(f"{name:<8} {min(before):>17.0f} µs {min(after):>14.0f} µs {rate:>13.0f} "
                  f"{p50:>7.2f} {p95:>7.2f}")


if __name__ == "__main__":
    main()
