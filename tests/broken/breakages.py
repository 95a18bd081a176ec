"""A breakage: one deliberate contract violation, applied to a vendor's traffic by WSGI middleware.

The middleware sits in front of the mock, so the mock's own strict response check still sees the
conforming answer; only the client sees the broken one. A breakage is a function of one `Call`:
it may change the request before `call.forward()` hands it to the mock, change or replace the
reply after, and send extra requests of its own with `call.inner()`.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import EnvironHeaders, Headers
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wsgi import get_input_stream

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


@dataclass
class Reply:
    """A response on its way back to the client."""

    status: int
    headers: Headers
    body: bytes

    @property
    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        if "json" not in self.headers.get("Content-Type", ""):
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def set_json(self, value: Any, status: int | None = None) -> Reply:
        self.body = json.dumps(value).encode()
        self.headers["Content-Type"] = "application/json"
        self.status = status or self.status
        return self


@dataclass
class Call:
    """One request to the vendor, below its base URL, and the way on to the real mock."""

    method: str
    path: str
    query: str
    headers: Headers
    body: bytes
    state: dict[str, Any]
    send: Callable[[str, str, str, Headers, bytes], Reply]

    def forward(self) -> Reply:
        """The mock's answer to this request as it stands now."""
        return self.send(self.method, self.path, self.query, self.headers, self.body)

    def inner(self, method: str, path: str, headers: dict[str, str], body: Any = None,
              query: str = "") -> Reply:
        """Another request to the mock, e.g. as another tenant."""
        sent = Headers(headers)
        data = b""
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        return self.send(method, path, query, sent, data)

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def matches(self, method: str, pattern: str) -> re.Match[str] | None:
        """The path's match of `pattern` if the method is `method` (`*`: any)."""
        return re.fullmatch(pattern, self.path) if method in ("*", self.method) else None

    @property
    def bearer(self) -> str:
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" else ""


Handler = Callable[[Call], Reply]
Edit = Callable[[Any, Call], Any]


def edit_json(method: str, pattern: str, edit: Edit, statuses: range = range(200, 300)
              ) -> Handler:
    """Rewrite the JSON body of the mock's matching replies; `edit` may change it in place."""
    def handle(call: Call) -> Reply:
        reply = call.forward()
        body = reply.json
        if call.matches(method, pattern) and reply.status in statuses and body is not None:
            changed = edit(body, call)
            reply.set_json(body if changed is None else changed)
        return reply
    return handle


@dataclass(frozen=True)
class Breakage:
    """`family` is the conformance check family expected to catch the violation."""

    name: str
    vendor: str
    family: str
    description: str
    handle: Handler

    def __str__(self) -> str:
        return self.name


class Broken:
    """WSGI middleware: the vendor's requests below `prefix` go through the breakage."""

    def __init__(self, app: WSGIApplication, breakage: Breakage, prefix: str) -> None:
        self.app = app
        self.breakage = breakage
        self.prefix = prefix
        self.state: dict[str, Any] = {}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(self.prefix + "/"):
            return self.app(environ, start_response)
        body = get_input_stream(environ).read()
        call = Call(environ["REQUEST_METHOD"], path[len(self.prefix):],
                    environ.get("QUERY_STRING", ""), Headers(EnvironHeaders(environ)), body,
                    self.state, lambda *request: self._send(environ, *request))
        reply = self.breakage.handle(call)
        reply.headers["Content-Length"] = str(len(reply.body))
        start_response(f"{reply.status} {HTTP_STATUS_CODES.get(reply.status, 'Unknown')}",
                       list(reply.headers.items()))
        return [reply.body]

    def _send(self, environ: WSGIEnvironment, method: str, path: str, query: str,
              headers: Headers, body: bytes) -> Reply:
        inner = {k: v for k, v in environ.items()
                 if not k.startswith("HTTP_") and k not in ("CONTENT_TYPE", "CONTENT_LENGTH")}
        inner.update(REQUEST_METHOD=method, PATH_INFO=self.prefix + path, QUERY_STRING=query,
                     CONTENT_LENGTH=str(len(body)), **{"wsgi.input": io.BytesIO(body)})
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                inner[key] = value if key == "CONTENT_TYPE" else str(len(body))
            else:
                inner[f"HTTP_{key}"] = value
        captured: dict[str, Any] = {}

        def start(status: str, response_headers: list[tuple[str, str]], *_: Any) -> Any:
            captured["status"], captured["headers"] = int(status.split()[0]), response_headers
            return lambda data: None

        chunks = self.app(inner, start)
        try:
            content = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        headers_out = Headers([h for h in captured["headers"] if h[0].lower() != "content-length"])
        return Reply(captured["status"], headers_out, content)
