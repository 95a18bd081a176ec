"""The WSGI environ of an intercepted request: what werkzeug's `EnvironBuilder` makes of it,
key for key and in the same order, built directly.

The builder is general (forms, files, JSON, cookies, auth); an intercepted request is always a
URL, header pairs and bytes, and building and reading the builder's `Headers` and properties
cost a call through the interception more than the mock's whole pipeline did. The URL parts
that need werkzeug's IRI rules are converted by werkzeug's own `iri_to_uri`, remembered (a
test repeats a few URLs).
"""

from __future__ import annotations

import sys
from functools import lru_cache
from io import BytesIO
from typing import Any
from urllib.parse import unquote, urlsplit

from werkzeug.urls import iri_to_uri

__all__ = ["request_environ"]

_NOT_HEADERS = ("content-type", "content-length")  # the environ's CONTENT_* keys instead


def request_environ(method: str, url: str, headers: list[tuple[str, str]],
                    body: bytes) -> dict[str, Any]:
    """The environ `EnvironBuilder(method=method, base_url=<scheme://netloc of url>,
    path=<its path or />, query_string=<its query>, headers=headers,
    input_stream=BytesIO(body)).get_environ()` returns."""
    parts = urlsplit(url)
    scheme, host, server_name, server_port = _server(parts.scheme, parts.netloc)
    path = parts.path or "/"
    raw_uri = _latin1(path)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _path_info(path),
        "QUERY_STRING": _latin1(parts.query),
        "REQUEST_URI": raw_uri,
        "RAW_URI": raw_uri,
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "HTTP_HOST": host,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    content_type: str | None = None
    combined: dict[str, list[str]] = {}
    for name, value in headers:
        lowered = name.lower()
        _check_value(value)
        if lowered not in _NOT_HEADERS:
            combined.setdefault(_cgi_name(name), []).append(value)
        elif lowered == "content-type" and content_type is None:
            content_type = value
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    environ["CONTENT_LENGTH"] = str(len(body))
    for key, values in combined.items():
        environ[key] = ", ".join(values)
    return environ


@lru_cache(maxsize=64)
def _server(scheme: str, netloc: str) -> tuple[str, str, str, str]:
    """The URL scheme, host, server name and port of a base URL, as the builder reads it."""
    base = urlsplit(iri_to_uri(f"{scheme}://{netloc}"))
    name, colon, port = base.netloc.partition(":")
    if not (colon and port.isdigit()):
        port = "443" if base.scheme == "https" else "80"
    return base.scheme, base.netloc, name, str(int(port))


@lru_cache(maxsize=1024)
def _path_info(path: str) -> str:
    return _latin1(unquote(iri_to_uri(urlsplit(path).path)))


@lru_cache(maxsize=256)
def _cgi_name(name: str) -> str:
    return f"HTTP_{name.upper().replace('-', '_')}"


def _check_value(value: str) -> None:
    """werkzeug's `Headers` refuses a line break in a value, which could forge another header."""
    if "\n" in value or "\r" in value:
        raise ValueError("Header values must not contain newline characters.")


def _latin1(text: str) -> str:
    """WSGI's native strings: the UTF-8 bytes read as Latin-1 (PEP 3333)."""
    return text.encode().decode("latin1")
