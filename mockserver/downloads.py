"""Signed, expiring download links for stored bytes, like a storage service's signed URLs.

A vendor hands out `sign(...)`'s URL; the link serves the exact bytes until it expires on the
mock's virtual clock, then answers 403.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

from flask import Blueprint, Response, jsonify
from pydantic import BaseModel

from mockserver.call import Call
from mockserver.mock import Mock

PATH = "/__mock__/downloads"
_KIND = "download"


class SignedLink(BaseModel):
    blob: str
    filename: str
    content_type: str
    expires_at: float


def sign(call: Call, blob: str, filename: str, content_type: str, ttl: float) -> tuple[str, float]:
    """A new link to `blob`, valid for `ttl` seconds of mock time; returns (url, expires_at)."""
    token = secrets.token_urlsafe(24)
    link = SignedLink(blob=blob, filename=filename, content_type=content_type,
                      expires_at=call.now + ttl)
    call.mock.store.put(_KIND, token, link.model_dump())
    return f"{call.root_url}{PATH}/{token}", link.expires_at


def download_links(mock: Mock) -> Blueprint:
    links = Blueprint("downloads", __name__, url_prefix=PATH)

    @links.get("/<token>")
    def download(token: str) -> Response | tuple[Response, int]:
        stored = mock.store.get(_KIND, token)
        if stored is None:
            return jsonify(error="No such download link"), 404
        link = SignedLink.model_validate(stored)
        if mock.clock.now() >= link.expires_at:
            return jsonify(error="This download link has expired"), 403
        data = mock.store.get_blob(link.blob)
        if data is None:
            return jsonify(error="The file is gone"), 410
        disposition = f"attachment; filename*=UTF-8''{quote(link.filename)}"
        return Response(data, mimetype=link.content_type,
                        headers={"Content-Disposition": disposition})

    return links
