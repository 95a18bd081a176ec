"""multipart/form-data bodies already in memory, parsed in one pass over the bytes.

werkzeug's form parser streams: an event loop over 64 KB chunks, a regex per boundary and per
header block, and `parse_options_header` for every part; it took a fifth of a Further AI create.
The engine has read the whole body before it parses anything (`VendorPipeline._read_body`), so
a well-formed body can be split at its boundaries at once. "Well-formed" is strict: CRLF line
breaks, the boundary nowhere but at the delimiters, no preamble, no header continuation lines,
within werkzeug's size and part limits. Every other body goes to werkzeug's parser, so what is
lenient or refused stays werkzeug's decision; what this parser returns is what werkzeug's
would (`tests/mockserver/engine/test_forms.py` compares the two).
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from typing import IO, Any, cast

from werkzeug.datastructures import FileStorage, Headers
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import File
from werkzeug.wrappers import Request

__all__ = ["FormParser", "VendorRequest", "mimetype"]


class FormParser(FormDataParser):
    """werkzeug's form parser, with a one-pass path for a well-formed multipart body in
    memory."""

    def parse(self, stream: IO[bytes], mimetype: str, content_length: int | None,
              options: dict[str, str] | None = None) -> Any:
        if mimetype == "multipart/form-data" and isinstance(stream, BytesIO) \
                and content_length is not None:
            parsed = self._in_one_pass(stream.getvalue(), content_length, options or {})
            if parsed is not None:
                stream.seek(0, 2)  # read to the end, as werkzeug's parser leaves it
                return stream, *parsed
        return super().parse(stream, mimetype, content_length, options)

    def _in_one_pass(self, body: bytes, content_length: int, options: dict[str, str]
                     ) -> tuple[Any, Any] | None:
        boundary = options.get("boundary", "")
        if not boundary or not boundary.isascii() or \
                (self.max_form_memory_size is not None and len(body) > self.max_form_memory_size):
            return None
        parts = _split(body, boundary.encode("ascii"))
        if parts is None or (self.max_form_parts is not None and len(parts) > self.max_form_parts):
            return None
        parser = MultiPartParser(stream_factory=self.stream_factory, cls=self.cls,
                                 max_form_memory_size=self.max_form_memory_size,
                                 max_form_parts=self.max_form_parts)
        fields: list[tuple[str, str]] = []
        files: list[tuple[str, FileStorage]] = []
        for part in parts:
            found = _part(part)
            if found is None:
                return None
            headers, data = found
            _, extra = _options(headers["content-disposition"])
            # as werkzeug's parser: a part without a name is named None
            name, filename = cast(str, extra.get("name")), extra.get("filename")
            if filename is None:
                fields.append((name, data.decode(parser.get_part_charset(headers), "replace")))
                continue
            container = parser.start_file_streaming(
                File(name=name, filename=filename, headers=headers), content_length)
            container.write(data)
            container.seek(0)
            files.append((name, FileStorage(container, filename, name, headers=headers)))
        return self.cls(fields), self.cls(files)


class VendorRequest(Request):
    """The request a vendor's pipeline reads: werkzeug's, with the one-pass form parser."""

    form_data_parser_class = FormParser


def mimetype(content_type: str | None) -> str:
    """A part's media type as `FileStorage.mimetype` gives it (remembered: a client sends the
    same few types)."""
    return _options(content_type or "")[0].lower()


def _split(body: bytes, boundary: bytes) -> list[bytes] | None:
    """The parts between `--boundary` CRLF ... CRLF `--boundary--` [CRLF], or None when the
    body is framed any other way."""
    dash = b"--" + boundary
    opening, between, closing = dash + b"\r\n", b"\r\n" + dash + b"\r\n", b"\r\n" + dash + b"--"
    if not body.startswith(opening):
        return None
    if body.endswith(closing):
        end = len(body) - len(closing)
    elif body.endswith(closing + b"\r\n"):
        end = len(body) - len(closing) - 2
    else:
        return None
    if end < len(opening):
        return None
    parts = body[len(opening):end].split(between)
    # the boundary may appear nowhere else (werkzeug knows other line breaks and spaces)
    expected, at = [0], len(opening)
    for part in parts:
        at += len(part)
        expected.append(at + 2)
        at += len(between)
    found: list[int] = []
    start = body.find(dash)
    while start != -1 and len(found) <= len(expected):
        found.append(start)
        start = body.find(dash, start + 1)
    return parts if found == expected else None


def _part(part: bytes) -> tuple[Headers, bytes] | None:
    """A part's headers and data, or None when its header block is not plain CRLF lines with
    a Content-Disposition (werkzeug decides those)."""
    head_end = part.find(b"\r\n\r\n")
    if head_end <= 0:
        return None
    pairs: list[tuple[str, str]] = []
    for line in part[:head_end].split(b"\r\n"):
        if b"\r" in line or b"\n" in line or line[:1] in (b" ", b"\t"):
            return None  # a lone line break, or a continued header
        line = line.strip(b" \t")
        if line:
            try:
                name, _, value = line.decode().partition(":")
            except UnicodeDecodeError:
                return None
            pairs.append((name.strip(" \t"), value.strip(" \t")))
    headers = Headers(pairs)
    if "content-disposition" not in headers:
        return None
    return headers, part[head_end + 4:]


@lru_cache(maxsize=256)
def _options(value: str) -> tuple[str, dict[str, str]]:
    """`parse_options_header`, remembered; callers only read the result."""
    return parse_options_header(value)
