"""The interception's environ is the one werkzeug's EnvironBuilder makes, key for key."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import urlsplit

import pytest
from werkzeug.test import EnvironBuilder

from mockserver.testing.wsgi_environ import request_environ

CASES = [
    ("GET", "https://api.further.ai/api/v1/workflow-builder/workflows/wf-1/executions/e-1",
     [("User-Agent", "python-requests/2"), ("Accept", "*/*"),
      ("Authorization", "Bearer abc")], b""),
    ("POST", "https://api.futurity.work/v1/chats/a%20b?x=1&x=2",
     [("X-Token", "t"), ("Content-Type", "application/json"), ("Content-Length", "9")],
     b'{"a": 1}\n'),
    ("PUT", "http://127.0.0.1:8080/v1/r%C3%A9sum%C3%A9/%2F?q=%C3%A9",
     [("content-type", "text/plain"), ("X-Same", "1"), ("x-same", "2"), ("Host", "other")],
     "résumé".encode()),
    ("DELETE", "https://app.phinite.ai:443", [], b""),
    ("GET", "https://api.further.ai//double//slash", [("Content-Type", "a"),
                                                      ("Content-Type", "b")], b""),
    ("PATCH", "http://example.com/x", [("X-Empty", "")], b"\x00\xff"),
]


def built(method: str, url: str, headers: list[tuple[str, str]], body: bytes) -> dict:
    parts = urlsplit(url)
    return EnvironBuilder(method=method, base_url=f"{parts.scheme}://{parts.netloc}",
                          path=parts.path or "/", query_string=parts.query, headers=headers,
                          input_stream=BytesIO(body)).get_environ()


@pytest.mark.parametrize(("method", "url", "headers", "body"), CASES)
def test_the_environ_is_the_builders_in_the_same_order(method, url, headers, body):
    expected, made = built(method, url, headers, body), request_environ(method, url, headers, body)
    assert made.pop("wsgi.input").read() == expected.pop("wsgi.input").read() == body
    assert list(made.items()) == list(expected.items())


def test_a_line_break_in_a_header_value_is_refused_like_the_builder_does():
    headers = [("X-Forged", "a\r\nSet-Cookie: b")]
    with pytest.raises(ValueError, match="newline") as builders:
        built("GET", "https://api.further.ai/x", headers, b"")
    with pytest.raises(ValueError, match="newline") as ours:
        request_environ("GET", "https://api.further.ai/x", headers, b"")
    assert str(ours.value) == str(builders.value)
