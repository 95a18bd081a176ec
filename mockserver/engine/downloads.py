"""Signed, expiring download links for stored bytes, like a storage service's signed URLs.

A vendor hands out `sign(...)`'s URL; the link serves the exact bytes until it expires on the
mock's virtual clock, or until the record it was issued for is deleted (served by
`web.downloads`).
"""

from __future__ import annotations

import secrets

from pydantic import BaseModel

from mockserver.engine.call import Call
from mockserver.storage import keys

__all__ = ["PATH", "SignedLink", "sign"]

PATH = "/__mock__/downloads"
"""Where links are served on the mock's own host, beside the control API."""


class SignedLink(BaseModel):
    """A stored link: which blob it serves, as what, and until when (mock time)."""

    blob: str
    filename: str
    content_type: str
    expires_at: float
    record: tuple[str, str] | None = None
    """The store's (kind, key) of the record the link was issued for: deleting it revokes it."""


def sign(call: Call, blob: str, filename: str, content_type: str, ttl: float,
         record: tuple[str, str] | None = None) -> tuple[str, float]:
    """A new link to `blob`, valid for `ttl` seconds of mock time and while `record` (the
    store's kind and key of what the bytes belong to) exists; returns (url, expires_at)."""
    token = secrets.token_urlsafe(24)
    link = SignedLink(blob=blob, filename=filename, content_type=content_type,
                      expires_at=call.now + ttl, record=record)
    call.vendor.store.put(keys.DOWNLOADS, token, link.model_dump())
    return f"{call.root_url}{PATH}/{token}", link.expires_at
