"""The signed download links' endpoint: exact bytes until the link expires (then 403) or its
file is deleted (then 404)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, jsonify

from mockserver.engine.downloads import PATH, SignedLink
from mockserver.mock import Mock
from mockserver.storage import keys

__all__ = ["download_links"]


def download_links(mock: Mock) -> Blueprint:
    """The blueprint serving `engine.downloads.sign`'s links from the mock's store."""
    links = Blueprint("downloads", __name__, url_prefix=PATH)

    @links.get("/<token>")
    def download(token: str) -> Response | tuple[Response, int]:
        stored = mock.store.get(keys.DOWNLOADS, token)
        if stored is None:
            return jsonify(error="No such download link"), 404
        link = SignedLink.model_validate(stored)
        if mock.clock.now() >= link.expires_at:
            return jsonify(error="This download link has expired"), 403
        if link.record is not None and mock.store.get(*link.record) is None:
            return jsonify(error="The file was deleted: its download links no longer work"), 404
        data = mock.store.get_blob(link.blob)
        if data is None:
            return jsonify(error="The file is gone"), 410
        disposition = f"attachment; filename*=UTF-8''{quote(link.filename)}"
        return Response(data, mimetype=link.content_type,
                        headers={"Content-Disposition": disposition})

    return links
