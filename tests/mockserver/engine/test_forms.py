"""The one-pass multipart parser gives what werkzeug's parser gives, for every body."""

from __future__ import annotations

from io import BytesIO

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser, MultiPartParser, default_stream_factory

from mockserver.engine.forms import FormParser, mimetype

B = "bench"


def parse(parser_class: type[FormDataParser], body: bytes, boundary: str = B, *,
          memory: int | None = 500_000, parts: int | None = 1000,
          length: int | None = -1) -> object:
    parser = parser_class(stream_factory=default_stream_factory, max_form_memory_size=memory,
                          max_form_parts=parts, cls=ImmutableMultiDict)
    stream = BytesIO(body)
    try:
        left, form, files = parser.parse(stream, "multipart/form-data",
                                         len(body) if length == -1 else length,
                                         {"boundary": boundary})
    except RequestEntityTooLarge:
        return "413"
    return (list(form.items(multi=True)),
            [(key, f.filename, f.name, list(f.headers.items()), f.read(), type(f.stream))
             for key, f in files.items(multi=True)],
            left.read())


def part(name: str, data: bytes, filename: str | None = None,
         content_type: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename
                                                 is not None else "")
    head = f"Content-Disposition: {disposition}\r\n"
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    return head.encode() + b"\r\n" + data


def body(*parts: bytes, boundary: str = B, tail: bytes = b"\r\n") -> bytes:
    dash = f"--{boundary}".encode()
    return dash + b"\r\n" + (b"\r\n" + dash + b"\r\n").join(parts) + b"\r\n" + dash + b"--" + tail


def same(raw: bytes, **options) -> object:
    ours, werkzeugs = parse(FormParser, raw, **options), parse(FormDataParser, raw, **options)
    assert ours == werkzeugs
    return ours


WELL_FORMED = [
    body(part("files", b"%PDF-1.4", "a.pdf", "application/pdf")),
    body(part("files", b"%PDF-1.4", "a.pdf", "application/pdf"), tail=b""),
    body(part("note", "résumé ✓".encode()), part("files", b"\x00\r\n\xff", "b.bin"),
         part("files", b"", "")),
    body(part("n", "é".encode("latin-1"), content_type="text/plain; charset=iso-8859-1")),
    body(part("n", b"\xff\xfe", content_type="text/plain; charset=utf-8")),
    body(part("n", b"x" * 200_000, "big.bin")),  # more than one of werkzeug's 64 KB chunks
    body(part("data", b'{"a": 1}', content_type="application/json"), boundary="----Web-kit"),
]

ODD = [
    body(part("files", b"x", "a.pdf")).replace(b"\r\n", b"\n"),           # LF line breaks
    b"preamble\r\n" + body(part("files", b"x", "a.pdf")),                  # a preamble
    body(part("files", b"x", "a.pdf"), tail=b"\r\nepilogue"),             # an epilogue
    body(part("a", b"1"), part("b", b"2")).replace(b"--bench\r\nContent", b"--bench  \r\nContent"),
    body(b"Content-Disposition: form-data;\r\n name=\"a\"\r\n\r\n1"),      # a continued header
    body(b"Content-Type: text/plain\r\n\r\n1"),                             # no disposition
    body(b"Content-Disposition: form-data; name=\"\xff\"\r\n\r\n1"),        # not UTF-8
    body(part("a", b"x\n--bench\r\ny")),                                    # LF before boundary
    body(part("a", b"x--benchy")),                                          # boundary in data
    body(b"\r\n1"),                                                         # no headers
    body(part("a", b"1")).replace(b"--bench--", b"--bench"),                # not closed
    b"--bench--\r\n",                                                       # empty form
    b"",
    body(part("a", b"1"), b"X-Odd: \r stray\r\n" + part("b", b"2")),       # a lone CR
]


def boundary_of(raw: bytes) -> str:
    return raw.split(b"\r\n", 1)[0][2:].decode() if raw.startswith(b"--") else B


@pytest.mark.parametrize("raw", WELL_FORMED + ODD)
def test_every_body_parses_as_werkzeug_parses_it(raw):
    same(raw, boundary=boundary_of(raw))


@pytest.mark.parametrize("raw", WELL_FORMED)
def test_a_well_formed_body_takes_the_one_pass_path(raw, monkeypatch):
    def refused(*args, **kwargs):
        raise AssertionError("werkzeug's streaming parser was used")

    monkeypatch.setattr(MultiPartParser, "parse", refused)
    assert parse(FormParser, raw, boundary=boundary_of(raw)) != "413"


def test_the_limits_are_werkzeugs():
    raw = body(*(part(f"f{i}", b"x") for i in range(5)))
    assert same(raw, parts=4) == "413"
    assert same(body(part("a", b"x" * 600)), memory=500) == "413"
    same(body(part("a", b"x" * 600, "a.bin")), memory=500)
    same(raw, length=None)  # a chunked request: werkzeug streams its files to disk


def test_a_missing_or_foreign_boundary_is_werkzeugs_to_judge():
    raw = body(part("a", b"1"))
    assert same(raw, boundary="") == ([], [], raw)
    same(raw, boundary="bénch")
    same(raw, boundary="other")


def test_the_part_media_type_is_file_storages():
    assert mimetype("Application/PDF; name=x") == "application/pdf"
    assert mimetype(None) == ""


names = st.text(st.characters(codec="utf-8", exclude_characters='"\\\r\n'), max_size=8)
data = st.binary(max_size=64) | st.sampled_from([b"--bench", b"\r\n--bench\r\n", b"\r\n\r\n",
                                                  b"\n--bench--", b"\r"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(names, data, st.none() | names, st.none() | st.sampled_from(
    ["text/plain", "text/plain; charset=ascii", "application/octet-stream"])), min_size=1,
    max_size=4), st.sampled_from([b"\r\n", b"", b"\r\n\r\n", b" "]))
def test_generated_bodies_parse_as_werkzeug_parses_them(parts, tail):
    same(body(*(part(*spec) for spec in parts), tail=tail))
