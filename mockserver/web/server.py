"""The production WSGI server `mockserver serve` and `mockserver proxy` run on: gunicorn (the
default) or granian, with the same workers, threads, socket, access log and shutdown.

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
DEFAULT_SERVER: Server = "gunicorn"
"""gunicorn refuses a badly chunked body, which granian silently truncates (docs/servers.md): a
mock must answer bad framing with the vendor's error, so the faster server is chosen, not given."""
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 4


def listen(host: str, port: int, server: Server = DEFAULT_SERVER) -> socket.socket:
    """The server's socket, bound before anything is served or printed: a port in use fails at
    once (OSError) rather than after the server's retries, and port 0 is given a real one.

    For gunicorn, the listening socket its workers share. For granian, which binds a socket of
    its own in each worker's group (`SO_REUSEPORT`, so the kernel spreads connections over the
    workers evenly), a socket in that group that holds the port until granian has bound it,
    and never listens: no connection lands on it. A plain bind first makes sure the port is
    free, since sockets that share a port would not refuse each other."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if server == "gunicorn":
        return socket.create_server((host, port), family=family, backlog=2048)
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as create_server does
        probe.bind((host, port))
        port = probe.getsockname()[1]
    held = socket.socket(family)
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    held.bind((host, port))
    return held


def run(build_app: Callable[[], Any], listener: socket.socket, *,
        server: Server = DEFAULT_SERVER, workers: int = DEFAULT_WORKERS,
        threads: int = DEFAULT_THREADS, access_log: bool = True) -> None:
    """Serve, until SIGTERM or SIGINT, the app each worker process builds for itself with
    `build_app` (which must pickle: a module-level function or a `functools.partial` of one),
    on `listener`, bound by `listen` for the same server."""
    if server == "granian":
        from mockserver.web import on_granian

        on_granian.run(build_app, listener, workers=workers, threads=threads,
                       access_log=access_log)
    else:
        from mockserver.web import on_gunicorn

        on_gunicorn.run(build_app, listener, workers=workers, threads=threads,
                        access_log=access_log)
