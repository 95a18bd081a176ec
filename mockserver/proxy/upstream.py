"""Sending one request on to the upstream, body streamed both ways, with timeouts.

urllib3 (the transport under `requests`) is the client, used directly: its pool is thread-safe
and keeps connections alive, and it has none of a browser-like session's habits a proxy must
not have (a cookie jar shared by every client, environment proxies, default headers). The
response body is relayed undecoded, so the client receives the upstream's bytes (compressed or
not) exactly as sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, TimeoutError

__all__ = ["HOP_BY_HOP", "GatewayError", "Upstream"]

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host"})
"""Headers that describe one connection, not the message: never passed on (RFC 9110 7.6.1)."""
CHUNK = 64 * 1024


class GatewayError(Exception):
    """The upstream could not be reached (502) or did not answer in time (504)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Upstream:
    """Where one contract's traffic really goes."""

    def __init__(self, base_url: str, connect_timeout: float, read_timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.read_timeout = read_timeout
        self._pool = urllib3.PoolManager(
            maxsize=16, block=False, retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout))

    def send(self, method: str, path: str, query: str, headers: list[tuple[str, str]],
             body: IO[bytes], length: int) -> urllib3.BaseHTTPResponse:
        """The upstream's response with its body not yet read; raises GatewayError. The body
        is read from the file in blocks, never loaded whole."""
        url = self.base_url + path + (f"?{query}" if query else "")
        sent = urllib3.HTTPHeaderDict()
        for name, value in headers:
            sent.add(name, value)
        if length:
            sent["Content-Length"] = str(length)
        try:
            return self._pool.request(method, url, headers=sent,
                                      body=body if length else None,
                                      preload_content=False, decode_content=False,
                                      redirect=False)
        except NewConnectionError as error:  # a TimeoutError too, for urllib3's history
            raise GatewayError(502, f"the upstream {self.base_url} cannot be reached: "
                               f"{_reason(error)}") from None
        except TimeoutError as error:
            raise GatewayError(504, f"the upstream {self.base_url} did not answer within "
                               f"{self.read_timeout:g}s: {_reason(error)}") from None
        except (HTTPError, OSError) as error:
            raise GatewayError(502, f"the upstream {self.base_url} cannot be reached: "
                               f"{_reason(error)}") from None

    def stream(self, response: urllib3.BaseHTTPResponse) -> Iterator[bytes]:
        """The response body as sent (not decompressed); raises GatewayError if it stalls."""
        try:
            yield from response.stream(CHUNK, decode_content=False)
        except (HTTPError, OSError) as error:
            raise GatewayError(504, f"the upstream {self.base_url} stopped sending the body: "
                               f"{_reason(error)}") from None


def _reason(error: BaseException) -> str:
    """The innermost cause, which names what went wrong (refused, timed out), without the
    connection pool's wrapping."""
    while True:
        inner = getattr(error, "reason", None) or (
            error.args[0] if error.args and isinstance(error.args[0], BaseException) else None)
        if not isinstance(inner, BaseException) or inner is error:
            break
        error = inner
    text = str(error)
    return (text.split("): ", 1)[-1] if "): " in text else text)[:300] or type(error).__name__
