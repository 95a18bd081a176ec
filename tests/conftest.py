"""Fixtures shared by the mock's tests: the same test runs in-process and over a real socket."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from mockserver import Mock, MockConfig, create_app


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


class InProcess:
    """Requests through Flask's test client: no socket, exceptions propagate."""

    def __init__(self, mock: Mock) -> None:
        app = create_app(mock=mock)
        app.testing = True
        self.client = app.test_client()
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


@pytest.fixture
def config() -> MockConfig:
    """Override in a test module to change the mock's configuration."""
    return MockConfig()


@pytest.fixture
def mock(config: MockConfig) -> Mock:
    instance = Mock(config)
    instance.clock.freeze()
    return instance


@pytest.fixture(params=["in-process", "socket"])
def api(request: pytest.FixtureRequest, mock: Mock) -> Iterator[InProcess | OverSocket]:
    transport = InProcess(mock) if request.param == "in-process" else OverSocket(mock)
    yield transport
    if isinstance(transport, OverSocket):
        transport.close()
