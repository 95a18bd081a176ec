"""The Flask app factory: one app serves every selected vendor, the control API and the docs.

Vendor traffic is taken off before Flask by `dispatch.VendorDispatch`; Flask serves the rest.
"""

from __future__ import annotations

import logging
import traceback

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from mockserver.config import MockConfig
from mockserver.mock import Mock
from mockserver.storage import StoreUnavailable
from mockserver.web.console import console_pages
from mockserver.web.control import control_api
from mockserver.web.dispatch import VendorDispatch
from mockserver.web.docs import docs_pages
from mockserver.web.downloads import download_links
from mockserver.web.recorded import RecordedAnswers
from mockserver.web.webhooks import webhooks_api

__all__ = ["create_app"]

log = logging.getLogger("mockserver")


def create_app(config: MockConfig | None = None, *, mock: Mock | None = None) -> Flask:
    """Build the mock as a WSGI app, from a configuration or an existing `Mock`."""
    mock = mock or Mock(config or MockConfig())
    app = Flask("mockserver")
    app.extensions["mockserver"] = mock
    app.register_blueprint(control_api(mock))
    app.register_blueprint(console_pages())
    app.register_blueprint(docs_pages(mock))
    app.register_blueprint(download_links(mock))
    app.register_blueprint(webhooks_api(mock))

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
    if mock.config.recording is not None:
        app.wsgi_app = RecordedAnswers(mock, app.wsgi_app, mock.config.recording)  # type: ignore[method-assign]
    return app
