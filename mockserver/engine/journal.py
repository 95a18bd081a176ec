"""The request journal: every vendor request with the contract's verdict, and what was sent.

Beside the verdict, an entry keeps the request (query, headers with credentials masked, the JSON
or form body, each uploaded part's name, type, size and digest) and the response, so a test can
verify what its client sent. Bodies larger than `JournalSettings.max_body_bytes` are left out
(their size is kept), and `detail=False` keeps only the verdict, for the fastest poll loops.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field
from pydantic_core import to_json
from werkzeug.wrappers import Request

from mockserver.config import JournalSettings
from mockserver.engine.validation import Inputs

__all__ = [
    "JournalEntry",
    "Part",
    "entry_text",
    "mask",
    "masked_identity",
    "request_detail",
    "response_detail",
]

_SECRET_HEADERS = ("authorization", "cookie", "api-key", "apikey", "token", "secret", "session")
_SECRET_KEYS = ("secret", "password", "token", "api_key", "apikey")
_SECRET_BYTES = tuple(word.encode() for word in _SECRET_KEYS)


class Part(BaseModel):
    """One uploaded file of a multipart request, described rather than kept."""

    field: str
    filename: str
    content_type: str
    size: int
    sha256: str


class JournalEntry(BaseModel):
    """One vendor request as the journal keeps it, with the contract's verdict."""

    time: float
    vendor: str | None
    method: str
    path: str
    operation: str | None
    status: int
    verdict: str = Field(description="'conforms' or 'violates': does the request keep the contract "
                         "(through the proxy: does the exchange, see `side`)")
    violations: list[str] = Field(default_factory=list)
    response_problems: list[str] = Field(
        default_factory=list, description="Where the mock's own response broke the contract "
        "(through the proxy: the vendor's response, or its run across exchanges)."
    )
    fault: str | None = None
    prefer: str | None = None
    identity: str | None = None
    duration_ms: float = 0.0
    run: str | None = Field(None, description="The run this request created or read.")
    query: dict[str, Any] = Field(default_factory=dict,
                                  description="Query parameters; a repeated one as a list.")
    headers: dict[str, str] = Field(default_factory=dict,
                                    description="Request headers, credentials masked.")
    body: Any = Field(None, description="The JSON body, or a form's fields (files by name).")
    body_size: int = 0
    parts: list[Part] = Field(default_factory=list)
    response_body: Any = None
    response_size: int = 0
    omitted: list[str] = Field(default_factory=list,
                               description="Bodies left out for being over the size limit.")
    side: str | None = Field(
        None, description="Through the proxy, who broke the contract: 'client' (the request), "
        "'vendor' (the response or the run's lifecycle), 'both'; None when neither did.")
    source: str = Field(
        "mock", description="Who answered: 'mock', 'proxy' (the upstream, through the "
        "validation proxy) or 'recording' (`serve --from-recording`).")
    kind: str = Field("request", description="'request' (to the mock) or 'webhook' (a delivery "
                      "attempt by the mock: `path` is the receiver's URL, `operation` the "
                      "webhook, `status` its answer, 0 for none)")
    delivery: str | None = Field(None, description="webhook: the delivery's Webhook-Id")
    attempt: int | None = Field(None, description="webhook: 1 for the first try")
    signature: str | None = Field(None, description="webhook: the signature header sent")
    error: str | None = Field(None, description="webhook: why no answer came")

    def describe(self) -> str:
        """One line: what was sent and answered."""
        body = f" body={self.body!r}" if self.body is not None else ""
        return f"{self.method} {self.path} ({self.vendor} {self.operation}) -> {self.status}{body}"




@lru_cache(maxsize=256)
def _header(environ_key: str) -> tuple[str, bool]:
    """A CGI header key's usual spelling (`HTTP_X_API_KEY`: `X-Api-Key`), and whether it may
    carry a credential; a client sends the same few headers on every poll."""
    name = environ_key[5:].replace("_", "-").title()
    return name, any(word in name.lower() for word in _SECRET_HEADERS)


def mask(name: str, value: str) -> str:
    """A credential's scheme and last four characters, never the secret itself."""
    if not any(word in name.lower() for word in _SECRET_HEADERS):
        return value
    return _masked(value)


@lru_cache(maxsize=256)
def _masked(value: str) -> str:
    scheme, _, secret = value.partition(" ") if " " in value else ("", "", value)
    hidden = f"***{secret[-4:]}" if len(secret) >= 12 else "***"
    return f"{scheme} {hidden}" if scheme else hidden


@lru_cache(maxsize=256)
def masked_identity(identity: str | None) -> str | None:
    """A caller identified by a static key (`key:<the key>`) without the key itself."""
    if identity is None or not identity.startswith("key:"):
        return identity
    return "key:" + mask("authorization", identity[4:])


def _masked_body(body: Any) -> Any:
    if isinstance(body, dict):
        return {key: "***" if isinstance(value, str) and isinstance(key, str)
                and any(word in key.lower() for word in _SECRET_KEYS)
                else _masked_body(value) for key, value in body.items()}
    if isinstance(body, list):
        return [_masked_body(item) for item in body]
    return body


def request_detail(request: Request, inputs: Inputs | None,
                   settings: JournalSettings) -> dict[str, Any]:
    """What a request carried, for its journal entry (`inputs`: the parsed request, if it got
    that far)."""
    environ = request.environ
    headers = {}
    for key, value in environ.items():
        if key[:5] == "HTTP_":
            name, secret = _header(key)
            headers[name] = _masked(value) if secret else value
    content_type, length = environ.get("CONTENT_TYPE"), environ.get("CONTENT_LENGTH")
    if content_type:
        headers["Content-Type"] = content_type
    if length:
        headers["Content-Length"] = length
    query: dict[str, Any] = {}
    if environ.get("QUERY_STRING"):
        query = {key: values[0] if len(values) == 1 else values
                 for key, values in request.args.lists()}
    size = (request.content_length or 0) if length else 0
    detail: dict[str, Any] = {"query": query, "headers": headers, "body_size": size}
    if inputs is None or (inputs.body is None and not inputs.uploads):
        return detail
    detail["parts"] = [Part(field=upload.field, filename=upload.filename,
                            content_type=upload.content_type, size=len(upload.data),
                            sha256=hashlib.sha256(upload.data).hexdigest())
                       for upload in inputs.uploads]
    if isinstance(inputs.body, bytes):
        detail["omitted"] = ["body"]  # not JSON: its size and type say what it was
    elif inputs.uploads or size <= settings.max_body_bytes:
        detail["body"] = _masked_body(inputs.body)
    else:
        detail["omitted"] = ["body"]
    return detail


def response_detail(body: Any, data: bytes, settings: JournalSettings
                    ) -> tuple[dict[str, Any], str | None]:
    """What the mock answered, for the journal entry, and its JSON text to splice in as it was
    sent (`encode`): a poll's body is not serialised twice. A body that may hold a secret is
    masked instead; one over the size limit is left out."""
    if body is None or len(data) > settings.max_body_bytes:
        return {"response_size": len(data), "omitted": ["response_body"] if data else []}, None
    if _may_hold_secret(data):
        return {"response_body": _masked_body(body), "response_size": len(data)}, None
    return {"response_size": len(data)}, data.decode("utf-8")


@lru_cache(maxsize=512)
def _may_hold_secret(data: bytes) -> bool:
    """Whether a body names a secret's key (remembered: a poll sends the same bytes again)."""
    lowered = data.lower()  # then plain substring tests: a regex here costs 10x as much
    return any(word in lowered for word in _SECRET_BYTES)


@lru_cache(maxsize=1)
def _empty_entry() -> dict[str, Any]:
    """Every field of an entry in the model's order, at its default (None where it has none)."""
    return {name: None if field.is_required()
            else field.get_default(call_default_factory=True)
            for name, field in JournalEntry.model_fields.items()}


def entry_text(fields: dict[str, Any], response_json: str | None = None) -> str:
    """An entry as the store keeps it (JSON text): `fields` over every other field's default,
    with the response body's own JSON text spliced in as it was sent. The engine's values need
    no validation, and encoding a dict costs a poll a fifth of building the model to dump it."""
    text = to_json({**_empty_entry(), **fields}).decode()
    if response_json is None:
        return text
    head, _, tail = text.rpartition('"response_body":null')  # after every nested body
    return f'{head}"response_body":{response_json}{tail}'
