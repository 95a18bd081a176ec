"""The production WSGI server `mockserver serve` runs on: gunicorn with threaded workers.

The poll benchmark runs the same settings, so its figures describe the server users get.
Four threads per worker, not more: at 16 connections, eight threads per process made even a
bare Flask route's p99 latency three times worse through contention for the GIL, while two
processes of four threads serve as many requests (see `docs/benchmarks.md`).
"""

from __future__ import annotations

import gc
import signal
import socket
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

__all__ = ["ACCESS_LOG_FORMAT", "DEFAULT_THREADS", "DEFAULT_WORKERS", "listen", "run"]

DEFAULT_WORKERS = 2
DEFAULT_THREADS = 4
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)sB %(M)sms'


class _AccessLog(Logger):
    """gunicorn's log, without the access lines of the console's own reads (GETs sent with
    `X-Mock-Console: refresh`): an open console reads every 2 s, and those lines would bury the
    requests a person is watching for. Changes are always logged."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        console_read = environ.get("HTTP_X_MOCK_CONSOLE") == "refresh" \
            and environ.get("REQUEST_METHOD") == "GET"
        if not console_read:
            super().access(resp, req, environ, request_time)


def listen(host: str, port: int) -> socket.socket:
    """The server's listening socket, bound before anything is served or printed: a port in use
    fails at once (OSError) rather than after gunicorn's retries, and port 0 is given a real one.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)


def run(build_app: Callable[[], Any], *, host: str = "127.0.0.1", port: int = 0,
        workers: int = DEFAULT_WORKERS, threads: int = DEFAULT_THREADS, access_log: bool = True,
        listener: socket.socket | None = None) -> None:
    """Serve the app each worker process builds for itself (so each opens its own store), on
    `listener` if given (see `listen`), else on host:port."""
    bind = f"fd://{listener.fileno()}" if listener is not None else f"{host}:{port}"
    settings: dict[str, Any] = {
        "bind": bind, "workers": workers, "threads": threads,
        "worker_class": "gthread", "errorlog": "-", "loglevel": "warning", "timeout": 120,
        "keepalive": 5, "post_worker_init": _cut_waits_on_term,
    }
    if access_log:
        settings |= {"accesslog": "-", "access_log_format": ACCESS_LOG_FORMAT,
                     "logger_class": _AccessLog}

    class Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            app = build_app()
            # The contracts, validators and app live as long as the worker; frozen, they are
            # no longer walked by every full garbage collection, which paused all of the
            # worker's requests for 10-20 ms at a time.
            gc.freeze()
            return app

    Server().run()


def _cut_waits_on_term(worker: Any) -> None:
    """gunicorn's `post_worker_init` hook: on SIGTERM a worker first ends the delays its
    requests are waiting out, so a graceful stop never waits for a long `Prefer: latency`."""
    mock = getattr(worker.wsgi, "extensions", {}).get("mockserver")
    graceful = signal.getsignal(signal.SIGTERM)
    if mock is None or not callable(graceful):
        return

    def stopping(signum: int, frame: Any) -> None:
        mock.stop()
        graceful(signum, frame)

    signal.signal(signal.SIGTERM, stopping)
