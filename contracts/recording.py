"""Recorded exchanges as HAR 1.2, the format browsers and HTTP tools export and read.

The validation proxy writes a recording, `conformance replay` judges one and `mockserver serve
--from-recording` answers from one, so the format lives here, beside the contracts all three
read. A recording is a directory: `recording.har` (one HAR document) and `bodies/<sha256>`
(bodies above the size limit, named by their hash). Fields used, from the HAR 1.2 spec
(http://www.softwareishard.com/blog/har-12-spec/): `log.version`, `log.creator`, `log.entries[]`
with `startedDateTime`, `time`, `request` (`method`, `url`, `httpVersion`, `headers`,
`queryString`, `postData.mimeType`/`text`, `bodySize`), `response` (`status`, `statusText`,
`headers`, `content.size`/`mimeType`/`text`/`encoding`, `bodySize`), `timings`. Custom fields
start with `_` as the spec asks: `_vendor`, `_path` (the path below the vendor's base URL),
`_file` (a body stored by hash), `_encoding` (`base64` on a binary request body), `_compressed`
(a response body kept with its content coding: stored by hash, or a coding other than gzip or
deflate; any other body is recorded decoded, as HAR's `text` is).
Credentials and tokens are masked before anything is written, each replaced by a fingerprint
(`<masked:` and the first 12 hex digits of its SHA-256), so that a judge of the recording can
still tell one client's requests from another's without learning any secret.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "BODIES",
    "HAR_FILE",
    "MASK",
    "Recorded",
    "RecordingError",
    "body_field",
    "entry",
    "is_secret",
    "mask_body",
    "mask_headers",
    "mask_query",
    "masked",
    "read",
    "store_body",
]

HAR_FILE = "recording.har"
BODIES = "bodies"
MASK = "<masked"
"""How every masked value starts: `<masked:` and a fingerprint (a hash's first 12 hex digits),
so that a recording still tells which requests carried the same credential."""
_SECRET_HEADERS = {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                   "api-key"}
_SECRET_NAME = re.compile(r"secret|password|passwd|api_?key|credential|signature|(^|[_-])token$",
                          re.IGNORECASE)


class RecordingError(Exception):
    """The recording cannot be read: missing, not HAR, or a stored body is gone."""


@dataclass
class Recorded:
    """One recorded exchange, with its bodies as bytes."""

    method: str
    url: str
    path: str | None
    vendor: str | None
    query: str
    request_headers: dict[str, str]
    request_body: bytes
    request_type: str
    status: int
    response_headers: dict[str, str]
    response_body: bytes
    response_type: str
    started: str = ""
    compressed: str | None = None
    """The content coding the response body still has (None: recorded decoded)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def json(self, which: str = "response") -> Any:
        """A body as JSON, or None when it is none."""
        raw = self.response_body if which == "response" else self.request_body
        try:
            if which == "response" and self.compressed in ("gzip", "deflate"):
                raw = zlib.decompress(raw, 16 + zlib.MAX_WBITS if self.compressed == "gzip"
                                      else zlib.MAX_WBITS)
            return json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError, zlib.error, RecursionError):
            return None


def is_secret(name: str) -> bool:
    """Whether a field, header or query parameter of this name carries a secret."""
    return bool(_SECRET_NAME.search(name))


def masked(value: str) -> str:
    """A secret replaced by its fingerprint."""
    return f"{MASK}:{hashlib.sha256(value.encode()).hexdigest()[:12]}>"


def mask_headers(headers: list[tuple[str, str]]) -> list[dict[str, str]]:
    """HAR headers with credentials replaced (a bearer scheme's name is kept)."""
    shown = []
    for name, value in headers:
        if name.lower() in _SECRET_HEADERS or _SECRET_NAME.search(name):
            scheme, _, rest = value.partition(" ")
            value = f"{scheme} {masked(rest)}" if rest and scheme.isalpha() else masked(value)
        shown.append({"name": name, "value": value})
    return shown


def mask_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, masked(v) if _SECRET_NAME.search(k) else v) for k, v in pairs])


def mask_body(data: bytes, mime: str) -> bytes:
    """A JSON or form body with secret-looking fields (client_secret, access_token) masked."""
    if "json" in mime:
        try:
            return json.dumps(_mask_value(json.loads(data))).encode()
        except (ValueError, UnicodeDecodeError):
            return data
    if mime.startswith("application/x-www-form-urlencoded"):
        return mask_query(data.decode("latin-1")).encode()
    return data


def _mask_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: masked(v) if _SECRET_NAME.search(str(k)) and isinstance(v, str)
                else _mask_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(v) for v in value]
    return value


def body_field(data: bytes, mime: str, directory: Path, limit: int, *, request: bool = False
               ) -> dict[str, Any]:
    """A body as HAR content: text, base64 for binary, or `_file` when above `limit` bytes
    (HAR's `encoding` is a response field; a request body's is the custom `_encoding`)."""
    if len(data) > limit:
        digest = hashlib.sha256(data).hexdigest()
        store_body(directory, digest, [data])
        return {"mimeType": mime, "_file": f"{BODIES}/{digest}"}
    try:
        return {"mimeType": mime, "text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"mimeType": mime, "text": base64.b64encode(data).decode(),
                "_encoding" if request else "encoding": "base64"}


def store_body(directory: Path, digest: str, chunks: Any) -> None:
    """Write a body under its hash (once: the same bytes are one file)."""
    target = directory / BODIES / digest
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    with open(partial, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    partial.replace(target)


def entry(*, started: str, elapsed_ms: float, method: str, url: str, query: str,
          request_headers: list[tuple[str, str]], request_body: dict[str, Any] | None,
          request_size: int, status: int, status_text: str,
          response_headers: list[tuple[str, str]], response_body: dict[str, Any],
          response_size: int, vendor: str | None, path: str | None) -> dict[str, Any]:
    """One HAR 1.2 entry; headers and query are masked here, bodies by the caller."""
    masked_query = mask_query(query)
    request: dict[str, Any] = {
        "method": method, "url": url + (f"?{masked_query}" if masked_query else ""),
        "httpVersion": "HTTP/1.1", "cookies": [], "headers": mask_headers(request_headers),
        "queryString": [{"name": k, "value": v}
                        for k, v in parse_qsl(masked_query, keep_blank_values=True)],
        "headersSize": -1, "bodySize": request_size,
    }
    if request_body is not None:
        request["postData"] = request_body
    content = {"size": response_size, **response_body}
    return {
        "startedDateTime": started, "time": round(elapsed_ms, 3), "request": request,
        "response": {"status": status, "statusText": status_text, "httpVersion": "HTTP/1.1",
                     "cookies": [], "headers": mask_headers(response_headers), "content": content,
                     "redirectURL": "", "headersSize": -1, "bodySize": response_size},
        "cache": {}, "timings": {"send": 0, "wait": round(elapsed_ms, 3), "receive": 0},
        "_vendor": vendor, "_path": path,
    }


def read(directory: Path) -> list[Recorded]:
    """Every exchange of a recording directory (or a `.har` file), in recorded order."""
    har = directory / HAR_FILE if directory.is_dir() else directory
    base = har.parent
    try:
        document = json.loads(har.read_text(encoding="utf-8"))
        entries = document["log"]["entries"]
        return [_recorded(item, base) for item in entries]
    except OSError as error:
        raise RecordingError(f"cannot read {har}: {error.strerror or error}") from None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
        raise RecordingError(f"{har} is not a HAR 1.2 recording: {error!r}") from None


def _recorded(item: dict[str, Any], base: Path) -> Recorded:
    request, response = item["request"], item["response"]
    url = request["url"]
    post = request.get("postData") or {}
    content = response.get("content") or {}
    return Recorded(
        method=request["method"].upper(), url=url.split("?")[0], path=item.get("_path"),
        vendor=item.get("_vendor"), query=url.partition("?")[2],
        request_headers={h["name"]: h["value"] for h in request.get("headers", [])},
        request_body=_bytes(post, base, post.get("_encoding")),
        request_type=post.get("mimeType", ""), status=int(response["status"]),
        response_headers={h["name"]: h["value"] for h in response.get("headers", [])},
        response_body=_bytes(content, base, content.get("encoding")),
        response_type=content.get("mimeType", ""), started=item.get("startedDateTime", ""),
        compressed=content.get("_compressed"),
    )


_STORED = re.compile(rf"{BODIES}/\w[\w.-]*")
"""How a stored body is named: one file in `bodies/`, never a path out of the recording."""


def _bytes(content: dict[str, Any], base: Path, encoding: str | None) -> bytes:
    if "_file" in content:
        if not isinstance(content["_file"], str) or not _STORED.fullmatch(content["_file"]):
            raise RecordingError(f"stored body {content['_file']!r} is not a file in {BODIES}/")
        try:
            return (base / content["_file"]).read_bytes()
        except OSError as error:
            raise RecordingError(f"stored body {content['_file']} is missing: "
                                 f"{error.strerror}") from None
    text = content.get("text") or ""
    return base64.b64decode(text) if encoding == "base64" else text.encode("utf-8")
