"""`mockserver serve --server granian`: granian's Rust HTTP server, its WSGI
interface in worker processes of `threads` Python threads each.

granian binds its own socket from a host and port; `serve` has bound the port already (so a
port in use fails before the banner, and port 0 is a real port once printed), with a socket
that shares it with granian's (`server.listen`) and is closed once granian's is bound.
Its workers leave through `multiprocessing`, which skips the interpreter's exit functions, so
each worker runs them itself once granian has stopped serving: the journal entries a worker
still holds are written then, as under gunicorn. And as gunicorn's do, a worker whose main
process is gone (killed outright) stops by itself rather than serving on unseen, and a worker
told to stop while it was still starting stops once it can.

Once a worker is stopping, every response it still sends says `Connection: close`, and granian
then closes the connection. granian 2.8 tells its connections of a stop once; a connection whose
task starts at that moment misses it and would serve a client that keeps sending until the
grace period ran out.
"""

from __future__ import annotations

import atexit
import functools
import multiprocessing
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

import granian._signals
from granian.constants import HTTPModes, Interfaces
from granian.log import LogLevels
from granian.server.mp import MPServer, WorkerProcess

from mockserver.web.worker import AccessLogged, frozen, stopping_on_term

__all__ = ["GRACE_SECONDS", "run"]

GRACE_SECONDS = 30
"""How long a stopping worker may finish its requests before it is killed (gunicorn's default
graceful timeout)."""
ORPHAN_CHECK_SECONDS = 1.0
_TERM_WHILE_STARTING = threading.Event()
"""Set in a forked worker that was sent SIGTERM before granian's own handler was installed:
until then the handler is the main process's, inherited by the fork."""
_STOPPING = threading.Event()
"""Set in a worker once it has been sent SIGTERM."""


def run(build_app: Callable[[], Any], listener: socket.socket, *, workers: int, threads: int,
        access_log: bool) -> None:
    """Serve the app each worker process builds for itself on the port `listener` holds.
    `build_app` must pickle (a module-level function, or a `functools.partial` of one):
    where `multiprocessing` spawns rather than forks, granian's workers receive it pickled."""
    server = _Server(listener, interface=Interfaces.WSGI, workers=workers,
                     blocking_threads=threads, http=HTTPModes.http1,
                     log_level=LogLevels.warning, workers_kill_timeout=GRACE_SECONDS)
    server.serve(spawn_target=_serve_worker,
                 target_loader=functools.partial(_load, build_app, access_log),
                 wrap_loader=False)


class _Server(MPServer):
    """granian's process-based server on the port `held` (see `server.listen`) holds."""

    def __init__(self, held: socket.socket, **settings: Any) -> None:
        host, port = held.getsockname()[:2]
        super().__init__("mockserver", address=host, port=port, **settings)
        self._held = held
        self._main_process = os.getpid()

    def signal_handler_interrupt(self, *args: Any, **kwargs: Any) -> None:
        """The main process's SIGTERM handler; in a forked worker not yet serving (granian's
        worker handler is installed only after the app is built), a stop to pass on later."""
        if os.getpid() != self._main_process:
            _TERM_WHILE_STARTING.set()
            return
        super().signal_handler_interrupt(*args, **kwargs)

    def _init_shared_socket(self) -> None:
        super()._init_shared_socket()
        self._held.close()  # granian's own socket holds the port now


def _load(build_app: Callable[[], Any], access_log: bool) -> Any:
    """One worker's app (built in the worker, so each opens its own store)."""
    app = build_app()
    return frozen(_ClosingWhenStopping(AccessLogged(app) if access_log else app, _STOPPING))


class _ClosingWhenStopping:
    """A WSGI app whose responses say `Connection: close` once `stopping` is set."""

    def __init__(self, app: Any, stopping: threading.Event) -> None:
        self.app = app
        self.stopping = stopping

    def __getattr__(self, name: str) -> Any:  # `extensions` and the like of the app inside
        return getattr(self.app, name)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        if not self.stopping.is_set():
            return self.app(environ, start_response)

        def closing(status: str, headers: list[tuple[str, str]], *info: Any) -> Any:
            kept = [(name, value) for name, value in headers if name.lower() != "connection"]
            return start_response(status, [*kept, ("Connection", "close")], *info)

        return self.app(environ, closing)


@WorkerProcess.wrap_target
def _serve_worker(worker_id: int, callback: Any, sock: Any, ipc: Any, loop: Any,
                  *settings: Any) -> None:
    """granian's WSGI worker, with SIGTERM first ending the mock's delays (`stopping_on_term`)
    and the process's exit functions run once it has stopped serving."""
    install_granian_signals = granian._signals.set_sync_signals

    def set_sync_signals() -> Any:
        stopping = install_granian_signals()
        stopping_on_term(callback)
        _marking_stopping_on_term()
        if _TERM_WHILE_STARTING.is_set():  # told to stop while starting: stop now
            os.kill(os.getpid(), signal.SIGTERM)
        # Only now: a SIGTERM before granian's handler meets the main process's, inherited by
        # the fork, and is lost.
        threading.Thread(target=_stop_when_orphaned, args=(main_process, served), daemon=True,
                         name="orphan-check").start()
        return stopping

    main_process, served = _main_process_id(), threading.Event()
    granian._signals.set_sync_signals = set_sync_signals  # this worker process only
    try:
        MPServer._spawn_wsgi_worker.__wrapped__(worker_id, callback, sock, ipc, loop, *settings)
    finally:
        served.set()
        atexit._run_exitfuncs()


def _marking_stopping_on_term() -> None:
    """Before the SIGTERM handler installed so far, set `_STOPPING`."""
    handler = signal.getsignal(signal.SIGTERM)
    if not callable(handler):
        return

    def marking(signum: int, frame: Any) -> None:
        _STOPPING.set()
        handler(signum, frame)

    signal.signal(signal.SIGTERM, marking)


def _main_process_id() -> int:
    """The main process's id as `multiprocessing` recorded it when it started this worker: a
    main process killed while the worker was still starting has been replaced as its parent by
    then, and waiting for `os.getppid()` to change from the new parent would never end."""
    parent = multiprocessing.parent_process()
    return parent.pid if parent is not None and parent.pid is not None else os.getppid()


def _stop_when_orphaned(parent: int, served: threading.Event) -> None:
    """SIGTERM this worker once its main process is gone (a new parent adopted it), unless it
    has stopped serving by then. Once: granian keeps a stop sent before it began serving, and
    a second one, with nobody left to take it, would hang the worker."""
    while os.getppid() == parent:
        if served.wait(ORPHAN_CHECK_SECONDS):
            return
    os.kill(os.getpid(), signal.SIGTERM)
