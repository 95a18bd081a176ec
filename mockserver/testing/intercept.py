"""Serve vendors at their real base URLs inside the test process: client code runs unchanged.

`requests` is intercepted with `responses`, `httpx` with `respx` (when installed). Each request
to a vendor's real base URL (its contract's first `servers` URL), or to a link the mock hands out
on that host (a signed download URL), is handed to the mock's WSGI app
with its real scheme, host, path, query, headers and body, so the app's host-based dispatch
serves it at the documented path; no socket is opened. Every other request follows those
libraries' own rules: refused, unless its URL starts with a `passthrough` prefix.

    with intercept("further") as further:
        further.handle.force_next("failed")
        run_my_client()            # calls https://api.further.ai/... as in production

`requests-mock-flask` was the first choice for the bridge, but its test-client request carries
neither the real host nor the scheme (everything arrives as `http://localhost`), and the
overlapping URL patterns it registers for every Flask rule are popped from `responses`'
first-match registry as calls go by; hence the callback below over werkzeug's environ builder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, ContextDecorator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import responses
from flask import Flask
from werkzeug.test import run_wsgi_app

from mockserver.config import MockConfig
from mockserver.engine.downloads import PATH as DOWNLOADS_PATH
from mockserver.mock import Mock
from mockserver.testing.handle import MockHandle
from mockserver.testing.proxy_lookup import skipping_proxy_lookup
from mockserver.testing.wsgi_environ import request_environ
from mockserver.web.app import create_app

if TYPE_CHECKING:
    import httpx
    import respx
    from requests import PreparedRequest

__all__ = ["METHODS", "Intercepted", "intercept"]

Prefix = str | re.Pattern[str]
# `responses` matches one method per registration; these are all a client may send
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


def intercept(*vendors: str, config: MockConfig | None = None, mock: Mock | None = None,
              passthrough: Iterable[Prefix] = ()) -> Intercepted:
    """Intercept calls to these vendors' real base URLs (all the mock serves if none named).

    Give a `config` to build a fresh mock (limited to `vendors` if it names no contracts), or an
    existing `mock` to share its state; `passthrough` URL prefixes (or compiled patterns) reach
    the network, everything else not intercepted is refused.
    """
    if mock is not None and config is not None:
        raise ValueError("give either a config or a mock, not both")
    if mock is None:
        config = config or MockConfig()
        if vendors and not config.contracts:
            config = config.model_copy(update={"contracts": list(vendors)})
        mock = Mock(config)
    for vendor in vendors:
        mock.check_vendor(vendor)
    return Intercepted(MockHandle(mock), vendors or tuple(mock.vendors), tuple(passthrough))


class Intercepted(ContextDecorator):
    """Interception of some vendors' real base URLs (`base_urls`) into the WSGI `app` of one
    mock; a context manager and a decorator. The mock keeps its state across entries, so a
    decorated function sees the runs of earlier calls unless it resets them (`handle.reset()`).
    """

    def __init__(self, handle: MockHandle, vendors: Sequence[str],
                 passthrough: Sequence[Prefix] = ()) -> None:
        self.handle = handle
        self.mock = handle.mock
        self.app: Flask = create_app(mock=self.mock)
        self.base_urls: dict[str, str] = {vendor: self.mock.vendors[vendor].contract.server_url
                                          for vendor in vendors}
        self._passthrough = list(passthrough)
        self._requests: responses.RequestsMock | None = None
        self._httpx: respx.MockRouter | None = None
        self._no_proxy_lookup: AbstractContextManager[None] | None = None

    def __enter__(self) -> Intercepted:
        if self._requests is not None:
            raise RuntimeError("this interception is already active")
        patterns = [_base_pattern(url) for url in self.base_urls.values()]
        # the links the mock hands out on a vendor's host (signed downloads) work there too
        patterns += [_base_pattern(_root(url) + DOWNLOADS_PATH)
                     for url in dict.fromkeys(map(_root, self.base_urls.values()))]
        self._requests = _requests_mock(self.app, patterns, self._passthrough)
        self._httpx = _httpx_router(self.app, patterns, self._passthrough)
        self._requests.start()
        self._no_proxy_lookup = skipping_proxy_lookup(patterns)
        self._no_proxy_lookup.__enter__()
        if self._httpx is not None:
            self._httpx.start()
        self.mock.start_dispatcher()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._requests is not None:
            self.mock.stop_dispatcher()
        if self._httpx is not None:
            self._httpx.stop(quiet=True)
        if self._requests is not None:
            self._requests.stop(allow_assert=False)
        if self._no_proxy_lookup is not None:
            self._no_proxy_lookup.__exit__(None, None, None)
        self._requests = self._httpx = self._no_proxy_lookup = None

    def allow(self, prefix: Prefix) -> None:
        """Let requests to `prefix` reach the network from now on (e.g. a local live server)."""
        self._passthrough.append(prefix)
        if self._requests is not None:
            self._requests.add_passthru(prefix)
        if self._httpx is not None:
            _httpx_passthrough(self._httpx, prefix)


def _root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _base_pattern(base_url: str) -> re.Pattern[str]:
    """The base URL and anything below it, but not a longer host or path segment."""
    return re.compile(rf"^{re.escape(base_url.rstrip('/'))}(?:[/?#]|$)")


def _requests_mock(app: Flask, patterns: list[re.Pattern[str]],
                   passthrough: Sequence[Prefix]) -> responses.RequestsMock:
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    for prefix in passthrough:
        mock.add_passthru(prefix)

    def forward(request: PreparedRequest) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = [(name, str(value)) for name, value in request.headers.items()]
        return _call_app(app, request.method or "GET", str(request.url), headers,
                         _body(request.body))

    for pattern in patterns:
        for method in METHODS:
            # content_type=None: the app's own Content-Type (or none, e.g. on a 204) is sent.
            # A list of header pairs keeps repeated headers; the stub only knows a Mapping.
            mock.add_callback(method, pattern, forward,  # type: ignore[arg-type]
                              content_type=None)
    return mock


def _call_app(app: Flask, method: str, url: str, headers: list[tuple[str, str]],
              body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run one request through the WSGI app as a server would receive it from `url`."""
    environ = request_environ(method, url, headers, body)
    chunks, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    return int(status.split(" ", 1)[0]), list(response_headers.items()), b"".join(chunks)


def _body(body: object) -> bytes:
    """The bytes `requests` would put on the wire (urllib3 2 encodes text as UTF-8)."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        return _body(body.read())  # a file object, which requests streams
    if isinstance(body, Iterable):
        return b"".join(_body(chunk) for chunk in body)  # a generator, sent chunked
    raise TypeError(f"requests cannot send a body of type {type(body).__name__}")


def _httpx_router(app: Flask, patterns: list[re.Pattern[str]],
                  passthrough: Sequence[Prefix]) -> respx.MockRouter | None:
    """A respx router serving the patterns from the app, or None without the `httpx` extra."""
    try:
        import httpx
        import respx
    except ImportError:
        return None
    transport = httpx.WSGITransport(app=app)

    def forward(request: httpx.Request) -> httpx.Response:
        # read here, so that sync and async clients both get a plain in-memory response
        answer = transport.handle_request(request)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.read())

    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    for pattern in patterns:
        router.route(url__regex=pattern).mock(side_effect=forward)
    for prefix in passthrough:
        _httpx_passthrough(router, prefix)
    return router


def _httpx_passthrough(router: respx.MockRouter, prefix: Prefix) -> None:
    if isinstance(prefix, re.Pattern):
        router.route(url__regex=prefix).pass_through()
    else:
        router.route(url__startswith=prefix).pass_through()
