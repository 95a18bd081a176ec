"""The production WSGI server `mockserver serve` and `mockserver proxy` run on: granian (the
default) or gunicorn, with the same workers, threads, socket, access log and shutdown.

The benchmarks start the same servers through `run`, so their figures describe what users get.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any, Literal

__all__ = ["DEFAULT_SERVER", "DEFAULT_THREADS", "DEFAULT_WORKERS", "SERVERS", "Server", "listen",
           "run"]

Server = Literal["granian", "gunicorn"]
SERVERS: tuple[Server, ...] = ("granian", "gunicorn")
DEFAULT_SERVER: Server = "granian"
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 4


def listen(host: str, port: int) -> socket.socket:
    """The server's listening socket, bound before anything is served or printed: a port in use
    fails at once (OSError) rather than after the server's retries, and port 0 is given a real
    one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)


def run(build_app: Callable[[], Any], listener: socket.socket, *,
        server: Server = DEFAULT_SERVER, workers: int = DEFAULT_WORKERS,
        threads: int = DEFAULT_THREADS, access_log: bool = True) -> None:
    """Serve, until SIGTERM or SIGINT, the app each worker process builds for itself with
    `build_app` (which must pickle: a module-level function or a `functools.partial` of one),
    on the bound `listener` (see `listen`)."""
    if server == "granian":
        from mockserver.web import on_granian

        on_granian.run(build_app, listener, workers=workers, threads=threads,
                       access_log=access_log)
    else:
        from mockserver.web import on_gunicorn

        on_gunicorn.run(build_app, listener, workers=workers, threads=threads,
                        access_log=access_log)
