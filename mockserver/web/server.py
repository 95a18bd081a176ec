"""The production WSGI server `mockserver serve` runs on: gunicorn with threaded workers.

The poll benchmark runs the same settings, so its figures describe the server users get.
Four threads per worker, not more: at 16 connections, eight threads per process made even a
bare Flask route's p99 latency three times worse through contention for the GIL, while two
processes of four threads serve as many requests (see `docs/benchmarks.md`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

__all__ = ["ACCESS_LOG_FORMAT", "DEFAULT_THREADS", "DEFAULT_WORKERS", "run"]

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


def run(build_app: Callable[[], Any], *, host: str, port: int, workers: int = DEFAULT_WORKERS,
        threads: int = DEFAULT_THREADS, access_log: bool = True) -> None:
    """Serve the app each worker process builds for itself (so each opens its own store)."""
    settings: dict[str, Any] = {
        "bind": f"{host}:{port}", "workers": workers, "threads": threads,
        "worker_class": "gthread", "errorlog": "-", "loglevel": "warning", "timeout": 120,
        "keepalive": 5,
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
