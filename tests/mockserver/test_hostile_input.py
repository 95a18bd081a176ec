"""Hostile input over a real socket, table-driven: every request is answered with a 4xx in the
vendor's own error format (the control API: 400/413 with a message), never a 5xx, on both
servers the mock runs on: gunicorn (`mockserver serve`) and werkzeug (`LiveServer`).

Badly framed bodies are written on raw sockets, since no HTTP client will send them.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from mockserver import LiveServer, Mock, MockConfig
from mockserver.engine.contract import Contract
from mockserver.engine.errors import error_body
from mockserver.web.server import SERVERS
from tests.helpers import PDF, Served

LIMIT = 64 * 1024
CAP_SECONDS = 0.2
SETTINGS = {"max_upload_bytes": LIMIT, "max_latency_seconds": CAP_SECONDS}


@dataclass(frozen=True)
class Server:
    port: int
    base: str
    name: str


@pytest.fixture(scope="module", params=[*SERVERS, "werkzeug"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    if request.param == "werkzeug":
        with LiveServer(Mock(MockConfig(**SETTINGS))) as live:
            yield Server(int(live.url.rsplit(":", 1)[1]), live.url, "werkzeug")
        return
    folder: Path = tmp_path_factory.mktemp("hostile")
    (folder / "mock.yaml").write_text(yaml.safe_dump(SETTINGS), encoding="utf-8")
    served = Served("--config", "mock.yaml", "--workers", "1", cwd=folder, server=request.param)
    try:
        yield Server(served.port, served.base, request.param)
    finally:
        output = served.stop()
        assert "Traceback" not in output, output


# -- the raw exchange ----------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def exchange(server: Server, data: bytes, *, half_close: bool = False) -> Answer | None:
    """Send raw bytes and read one response; None: the server refused at the transport level
    (closed or reset the connection without an answer)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered before it read everything: read that answer
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
            return Answer(response.status, response.headers, response.read())
        except (ConnectionResetError, http.client.RemoteDisconnected):
            return None


def frame(path: str, headers: dict[str, str], body: bytes, *, chunked: bool = False,
          raw_body: bytes | None = None, length: int | None = None) -> bytes:
    """An HTTP/1.1 request; `raw_body` is sent as it is after the headers (bad framing)."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close",
             *(f"{name}: {value}" for name, value in headers.items())]
    if raw_body is not None or chunked:
        lines.append("Transfer-Encoding: chunked")
        if raw_body is None:
            raw_body = b"".join(b"%x\r\n%s\r\n" % (len(part), part)
                                for part in _parts(body, 1024)) + b"0\r\n\r\n"
        payload = raw_body
    else:
        lines.append(f"Content-Length: {len(body) if length is None else length}")
        payload = body
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def _parts(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


# -- vendor requests -----------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    vendor: str
    operation: str
    path: str
    auth: str | None  # a bearer key; "token" for Further's OAuth2 token

    def headers(self, server: Server, content_type: str) -> dict[str, str]:
        headers = {"Content-Type": content_type}
        if self.auth == "token":
            token = requests.post(f"{server.base}/further/api/v1/oauth2/access_token",
                                  json={"client_id": "YOUR_CLIENT_ID",
                                        "client_secret": "YOUR_CLIENT_SECRET"}, timeout=10)
            headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        elif self.auth:
            headers["Authorization"] = f"Bearer {self.auth}"
        return headers

    def expect(self, answer: Answer | None, status: int | str) -> None:
        """A 4xx in the vendor's format: `status` where the operation declares it, else (and
        for "validation") the vendor's validation status."""
        assert answer is not None, "no answer"
        operation = Contract(self.vendor).operations[self.operation]
        wanted = status if isinstance(status, int) and operation.declares(status) else \
            operation.error_format.validation.status
        assert answer.status == wanted, answer.body
        shape = error_body(operation.error_format, wanted, "message")
        assert set(answer.json()) == set(shape), answer.body


JSON_TARGETS = [
    Target("further", "createAccessToken", "/further/api/v1/oauth2/access_token", None),
    Target("futurity", "createChat", "/futurity/v1/chats", "YOUR_TOKEN"),
    Target("flowflow", "startWorkflow", "/flowflow/api/v1/workflow/start/wf-1",
           "REPLACE_API_TOKEN"),
    Target("phinite", "triggerFlow", "/phinite/api/v1/ai/trigger/ws-1/tr-1/DEV",
           "workspace_api_key"),
]
UPLOAD_TARGETS = [
    Target("further", "triggerWorkflowExecution",
           "/further/api/v1/workflow-builder/workflows/wf-1/executions", "token"),
    Target("futurity", "uploadVaultFile", "/futurity/v1/vault/files", "YOUR_TOKEN"),
]

DEEP_ARRAY = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
TOO_LARGE = json.dumps({"message": "x" * (LIMIT * 3)}).encode()

# (case, request builder, expected status or "validation", what the answer says)
Builder = Callable[[str, dict[str, str]], bytes]
JSON_CASES: list[tuple[str, Builder, int | str, bytes]] = [
    ("nested 10,000 deep", lambda p, h: frame(p, h, DEEP_ARRAY), "validation", b"nested"),
    ("objects nested 5,000 deep", lambda p, h: frame(p, h, DEEP_OBJECT), "validation",
     b"nested"),
    ("deep and chunked", lambda p, h: frame(p, h, DEEP_ARRAY, chunked=True), "validation",
     b"nested"),
    ("not JSON", lambda p, h: frame(p, h, b"{nope"), "validation", b"JSON"),
    ("not UTF-8", lambda p, h: frame(p, h, b'{"message": "\xff\xfe"}'), "validation", b"JSON"),
    ("NaN", lambda p, h: frame(p, h, b'{"message": NaN}'), "validation", b"JSON"),
    ("a number past a float", lambda p, h: frame(p, h, b'{"message": 1e999}'), "validation",
     b"JSON"),
    ("a 5,000-digit integer", lambda p, h: frame(p, h, b'{"message": 1' + b"0" * 5000 + b"}"),
     "validation", b"JSON"),
    ("an unpaired surrogate", lambda p, h: frame(p, h, b'{"message": "\\ud800"}'), "validation",
     b"JSON"),
    ("a bad chunk size", lambda p, h: frame(p, h, b"", raw_body=b"zz\r\n{}\r\n0\r\n\r\n"), 400,
     b"Malformed"),
    ("a chunk without its CRLF", lambda p, h: frame(p, h, b"", raw_body=b"2\r\n{}XX0\r\n\r\n"),
     400, b"Malformed"),
    ("too large with a length", lambda p, h: frame(p, h, TOO_LARGE), 413, b"larger"),
    ("too large and chunked", lambda p, h: frame(p, h, TOO_LARGE, chunked=True), 413,
     b"larger"),
    ("Prefer: seconds=1e999",
     lambda p, h: frame(p, {**h, "Prefer": "seconds=1e999"}, b"{}"), "validation", b"seconds"),
    ("Prefer: seconds=nan", lambda p, h: frame(p, {**h, "Prefer": "seconds=nan"}, b"{}"),
     "validation", b"seconds"),
]


CUT_SHORT_BY_GRANIAN = {"a bad chunk size", "a chunk without its CRLF"}


@pytest.mark.parametrize("target", JSON_TARGETS, ids=lambda t: t.vendor)
@pytest.mark.parametrize(("case", "build", "status", "says"), JSON_CASES,
                         ids=[c[0] for c in JSON_CASES])
def test_hostile_json_bodies_get_the_vendors_4xx(server: Server, target: Target, case: str,
                                                 build: Builder, status: int | str,
                                                 says: bytes) -> None:
    answer = exchange(server, build(target.path, target.headers(server, "application/json")))
    if server.name == "granian" and case in CUT_SHORT_BY_GRANIAN:
        # granian ends the body at the framing error and hands the app what came before it,
        # never an error: the mock can only judge that (docs/servers.md)
        assert answer is not None and 200 <= answer.status < 500, answer
        return
    target.expect(answer, status)
    assert answer is not None and says in answer.body


def test_a_truncated_chunked_body_is_refused_not_crashed_on(server: Server) -> None:
    target = JSON_TARGETS[3]
    request = frame(target.path, target.headers(server, "application/json"), b"",
                    raw_body=b"100\r\n{\"message\": ")
    answer = exchange(server, request, half_close=True)
    if answer is not None:  # or the transport refused it: both are fine, a 5xx is not
        target.expect(answer, 400)
    assert requests.get(f"{server.base}/__mock__/health", timeout=10).status_code == 200


def _multipart(size: int) -> tuple[bytes, str]:
    boundary = "hostileboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
            f"filename=\"big.pdf\"\r\nContent-Type: application/pdf\r\n\r\n").encode()
    body += PDF + b"0" * size + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("target", UPLOAD_TARGETS, ids=lambda t: t.vendor)
@pytest.mark.parametrize("chunked", [False, True], ids=["with a length", "chunked"])
def test_an_oversized_upload_is_413_however_it_is_framed(server: Server, target: Target,
                                                         chunked: bool) -> None:
    body, content_type = _multipart(LIMIT * 3)
    if target.vendor == "futurity":
        body = body.replace(b'name="files"', b'name="file"')
    request = frame(target.path, target.headers(server, content_type), body, chunked=chunked)
    target.expect(exchange(server, request), 413)


@pytest.mark.parametrize("target", UPLOAD_TARGETS, ids=lambda t: t.vendor)
def test_an_upload_within_the_limit_works_chunked_too(server: Server, target: Target) -> None:
    body, content_type = _multipart(LIMIT // 4)
    if target.vendor == "futurity":
        body = body.replace(b'name="files"', b'name="file"')
    answer = exchange(server, frame(target.path, target.headers(server, content_type), body,
                                    chunked=True))
    assert answer is not None and answer.status in (201, 202), answer and answer.body


@pytest.mark.parametrize("target", UPLOAD_TARGETS, ids=lambda t: t.vendor)
def test_a_badly_chunked_upload_is_400(server: Server, target: Target) -> None:
    _, content_type = _multipart(0)
    request = frame(target.path, target.headers(server, content_type), b"",
                    raw_body=b"-5\r\nabc\r\n0\r\n\r\n")
    target.expect(exchange(server, request), 400)


def test_a_day_of_prefer_latency_is_cut_to_the_cap(server: Server) -> None:
    target = JSON_TARGETS[3]
    request = frame(target.path, {**target.headers(server, "application/json"),
                                  "Prefer": "latency=86400000"}, b'{"message": "hi"}')
    answer = exchange(server, request)
    assert answer is not None and answer.status == 200
    assert answer.headers["Preference-Applied"] == f"latency={round(CAP_SECONDS * 1000)}"


def test_an_injected_latency_of_years_is_cut_to_the_cap(server: Server) -> None:
    rule = {"kinds": ["latency"], "latency_ms": 10**12, "vendor": "phinite", "times": 1}
    assert requests.post(f"{server.base}/__mock__/faults", json=rule, timeout=10).status_code \
        == 201
    try:
        target = JSON_TARGETS[3]
        answer = exchange(server, frame(target.path, target.headers(server, "application/json"),
                                        b'{"message": "hi"}'))
        assert answer is not None and answer.status == 200
    finally:
        requests.delete(f"{server.base}/__mock__/faults", timeout=10)


# -- the control API -----------------------------------------------------------------------

def control(path: str, body: bytes, **options: Any) -> Builder:
    return lambda _p, _h: frame(f"/__mock__/{path}", {"Content-Type": "application/json"}, body,
                                **options)


CONTROL_CASES: list[tuple[str, Builder, int]] = [
    ("advance by 1e999 seconds", control("clock/advance", b'{"seconds": 1e999}'), 400),
    ("advance by NaN", control("clock/advance", b'{"seconds": NaN}'), 400),
    ("advance by Infinity", control("clock/advance", b'{"seconds": Infinity}'), 400),
    ("advance past the year 9000", control("clock/advance", b'{"seconds": 1e300}'), 400),
    ("advance backwards", control("clock/advance", b'{"seconds": -5}'), 400),
    ("advance by a word", control("clock/advance", b'{"seconds": "soon"}'), 400),
    ("no JSON", control("clock/advance", b"seconds=5"), 400),
    ("an unpaired surrogate", control("scenarios", b'{"outcome": "\\udfff"}'), 400),
    ("a list", control("clock/advance", b"[1, 2]"), 400),
    ("nested 10,000 deep", control("clock/advance", DEEP_ARRAY), 400),
    ("a bad chunk size", control("clock/advance", b"", raw_body=b"zz\r\n{}\r\n0\r\n\r\n"), 400),
    ("too large", control("faults", TOO_LARGE), 413),
    ("too large and chunked", control("faults", TOO_LARGE, chunked=True), 413),
    ("a scenario of endless seconds", control("scenarios", b'{"seconds": 1e999}'), 400),
    ("a fault rule of an unknown kind", control("faults", b'{"kinds": ["boom"]}'), 400),
    ("a fault rate of NaN", control("faults", b'{"kinds": ["500"], "rate": NaN}'), 400),
    ("a run forced to no state", control("runs/phinite/nope/state", b"{}"), 400),
    ("a run that is not there", control("runs/phinite/nope/state", b'{"state": "x"}'), 404),
    ("a fault rule nested 10,000 deep", control("faults", DEEP_ARRAY), 400),
    ("a webhook subscription nested 10,000 deep",
     control("webhooks/subscriptions", DEEP_ARRAY), 400),
    ("a webhook subscription that is not JSON", control("webhooks/subscriptions", b"{no"), 400),
    ("a webhook fault nested 10,000 deep", control("webhooks/faults", DEEP_ARRAY), 400),
    ("a webhook delay of Infinity",
     control("webhooks/faults", b'{"kind": "delay", "seconds": Infinity}'), 400),
]


@pytest.mark.parametrize(("case", "build", "status"), CONTROL_CASES,
                         ids=[c[0] for c in CONTROL_CASES])
def test_hostile_control_requests_get_a_4xx_with_a_message(server: Server, case: str,
                                                           build: Builder, status: int) -> None:
    answer = exchange(server, build("", {}))
    assert answer is not None and answer.status == status, answer and answer.body
    assert isinstance(answer.json()["error"], str)


def test_the_clock_and_writes_still_work_after_the_hostile_requests(server: Server) -> None:
    clock = requests.get(f"{server.base}/__mock__/clock", timeout=10)
    assert clock.status_code == 200 and clock.json()["now"] < 1e12
    huge = requests.get(f"{server.base}/__mock__/journal?limit=99999999999999999999999",
                        timeout=10)
    assert huge.status_code == 400 and "limit" in huge.text
    assert requests.get(f"{server.base}/__mock__/journal", timeout=10).status_code == 200
    created = requests.post(f"{server.base}/futurity/v1/chats", json={"title": "after"},
                            headers={"Authorization": "Bearer YOUR_TOKEN"}, timeout=10)
    assert created.status_code == 201, created.text
