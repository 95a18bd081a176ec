"""Serve the mock, or a broken implementation, on a free loopback port, and say how the
conformance suite reaches each vendor on it.

The mock is given this session's accounts (`tests/broken/accounts.py`), never the docs'
placeholders."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

import contracts
from conformance.options import RunOptions
from mockserver import Mock, MockConfig, create_app
from tests.broken.accounts import CREDENTIALS, accounts
from tests.broken.breakages import Breakage, Broken

BASE_PATHS = {"further": "/further", "phinite": "/phinite", "flowflow": "/flowflow",
              "futurity": "/futurity/v1"}



class QuietHandler(WSGIRequestHandler):
    """No line per request: a conformance run sends thousands."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def serve(breakage: Breakage | None = None, config: MockConfig | None = None
          ) -> Iterator[str]:
    """A fresh in-memory mock (of `config`'s contracts; all four vendors with this session's
    accounts by default), wrapped by `breakage` if given; yields its root URL."""
    with _serving(Mock(config or MockConfig(store="memory", credentials=accounts())),
                  breakage) as root:
        yield root


@contextmanager
def serve_demo(breakage: Breakage | None = None) -> Iterator[str]:
    """As `serve`, but the vendors accept only the docs' placeholder credentials: for traffic
    written by hand with them (the proxy's sessions)."""
    with serve(breakage, MockConfig(store="memory")) as root:
        yield root


@contextmanager
def serve_any(contract: str, breakage: Breakage | None = None) -> Iterator[str]:
    """A contract no vendor module knows, served by a fresh mock (wrapped by `breakage` if
    given); yields the URL its documented paths are below."""
    mock = Mock(MockConfig(contracts=[contract]))
    with _serving(mock, breakage) as root:
        yield root + mock.mount_prefix(contracts.extensions(contract).vendor.id)


@contextmanager
def _serving(mock: Mock, breakage: Breakage | None) -> Iterator[str]:
    app: Any = create_app(mock=mock)
    if breakage is not None:
        app = Broken(app, breakage, mock.mount_prefix(breakage.vendor))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def options(vendor: str, root: str, **overrides: Any) -> RunOptions:
    """How the suite checks `vendor` on the mock at `root`, with this session's accounts."""
    return RunOptions(contract=vendor, base_url=root + BASE_PATHS[vendor], fast_forward=True,
                      **CREDENTIALS[vendor], **overrides)


def any_options(contract: str, base_url: str, *checks: str) -> RunOptions:
    """How the suite checks a contract no vendor module knows, with its demo keys (the first
    for the main tenant, the second for the other)."""
    demo = contracts.extensions(contract).demo_credentials
    keys = demo.keys if demo is not None else []
    return RunOptions(contract=contract, base_url=base_url, token=keys[0], other_token=keys[1],
                      fast_forward=True, profile="quick", checks=list(checks))
