"""The granian worker's own parts: its responses once it is stopping."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

from werkzeug.test import Client

from mockserver import create_app
from mockserver.web import on_granian
from tests.helpers import Served

PHINITE_TRIGGER = "/phinite/api/v1/ai/trigger/ws/tr/DEV"
PHINITE = {"Authorization": "Bearer workspace_api_key"}


def test_a_stopping_worker_tells_every_client_to_close_its_connection() -> None:
    """granian closes a connection after a response that says so: a connection that missed
    granian's one stop notice then ends with its next request instead of serving on."""
    app, stopping = create_app(), threading.Event()
    client = Client(on_granian._ClosingWhenStopping(app, stopping))
    assert "Connection" not in client.get("/__mock__/health").headers
    stopping.set()
    answered = client.post(PHINITE_TRIGGER, json={"message": "m"}, headers=PHINITE)
    assert (answered.status_code, answered.headers.getlist("Connection")) == (200, ["close"])
    assert on_granian._ClosingWhenStopping(app, stopping).extensions is app.extensions


def test_each_worker_serves_its_app_closing_when_stopping(monkeypatch) -> None:
    monkeypatch.setattr(on_granian, "frozen", lambda app: app)  # not this test process's objects
    served = on_granian._load(create_app, True)
    assert isinstance(served, on_granian._ClosingWhenStopping)
    assert served.stopping is on_granian._STOPPING
    assert "mockserver" in served.extensions


def test_sigterm_marks_the_worker_stopping_before_the_handler_it_had() -> None:
    seen: list[bool] = []
    previous = signal.signal(signal.SIGTERM, lambda *_: seen.append(on_granian._STOPPING.is_set()))
    try:
        on_granian._marking_stopping_on_term()
        os.kill(os.getpid(), signal.SIGTERM)
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.01)
        assert seen == [True]
    finally:
        signal.signal(signal.SIGTERM, previous)
        on_granian._STOPPING.clear()


def test_a_kept_alive_connection_is_closed_by_a_stopping_granian(tmp_path: Path) -> None:
    """Over a real socket: a request in progress when the stop comes is answered, with one
    `Connection: close`, and the connection then ends. (granian says so itself on a connection
    its stop notice reached; the wrapper must add no second header and break nothing here.)"""
    (tmp_path / "mock.yaml").write_text("max_latency_seconds: 600\n", encoding="utf-8")
    with Served("phinite", "--config", "mock.yaml", "--workers", "1", cwd=tmp_path,
                server="granian") as server, \
            socket.create_connection(("127.0.0.1", server.port), timeout=20) as connection:
        body = b'{"message": "m"}'
        connection.sendall(b"POST %s HTTP/1.1\r\nHost: mock\r\nAuthorization: %s\r\n"
                           b"Prefer: latency=600000\r\nContent-Type: application/json\r\n"
                           b"Content-Length: %d\r\n\r\n%s"
                           % (PHINITE_TRIGGER.encode(), PHINITE["Authorization"].encode(),
                              len(body), body))
        time.sleep(1.0)  # the request is waiting out its latency
        stopping = threading.Thread(target=server.stop)
        stopping.start()
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
        stopping.join(30)
    head = received.split(b"\r\n\r\n", 1)[0].decode().lower()
    assert head.startswith("http/1.1 200") and "\r\nconnection: close" in head, head
    assert head.count("\r\nconnection:") == 1, head
    assert not stopping.is_alive()
