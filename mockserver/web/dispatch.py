"""WSGI middleware that sends vendor requests to their pipelines and the rest to Flask.

A request reaches a vendor either under the vendor's mount prefix (`/further/api/v1/...`) or,
when it carries the vendor's real host (`Host: api.further.ai`, as intercepted requests do),
at its documented path. When only one vendor is served, its documented paths also work at the
server's root, so a client configured with nothing but the mock's host works unchanged.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from mockserver.engine.call import Reply
from mockserver.engine.forms import VendorRequest
from mockserver.engine.pipeline import VendorPipeline
from mockserver.engine.wire import WireResponse
from mockserver.mock import Mock
from mockserver.storage import StoreUnavailable
from mockserver.web.control import PREFIX as CONTROL_PREFIX

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
        self.by_host = {urlsplit(runtime.contract.server_url).netloc: runtime
                        for runtime in mock.vendors.values()}
        self.prefixes = sorted(((mock.mount_prefix(name), runtime)
                                for name, runtime in mock.vendors.items()),
                               key=lambda item: len(item[0]), reverse=True)
        self.pages = {f"{prefix}/{page}" for prefix, _ in self.prefixes
                      for page in ("openapi.json", "docs")}
        self.only = next(iter(mock.vendors.values())) if len(mock.vendors) == 1 else None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        runtime, prefix = self._resolve(environ.get("HTTP_HOST", ""), path)
        if runtime is None or path in self.pages or path.startswith(CONTROL_PREFIX + "/"):
            return self.flask_app(environ, start_response)
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

    def _resolve(self, host: str, path: str) -> tuple[VendorPipeline | None, str]:
        runtime = self.by_host.get(host)
        if runtime is not None and path.startswith(runtime.contract.server_path + "/"):
            return runtime, runtime.contract.server_path
        for prefix, candidate in self.prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                return candidate, prefix
        if self.only is not None:
            root = self.only.contract.server_path
            if path == root or path.startswith(root + "/"):
                return self.only, root
        return None, ""
