"""Sending one request on to the upstream, body streamed both ways, with timeouts.

`requests` is the client: a session per thread keeps connections alive without sharing one
session between threads, and the raw response is relayed undecoded, so the client receives the
upstream's bytes (compressed or not) exactly as sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import IO

import requests
from urllib3.exceptions import HTTPError as Urllib3Error

__all__ = ["HOP_BY_HOP", "Body", "GatewayError", "Upstream"]

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host"})
"""Headers that describe one connection, not the message: never passed on (RFC 9110 7.6.1)."""
CHUNK = 64 * 1024


class GatewayError(Exception):
    """The upstream could not be reached (502) or did not answer in time (504)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Body:
    """A request body read from a file in chunks, with its length known, so `requests` sends
    a Content-Length and streams the file instead of loading it."""

    def __init__(self, file: IO[bytes], length: int) -> None:
        self.file = file
        self.length = length

    def __len__(self) -> int:
        return self.length

    def read(self, size: int = -1) -> bytes:
        return self.file.read(size)

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.file.read(CHUNK), b"")


class Upstream:
    """Where one contract's traffic really goes."""

    def __init__(self, base_url: str, connect_timeout: float, read_timeout: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers.clear()  # pass the client's headers, not requests' defaults
            session.trust_env = False  # never route through an environment proxy
            self._local.session = session
        return session

    def send(self, method: str, path: str, query: str, headers: list[tuple[str, str]],
             body: Body | None) -> requests.Response:
        """The upstream's response with its body not yet read; raises GatewayError."""
        url = self.base_url + path + (f"?{query}" if query else "")
        try:
            return self._session().request(
                method, url, headers=dict(headers), data=body if body and len(body) else None,
                stream=True, allow_redirects=False, timeout=self.timeout)
        except requests.Timeout as error:
            raise GatewayError(504, f"the upstream {self.base_url} did not answer within "
                               f"{self.timeout[1]:g}s: {_reason(error)}") from None
        except (requests.RequestException, Urllib3Error) as error:
            raise GatewayError(502, f"the upstream {self.base_url} cannot be reached: "
                               f"{_reason(error)}") from None

    def stream(self, response: requests.Response) -> Iterator[bytes]:
        """The response body as sent (not decompressed); raises GatewayError if it stalls."""
        try:
            yield from response.raw.stream(CHUNK, decode_content=False)
        except (requests.RequestException, Urllib3Error, OSError) as error:
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
