"""Request helpers shared by the tests: transports (in-process, over a socket) and the
vendors' most used calls, so that test modules never import each other."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import make_server
from werkzeug.test import Client

from mockserver import Mock, create_app

TESTS = Path(__file__).parent
"""The tests folder: shared fixtures files live below it."""


@dataclass
class Result:
    status: int
    headers: Any
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.text)


class InWsgi:
    """Requests through werkzeug's test client to any WSGI app (the mock's, the proxy's)."""

    def __init__(self, app: Any) -> None:
        self.client: Client = Client(app)
        self.base = ""

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                json: Any = None, data: Any = None, files: list[tuple] | None = None) -> Result:
        kwargs: dict[str, Any] = {"headers": headers or {}}
        if json is not None:
            kwargs["json"] = json
        if files is not None:
            form: dict[str, Any] = dict(data or {})
            for field, (name, content, content_type) in files:
                form.setdefault(field, []).append((io.BytesIO(content), name, content_type))
            kwargs["data"], kwargs["content_type"] = form, "multipart/form-data"
        elif data is not None:
            kwargs["data"] = data
        response = self.client.open(path, method=method, **kwargs)
        return Result(response.status_code, response.headers, response.get_data())


class InProcess(InWsgi):
    """Requests through Flask's test client: no socket, exceptions propagate."""

    def __init__(self, mock: Mock) -> None:
        app = create_app(mock=mock)
        app.testing = True
        self.client = app.test_client()
        self.base = ""


class AtUrl:
    """Requests with `requests` to a server already listening at `base`."""

    def __init__(self, base: str) -> None:
        self.base = base

    def request(self, method: str, path: str, **kwargs: Any) -> Result:
        response = requests.request(method, self.base + path, timeout=10, **kwargs)
        return Result(response.status_code, response.headers, response.content)


class OverSocket:
    """Requests with `requests` to the app served on a free loopback port."""

    def __init__(self, mock: Mock) -> None:
        self.server = make_server("127.0.0.1", 0, create_app(mock=mock), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.session = requests.Session()

    def request(self, method: str, path: str, **kwargs: Any) -> Result:
        response = self.session.request(method, self.base + path, timeout=10, **kwargs)
        return Result(response.status_code, response.headers, response.content)

    def close(self) -> None:
        self.server.shutdown()
        self.session.close()


# -- `mockserver serve` in a subprocess -------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """`mockserver serve` in a subprocess, ready once its health check answers; on `server`
    (granian or gunicorn) if given, else on serve's default. Its output goes to a file, not a
    pipe: a pipe nobody reads fills after some 64 KB of access log, and the server then blocks
    on its next log line."""

    def __init__(self, *args: str, cwd: Path, env: dict[str, str] | None = None,
                 server: str | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        chosen = ["--server", server] if server else []
        self.output = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed by __exit__)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--port", str(self.port), *chosen,
             *args],
            cwd=cwd, stdout=self.output, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            start_new_session=True,  # its own process group, so `kill` reaches the workers too
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{self.base}/__mock__/health", timeout=5).raise_for_status()
                return
            except requests.RequestException:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.stop()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> str:
        """Signal the server (its main process passes SIGTERM on to its workers); its output."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        self.process.wait(timeout=timeout)
        return self.printed()

    def kill(self) -> str:
        """SIGKILL the master and every worker at once, as a crash or an OOM kill would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        return self.printed()

    def printed(self) -> str:
        """Everything the server has printed so far."""
        self.output.seek(0)
        return self.output.read()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Whatever a test did, leave no server behind."""
        if self.process.poll() is None:
            self.kill()
        self.output.close()


def further_token(base: str) -> dict[str, str]:
    """A bearer token for Further AI's demo client from a served mock."""
    response = requests.post(f"{base}/further/api/v1/oauth2/access_token",
                             json={"client_id": "YOUR_CLIENT_ID",
                                   "client_secret": "YOUR_CLIENT_SECRET"}, timeout=5)
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


# -- Further AI -----------------------------------------------------------------------------

TOKEN = "/further/api/v1/oauth2/access_token"
EXECUTIONS = "/further/api/v1/workflow-builder/workflows/{workflow}/executions"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n2 0 obj << /Type /Page >> endobj\n%%EOF"


def token(api, client_id="YOUR_CLIENT_ID", secret="YOUR_CLIENT_SECRET") -> dict[str, str]:
    result = api.request("POST", TOKEN, json={"client_id": client_id, "client_secret": secret})
    assert result.status == 200, result.text
    return {"Authorization": f"Bearer {result.json()['access_token']}"}


def trigger(api, headers, workflow="wf-1", files=None, metadata=None, prefer=None):
    data = {"metadata": json.dumps(metadata)} if metadata is not None else None
    extra = {"Prefer": prefer} if prefer else {}
    return api.request("POST", EXECUTIONS.format(workflow=workflow), headers={**headers, **extra},
                       files=files or [("files", ("policy.pdf", PDF, "application/pdf"))],
                       data=data)


def poll(api, headers, execution_id, workflow="wf-1"):
    return api.request("GET", f"{EXECUTIONS.format(workflow=workflow)}/{execution_id}",
                       headers=headers)


# -- Futurity, reached each way a mount allows (web/mounts.py) -----------------------------

FUTURITY_KEY = {"Authorization": "Bearer YOUR_TOKEN"}
WAYS: dict[str, tuple[str, dict[str, str]]] = {
    "prefix": ("/futurity/v1", {}),
    "root": ("/v1", {}),
    "host": ("/v1", {"Host": "api.futurity.work"}),
}
"""Where Futurity's documented paths are reached, and the headers that reach them: below its
mount prefix, at the root (only when it is the one vendor), at its real host."""


def futurity_chat(api, way: str = "prefix") -> str:
    """A new chat's id, created the given way."""
    base, extra = WAYS[way]
    created = api.request("POST", f"{base}/chats", headers={**FUTURITY_KEY, **extra},
                          json={"title": f"by {way}"})
    assert created.status == 201, created.text
    return str(created.json()["data"]["id"])


def futurity_reads(api, chat: str) -> dict[str, list[tuple[int, Any]]]:
    """Each way in turn, the same reads: the chat, the list, an unknown chat; status and body."""
    answers: dict[str, list[tuple[int, Any]]] = {}
    for way, (base, extra) in WAYS.items():
        headers = {**FUTURITY_KEY, **extra}
        answers[way] = [(answer.status, answer.json()) for answer in (
            api.request("GET", f"{base}/chats/{chat}", headers=headers),
            api.request("GET", f"{base}/chats", headers=headers),
            api.request("GET", f"{base}/chats/chat_unknown", headers=headers))]
    return answers


# -- Phinite --------------------------------------------------------------------------------

KEY = {"Authorization": "Bearer workspace_api_key"}
OTHER = {"Authorization": "Bearer other_workspace_api_key"}
PAYLOAD = {"message": "start the task", "user_variables": {"key1": "value1", "key2": "value2"}}


def sync(api, environment="DEV", payload=PAYLOAD, headers=KEY, prefer=None):
    extra = {"Prefer": prefer} if prefer else {}
    return api.request("POST", f"/phinite/api/v1/ai/trigger/ws-1/tr-1/{environment}",
                       headers={**headers, **extra}, json=payload)


def start(api, environment="DEV", payload=PAYLOAD, headers=KEY, prefer=None):
    extra = {"Prefer": prefer} if prefer else {}
    return api.request("POST", f"/phinite/api/v1/ai/trigger/start/ws-1/tr-1/{environment}",
                       headers={**headers, **extra}, json=payload)


def status(api, workflow_id, headers=KEY, workspace="ws-1"):
    return api.request("GET", f"/phinite/api/v1/ai/trigger/status/{workspace}/{workflow_id}",
                       headers=headers)


# -- a webhook receiver on a free loopback port --------------------------------------------

class WebhookReceiver:
    """Records every POST it gets; answers `statuses` in turn (then 200), each after `delays`
    seconds in turn (then at once), so a test can make the first attempts fail or time out. A
    context manager; `url` is where to subscribe."""

    def __init__(self, statuses: tuple[int, ...] = (), delays: tuple[float, ...] = ()) -> None:
        self.statuses = list(statuses)
        self.delays = list(delays)
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        self._lock = threading.Lock()

        def app(environ, start_response):
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
            headers = {key[5:].replace("_", "-").title(): value
                       for key, value in environ.items() if key.startswith("HTTP_")}
            with self._lock:
                status = self.statuses.pop(0) if self.statuses else 200
                delay = self.delays.pop(0) if self.delays else 0.0
                self.received.append((headers, body, status))
            time.sleep(delay)
            start_response(f"{status} X", [("Content-Type", "text/plain")])
            return [b"ok"]

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def __enter__(self) -> WebhookReceiver:
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, count: int, timeout: float = 10.0) -> list[tuple[dict[str, str], bytes, int]]:
        """The first `count` requests, once they have come (fails after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, f"got {len(self.received)} of {count} webhooks"
        return self.received[:count]
