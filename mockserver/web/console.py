"""`/__mock__/ui`: the QA console, a static page served by the mock itself.

The page (`console/`: HTML, CSS and JavaScript modules, shipped in the wheel) only calls the
control API, so everything a person does in it can also be scripted, and it fetches nothing from
anywhere else: the content security policy says so to the browser.
"""

from __future__ import annotations

from flask import Blueprint, Response

from mockserver.web.control import PREFIX

__all__ = ["console_pages"]

_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
           "connect-src 'self'; frame-ancestors 'none'")


def console_pages() -> Blueprint:
    """The console's page at `/__mock__/ui` and its files under `/__mock__/ui/static/`."""
    pages = Blueprint("console", __name__, url_prefix=f"{PREFIX}/ui",
                      static_folder="console", static_url_path="/static")

    @pages.get("", strict_slashes=False)
    def index() -> Response:
        response = pages.send_static_file("index.html")
        response.headers["Content-Security-Policy"] = _POLICY
        return response

    @pages.after_request
    def no_stale_assets(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-cache"
        return response

    return pages
