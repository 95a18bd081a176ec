"""The Flask app factory: one app serves every selected vendor, the control API and the docs.

A request reaches a vendor either under the vendor's mount prefix (`/further/api/v1/...`) or,
when it carries the vendor's real host (`Host: api.further.ai`, as intercepted requests do),
at its documented path. Either way the vendor's documented paths work unchanged below its base URL.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from mockserver.call import Reply
from mockserver.config import MockConfig
from mockserver.control import PREFIX as CONTROL_PREFIX
from mockserver.control import control_api
from mockserver.docs import docs_pages
from mockserver.downloads import download_links
from mockserver.engine import VendorRuntime, WireResponse
from mockserver.mock import Mock
from mockserver.storage import StoreUnavailable

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("mockserver")


def create_app(config: MockConfig | None = None, *, mock: Mock | None = None) -> Flask:
    """Build the mock as a WSGI app, from a configuration or an existing `Mock`."""
    mock = mock or Mock(config or MockConfig())
    app = Flask("mockserver")
    app.extensions["mockserver"] = mock
    app.register_blueprint(control_api(mock))
    app.register_blueprint(docs_pages(mock))
    app.register_blueprint(download_links(mock))

    @app.route("/<path:path>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    def nowhere(path: str) -> tuple[Response, int]:
        bases = {name: mock.mount_prefix(name) for name in mock.vendors}
        return jsonify(error=f"No vendor is served at /{path}", vendors=bases), 404

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response, int]:
        if isinstance(error, HTTPException):
            return jsonify(error=error.description), error.code or 500
        if isinstance(error, StoreUnavailable):
            return jsonify(error=f"the mock's store is unreachable: {error}"), 503
        log.error("unhandled error: %s", "".join(traceback.format_exception(error)))
        return jsonify(mock_error=f"{type(error).__name__}: {error}"), 500

    app.wsgi_app = VendorDispatch(mock, app.wsgi_app, lambda: app.testing)  # type: ignore[method-assign]
    return app


class VendorDispatch:
    """WSGI middleware that hands vendor requests straight to their engine.

    Vendor traffic skips Flask's routing: the engine routes by the contract itself, and a poll
    loop is exactly the path that must stay cheap. Everything else (control API, docs, unknown
    paths) goes on to the Flask app.
    """

    def __init__(self, mock: Mock, flask_app: WSGIApplication,
                 propagate: Callable[[], bool]) -> None:
        self.mock = mock
        self.flask_app = flask_app
        self.propagate = propagate
        self.by_host = {urlsplit(runtime.contract.server_url).netloc: runtime
                        for runtime in mock.vendors.values()}
        self.prefixes = sorted(((mock.mount_prefix(name), runtime)
                                for name, runtime in mock.vendors.items()),
                               key=lambda item: len(item[0]), reverse=True)
        self.pages = {f"{prefix}/{page}" for prefix, _ in self.prefixes
                      for page in ("openapi.json", "docs")}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        runtime, prefix = self._resolve(environ.get("HTTP_HOST", ""), path)
        if runtime is None or path in self.pages or path.startswith(CONTROL_PREFIX + "/"):
            return self.flask_app(environ, start_response)
        request = Request(environ)
        request.max_content_length = self.mock.config.max_upload_bytes + 64 * 1024
        try:
            response = runtime.handle(request, prefix)
        except StoreUnavailable:
            response = runtime.unavailable(request, prefix)
        except Exception as error:
            if self.propagate():
                raise
            log.error("%s", "".join(traceback.format_exception(error)))
            response = WireResponse.of(Reply(500, {"mock_error": str(error)}))
        return response(environ, start_response)

    def _resolve(self, host: str, path: str) -> tuple[VendorRuntime | None, str]:
        runtime = self.by_host.get(host)
        if runtime is not None and path.startswith(runtime.contract.server_path + "/"):
            return runtime, runtime.contract.server_path
        for prefix, candidate in self.prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                return candidate, prefix
        return None, ""
