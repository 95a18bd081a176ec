"""A reply as it goes out on the wire, built without a full `werkzeug.Response`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from pydantic_core import to_json
from werkzeug.http import HTTP_STATUS_CODES

from mockserver.engine.call import Reply

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["WireResponse"]


class WireResponse(NamedTuple):
    """A reply as it goes out: built directly, since a poll loop cannot afford a full
    `werkzeug.Response` for every small JSON body."""

    status: int
    headers: list[tuple[str, str]]
    data: bytes

    @classmethod
    def of(cls, reply: Reply) -> WireResponse:
        if reply.raw is not None:
            data = reply.raw
        elif reply.body is None:
            data = b""
        elif reply.encoded is not None:
            data = reply.encoded
        else:
            data = to_json(reply.body)
        headers = [(name, value) for name, value in reply.headers.items()
                   if name.lower() not in ("content-type", "content-length")]
        if reply.body is not None or reply.raw is not None:
            headers.append(("Content-Type", reply.content_type))
        if reply.status not in (204, 304):
            headers.append(("Content-Length", str(len(data))))
        return cls(reply.status, headers, data)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        start_response(f"{self.status} {HTTP_STATUS_CODES.get(self.status, 'Unknown')}",
                       self.headers)
        if environ.get("REQUEST_METHOD") == "HEAD" or self.status in (204, 304):
            return []
        return [self.data]
