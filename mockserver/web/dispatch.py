"""WSGI middleware that sends vendor requests to their pipelines and the rest to Flask.

Which vendor a request is for is `mounts.Mounts`'s rule (real host, mount prefix, the only
vendor at the root), the one the proxy and recorded answers follow too.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from mockserver.engine.call import Reply
from mockserver.engine.forms import VendorRequest
from mockserver.engine.pipeline import VendorPipeline
from mockserver.engine.wire import WireResponse
from mockserver.mock import Mock
from mockserver.storage import StoreUnavailable
from mockserver.web.mounts import Mounts

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["VendorDispatch"]

log = logging.getLogger("mockserver")


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
        self.mounts: Mounts[VendorPipeline] = Mounts(mock, mock.vendors)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        found = self.mounts.resolve(environ.get("HTTP_HOST", ""), path)
        if found is None:
            return self.flask_app(environ, start_response)
        runtime, prefix = found
        request = VendorRequest(environ)
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
