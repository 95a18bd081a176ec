"""Running the validation proxy in a test: on a free loopback port, in front of any upstream."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from mockserver.proxy import ProxyApp, ProxyConfig, Route

FURTHER = "/further/api/v1"
FLOWFLOW_WORKFLOW = "67bd80ba-d392-4291-954c-587c161fabfb"
FLOWFLOW_TOKEN = {"Authorization": "Bearer REPLACE_API_TOKEN"}
PHINITE_KEY = {"Authorization": "Bearer workspace_api_key"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF"


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def proxy(routes: dict[str, str], **settings: Any) -> Iterator[tuple[str, ProxyApp]]:
    """A proxy of `contract -> upstream URL`; yields its root URL and the app."""
    app = ProxyApp(ProxyConfig(routes=[Route(contract=c, upstream=u) for c, u in routes.items()],
                               **settings))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def further_token(base: str) -> dict[str, str]:
    answer = requests.post(f"{base}{FURTHER}/oauth2/access_token", timeout=10,
                           json={"client_id": "YOUR_CLIENT_ID",
                                 "client_secret": "YOUR_CLIENT_SECRET"})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def further_session(base: str, polls: int = 2, extra_polls: int = 1,
                    metadata: str | None = None) -> list[requests.Response]:
    """Token, trigger, and polls until the run is terminal, then `extra_polls` more."""
    headers = further_token(base)
    data = {"metadata": metadata} if metadata else None
    created = requests.post(f"{base}{FURTHER}/workflow-builder/workflows/wf-1/executions",
                            headers={**headers, "Prefer": f"polls={polls}"}, timeout=10,
                            files=[("files", ("policy.pdf", PDF, "application/pdf"))], data=data)
    answers = [created]
    if created.status_code >= 300:
        return answers
    url = (f"{base}{FURTHER}/workflow-builder/workflows/wf-1/executions/"
           f"{created.json()['workflow_execution_id']}")
    for _ in range(polls + extra_polls):
        answers.append(requests.get(url, headers=headers, timeout=10))
    return answers


def flowflow_session(base: str, polls: int = 2) -> list[requests.Response]:
    """Start the docs' workflow and follow its `progress_api_url` below `base`."""
    started = requests.post(f"{base}/flowflow/api/v1/workflow/start/{FLOWFLOW_WORKFLOW}",
                            json={"input": "Who is the president of the USA in 2023?"},
                            headers={**FLOWFLOW_TOKEN, "Prefer": f"polls={polls}"}, timeout=10)
    answers = [started]
    progress = started.json().get("progress_api_url", "")
    path = progress[progress.index("/flowflow/"):] if "/flowflow/" in progress else ""
    for _ in range(polls + 1):
        answers.append(requests.get(base + path, headers=FLOWFLOW_TOKEN, timeout=10))
    return answers


FUTURITY = "/futurity/v1"
FUTURITY_ME = {"Authorization": "Bearer YOUR_TOKEN"}
FUTURITY_OTHER = {"Authorization": "Bearer OTHER_TOKEN"}


def futurity_session(base: str) -> None:
    """Chats of two tenants: create, read, list (as both), delete, read again, an unknown id."""
    chats = f"{base}{FUTURITY}/chats"
    mine = requests.post(chats, json={"title": "mine"}, headers=FUTURITY_ME, timeout=10)
    requests.post(chats, json={"title": "theirs"}, headers=FUTURITY_OTHER, timeout=10)
    chat = f"{chats}/{mine.json()['data']['id']}"
    requests.get(chat, headers=FUTURITY_ME, timeout=10)
    requests.get(chat, headers=FUTURITY_OTHER, timeout=10)
    requests.get(chats, headers=FUTURITY_ME, timeout=10)
    requests.get(chats, headers=FUTURITY_OTHER, timeout=10)
    requests.get(f"{chats}?limit=1", headers=FUTURITY_ME, timeout=10)
    requests.delete(chat, headers=FUTURITY_ME, timeout=10)
    requests.get(chat, headers=FUTURITY_ME, timeout=10)
    requests.get(f"{chats}/chat_unknown", headers=FUTURITY_ME, timeout=10)
