"""`mockserver serve --server gunicorn`: gunicorn with threaded (gthread) workers.

Four threads per worker, not more: at 16 connections, eight threads per process made even a
bare Flask route's p99 latency three times worse through contention for the GIL, while two
processes of four threads serve as many requests (see `docs/benchmarks.md`).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from mockserver.web.worker import frozen, stopping_on_term

__all__ = ["ACCESS_LOG_FORMAT", "run"]

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


def run(build_app: Callable[[], Any], listener: socket.socket, *, workers: int, threads: int,
        access_log: bool) -> None:
    """Serve the app each worker process builds for itself (so each opens its own store) on
    the bound `listener`."""
    settings: dict[str, Any] = {
        "bind": f"fd://{listener.fileno()}", "workers": workers, "threads": threads,
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
            return frozen(build_app())

    Server().run()


def _cut_waits_on_term(worker: Any) -> None:
    """gunicorn's `post_worker_init` hook: see `stopping_on_term`."""
    stopping_on_term(worker.wsgi)
