"""Each vendor's contract as served by the mock: `<base>/openapi.json` and a readable `<base>/docs`.

The served document names the mock as its server, so tools pointed at it (schemathesis, Swagger
UI, code generators) talk to the mock.
"""

from __future__ import annotations

import copy
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request

from mockserver.mock import Mock

__all__ = ["docs_pages"]


def docs_pages(mock: Mock) -> Blueprint:
    """Per vendor `<base>/openapi.json` and `<base>/docs`, and an index at `/`."""
    pages = Blueprint("docs", __name__, template_folder="templates")

    def served_document(vendor: str) -> dict[str, Any]:
        document = copy.deepcopy(mock.vendors[vendor].contract.document)
        base = request.host_url.rstrip("/") + mock.mount_prefix(vendor)
        document["servers"] = [{"url": base, "description": "this mock"}]
        return document

    for name in mock.vendors:
        prefix = mock.mount_prefix(name)

        def openapi(vendor: str = name) -> Response:
            return jsonify(served_document(vendor))

        def docs(vendor: str = name, prefix: str = prefix) -> str:
            runtime = mock.vendors[vendor]
            return render_template(
                "docs.html", vendor=runtime.contract.extensions.vendor,
                document=served_document(vendor), base_url=request.host_url.rstrip("/") + prefix,
                lifecycles=runtime.contract.extensions.lifecycles,
                credentials=runtime.vendor.auth.credentials,
            )

        pages.add_url_rule(f"{prefix}/openapi.json", f"openapi_{name}", openapi)
        pages.add_url_rule(f"{prefix}/docs", f"docs_{name}", docs)

    @pages.get("/")
    def index() -> str:
        base = request.host_url.rstrip("/")
        vendors = {name: base + mock.mount_prefix(name) for name in mock.vendors}
        return render_template("index.html", vendors=vendors)

    return pages
