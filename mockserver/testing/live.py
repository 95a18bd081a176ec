"""The mock over a real socket, in the test's own process: for code that needs a URL to dial.

A threaded werkzeug server on a free loopback port runs in a background thread and serves the
very `Mock` object the test drives, so a handle's clock, scenarios and faults apply to it at once.
"""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from mockserver.mock import Mock
from mockserver.web.app import create_app

__all__ = ["LiveServer"]


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request: the mock's journal already records each one."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class LiveServer:
    """A context manager; `url` is the server's root, `base_url(vendor)` a vendor's base URL."""

    def __init__(self, mock: Mock, host: str = "127.0.0.1", port: int = 0) -> None:
        self.mock = mock
        self._address = (host, port)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return f"http://{self._address[0]}:{self._server.server_port}"

    def base_url(self, vendor: str) -> str:
        """Where the vendor's documented paths work, e.g. http://127.0.0.1:PORT/further."""
        return self.url + self.mock.mount_prefix(vendor)

    def __enter__(self) -> LiveServer:
        host, port = self._address
        self._server = make_server(host, port, create_app(mock=self.mock), threaded=True,
                                   request_handler=_QuietHandler)
        # a short poll interval so that shutdown at the end of a test is quick
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        name=f"mockserver-{self._server.server_port}",
                                        daemon=True)
        self._thread.start()
        self.mock.start_dispatcher()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None and self._thread is not None:
            self.mock.stop_dispatcher()
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
        self._server = self._thread = None
