"""What a server's worker process does with its app whichever server runs it: freeze it out of
the garbage collector's reach, end its delays on SIGTERM, and (where the server has no access
log of the same shape) write one access-log line per request.
"""

from __future__ import annotations

import gc
import signal
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

__all__ = ["AccessLogged", "console_read", "frozen", "stopping_on_term"]

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def frozen(app: Any) -> Any:
    """The app, with everything made so far frozen: the contracts, validators and app live as
    long as the worker, and frozen they are no longer walked by every full garbage collection,
    which paused all of the worker's requests for 10-20 ms at a time."""
    gc.freeze()
    return app


def stopping_on_term(app: Any) -> None:
    """Before the server's own SIGTERM handler (installed before this is called), end the
    delays the mock's requests are waiting out, so a graceful stop never waits for a long
    `Prefer: latency`. Nothing for an app with no mock (the proxy)."""
    mock = getattr(app, "extensions", {}).get("mockserver")
    graceful = signal.getsignal(signal.SIGTERM)
    if mock is None or not callable(graceful):
        return

    def stopping(signum: int, frame: Any) -> None:
        mock.stop()
        graceful(signum, frame)

    signal.signal(signal.SIGTERM, stopping)


def console_read(environ: dict[str, Any]) -> bool:
    """A read by an open QA console (a GET sent with `X-Mock-Console: refresh`): it reads
    every 2 s, and its lines would bury the requests a person is watching for."""
    return environ.get("HTTP_X_MOCK_CONSOLE") == "refresh" \
        and environ.get("REQUEST_METHOD") == "GET"


class AccessLogged:
    """A WSGI app that writes gunicorn's access-log line for each request it answers
    (`host "METHOD /path?query PROTOCOL" status bytesB msms`), console reads left out."""

    def __init__(self, app: WsgiApp, stream: TextIO | None = None) -> None:
        self.app = app
        self.stream = stream

    def __getattr__(self, name: str) -> Any:  # `extensions` and the like of the app inside
        return getattr(self.app, name)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        began = time.perf_counter()
        answered: list[Any] = []

        def starting(status: str, headers: list[tuple[str, str]], *info: Any) -> Any:
            answered[:] = [status, headers]
            return start_response(status, headers, *info)

        body = self.app(environ, starting)
        if answered and not console_read(environ):
            status, headers = answered
            size = next((value for name, value in headers if name.lower() == "content-length"),
                        "-")
            query = environ.get("QUERY_STRING")
            target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
            line = (f'{environ.get("REMOTE_ADDR", "-")} "{environ.get("REQUEST_METHOD")} '
                    f'{target} {environ.get("SERVER_PROTOCOL")}" {status.split(" ", 1)[0]} '
                    f"{size}B {int((time.perf_counter() - began) * 1000)}ms\n")
            stream = self.stream or sys.stdout
            stream.write(line)
            stream.flush()
        return body
