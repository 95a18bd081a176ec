"""The Flask app factory: one app serves every selected vendor, the control API and the docs.

A request reaches a vendor either under the vendor's mount prefix (`/further/api/v1/...`) or,
when it carries the vendor's real host (`Host: api.further.ai`, as intercepted requests do),
at its documented path. Either way the vendor's documented paths work unchanged below its base URL.
"""

from __future__ import annotations

import logging
import traceback
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, request

from mockserver.config import MockConfig
from mockserver.control import control_api
from mockserver.docs import docs_pages
from mockserver.engine import VendorRuntime
from mockserver.mock import Mock
from mockserver.strict import ResponseContractError

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
log = logging.getLogger("mockserver")


def create_app(config: MockConfig | None = None, *, mock: Mock | None = None) -> Flask:
    """Build the mock as a WSGI app, from a configuration or an existing `Mock`."""
    mock = mock or Mock(config or MockConfig())
    app = Flask("mockserver")
    app.config["MAX_CONTENT_LENGTH"] = mock.config.max_upload_bytes + 64 * 1024
    app.extensions["mockserver"] = mock
    app.register_blueprint(control_api(mock))
    app.register_blueprint(docs_pages(mock))
    dispatch = _dispatcher(mock)
    app.add_url_rule("/", "vendor_root", dispatch, defaults={"path": ""}, methods=ALL_METHODS,
                     provide_automatic_options=False)
    app.add_url_rule("/<path:path>", "vendor", dispatch, methods=ALL_METHODS,
                     provide_automatic_options=False)

    @app.errorhandler(ResponseContractError)
    def mock_broke_contract(error: ResponseContractError) -> tuple[Response, int]:
        if app.testing:
            raise error
        log.error("%s", error)
        return jsonify(mock_error=str(error)), 500

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response, int]:
        if hasattr(error, "code") and hasattr(error, "get_response"):
            return error.get_response(), error.code  # an HTTPException Flask raised itself
        log.error("unhandled error: %s", "".join(traceback.format_exception(error)))
        return jsonify(mock_error=f"{type(error).__name__}: {error}"), 500

    return app


def _dispatcher(mock: Mock):
    by_host = {urlsplit(runtime.contract.server_url).netloc: runtime
               for runtime in mock.vendors.values()}

    def dispatch(path: str) -> Response:
        path = "/" + path
        runtime = by_host.get(request.host)
        if runtime is not None and path.startswith(runtime.contract.server_path + "/"):
            prefix = runtime.contract.server_path
        else:
            runtime, prefix = _by_prefix(mock, path)
        if runtime is None:
            bases = {name: mock.mount_prefix(name) for name in mock.vendors}
            return jsonify(error=f"No vendor is served at {path}", vendors=bases), 404
        base_url = request.host_url.rstrip("/") + prefix
        return runtime.handle(request, path[len(prefix):], base_url)

    return dispatch


def _by_prefix(mock: Mock, path: str) -> tuple[VendorRuntime | None, str]:
    best: tuple[VendorRuntime | None, str] = (None, "")
    for name, runtime in mock.vendors.items():
        prefix = mock.mount_prefix(name)
        if (path == prefix or path.startswith(prefix + "/")) and len(prefix) >= len(best[1]):
            best = (runtime, prefix)
    return best
