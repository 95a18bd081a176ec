"""The proxy as a WSGI app: each vendor found as `serve` finds it, forwarded to its upstream.

A vendor is reached by `web.mounts.Mounts`'s rule (real host, mount prefix, the only vendor at
the root); the path below its base URL is what goes to the upstream and into the recording,
whichever way it was reached.

A request is spooled (in memory up to 1 MB, on disk beyond), judged, and streamed on; the
response is streamed back chunk by chunk while at most `judge_body_limit` bytes of it are kept
for the verdict. The verdict is written to the journal before the response's last chunk is
sent, so a client that has read its answer finds the exchange in the journal.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
import time
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import IO, TYPE_CHECKING, Any

import urllib3
from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request
from werkzeug.wsgi import get_input_stream

from contracts import recording
from mockserver.config import MockConfig
from mockserver.engine.errors import error_body
from mockserver.engine.journal import JournalEntry
from mockserver.engine.pipeline import VendorPipeline
from mockserver.engine.validation import Violation
from mockserver.engine.verdicts import (
    Judged,
    decoded,
    judge_request,
    judge_response,
    refusal,
    rejection_problems,
)
from mockserver.engine.watch import observer_for, watch_exchange
from mockserver.mock import Mock
from mockserver.proxy.config import ProxyConfig
from mockserver.proxy.recorder import HarWriter
from mockserver.proxy.upstream import HOP_BY_HOP, GatewayError, Upstream
from mockserver.web.control import control_api
from mockserver.web.docs import docs_pages
from mockserver.web.mounts import Mounts

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["ProxyApp", "create_proxy_app"]

log = logging.getLogger("mockserver.proxy")

SPOOL_IN_MEMORY = 1024 * 1024
_NOT_RELAYED = HOP_BY_HOP | {"date", "server"}  # the proxy's own server stamps these
_NOT_FORWARDED = HOP_BY_HOP | {"content-length", "expect"}  # the body goes whole, with its length


class ProxyApp:
    """WSGI app: vendor traffic to its upstream, judged; `/__mock__/journal` for the verdicts."""

    def __init__(self, config: ProxyConfig, mock: Mock | None = None) -> None:
        self.config = config
        self.mock = mock or Mock(MockConfig(contracts=[r.contract for r in config.routes],
                                            store=config.store))
        targets: dict[str, tuple[VendorPipeline, Upstream]] = {}
        for route in config.routes:
            vendor = next(name for name, runtime in self.mock.vendors.items()
                          if runtime.contract.name == route.contract)
            targets[vendor] = (self.mock.vendors[vendor],
                               Upstream(route.upstream, config.connect_timeout,
                                        config.read_timeout))
        self.mounts: Mounts[tuple[VendorPipeline, Upstream]] = Mounts(self.mock, targets)
        self.routes = [(self.mounts.prefixes[vendor], pipeline, upstream)
                       for vendor, (pipeline, upstream) in targets.items()]
        """Each vendor's mount prefix, pipeline and upstream, in the order configured."""
        self.observers = {name: observer_for(self.mock.store, runtime.contract)
                          for name, runtime in self.mock.vendors.items()}
        self.recorder = HarWriter(config.record) if config.record else None
        self.control = Flask("mockserver.proxy")
        self.control.register_blueprint(control_api(self.mock))
        self.control.register_blueprint(docs_pages(self.mock))

        @self.control.route("/<path:path>", methods=["GET", "HEAD", "POST", "PUT", "PATCH",
                                                      "DELETE"])
        def nowhere(path: str) -> tuple[Response, int]:
            return jsonify(error=f"No vendor is proxied at /{path}",
                           vendors=self.mounts.prefixes), 404

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        found = self.mounts.resolve(environ.get("HTTP_HOST", ""),
                                    environ.get("PATH_INFO", "") or "/")
        if found is None:
            return self.control(environ, start_response)
        (pipeline, upstream), prefix = found
        return _Exchange(self, pipeline, upstream, prefix, environ).run(start_response)


def create_proxy_app(config: ProxyConfig) -> ProxyApp:
    """The proxy as a WSGI app (each gunicorn worker builds its own)."""
    return ProxyApp(config)


class _Exchange:
    """One request through the proxy, from the client's bytes to the journal entry."""

    def __init__(self, app: ProxyApp, pipeline: VendorPipeline, upstream: Upstream, prefix: str,
                 environ: WSGIEnvironment) -> None:
        self.app = app
        self.pipeline = pipeline
        self.contract = pipeline.contract
        self.upstream = upstream
        self.environ = environ
        self.started = time.perf_counter()
        self.started_at = datetime.now(timezone.utc).isoformat()
        self.spool: IO[bytes] = tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY)  # noqa: SIM115
        self.size = _copy(get_input_stream(environ), self.spool)
        inner = dict(environ)
        inner.pop("HTTP_TRANSFER_ENCODING", None)
        inner.update({"wsgi.input": self.spool, "CONTENT_LENGTH": str(self.size)})
        self.spool.seek(0)
        self.request = Request(inner)
        self.path = self.request.path[len(prefix):]
        self.query = environ.get("QUERY_STRING", "")
        self.headers = [(name, value) for name, value in self.request.headers.items()
                        if name.lower() not in _NOT_FORWARDED]

    def run(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            judged = judge_request(self.contract, self.pipeline.route, self.request, self.path)
        except HTTPException as error:  # a body werkzeug cannot parse at all
            judged = Judged(None, violations=[Violation(("body",), "value_error",
                                                        str(error.description))])
        except Exception:  # a fault in judging must never break the traffic
            log.exception("could not judge %s %s", self.request.method, self.path)
            judged = Judged(None)
        self.judged = judged
        if judged.violations and self.app.config.strict_client:
            status, body = refusal(self.contract, judged)
            return self._own_answer(start_response, status, body, refused=True)
        self.spool.seek(0)
        try:
            response = self.upstream.send(self.request.method, self.path, self.query,
                                          self.headers, self.spool, self.size)
        except GatewayError as error:
            return self._own_answer(start_response, error.status, self.gateway_error(error),
                                    fault=f"upstream {error.status}: {error}")
        relayed = [(name, value) for name, value in response.headers.items()
                   if name.lower() not in _NOT_RELAYED]
        start_response(f"{response.status} {response.reason or ''}".strip(), relayed)
        return _Relay(self, response, start_response)

    def gateway_error(self, error: GatewayError) -> Any:
        """The vendor's error body for a 502 or 504 the proxy answers itself."""
        operation = self.judged.operation
        error_format = operation.error_format if operation else \
            self.contract.extensions.error_format
        return error_body(error_format, error.status, str(error))

    def _own_answer(self, start_response: StartResponse, status: int, body: Any, *,
                    refused: bool = False, fault: str | None = None,
                    exc_info: Any = None) -> list[bytes]:
        """The proxy answers itself: a strict-client refusal or a gateway error."""
        data = json.dumps(body).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        self.finish(status, HTTP_STATUS_CODES.get(status, ""), headers, data, refused=refused,
                    fault=fault, judge=False)
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, '')}", headers, exc_info)
        return [data]

    def finish(self, status: int, reason: str, headers: list[tuple[str, str]],
               raw: bytes | None, *, refused: bool = False, fault: str | None = None,
               judge: bool = True, stored: tuple[str, int] | None = None,
               extra_problems: list[str] | None = None) -> None:
        """Judge the answer, journal the verdict, log one line, and record the exchange."""
        problems: list[str] = list(extra_problems or [])
        if judge:
            try:
                problems += self._judged_answer(status, headers, raw)
            except Exception as error:  # a fault in judging must never break the traffic
                log.exception("could not judge %s %s", self.request.method, self.path)
                fault = f"not judged: {type(error).__name__}: {error}"
        violations = [str(v) for v in self.judged.violations]
        side = ("both" if violations and problems else "client" if violations
                else "vendor" if problems else None)
        elapsed = (time.perf_counter() - self.started) * 1000
        operation = self.judged.operation
        entry = JournalEntry(
            time=self.app.mock.clock.now(), vendor=self.contract.vendor,
            method=self.request.method, path=self.request.full_path.rstrip("?"),
            operation=operation.id if operation else None, status=status,
            verdict="violates" if side else "conforms", violations=violations,
            response_problems=problems, fault=fault, prefer=self.request.headers.get("Prefer"),
            duration_ms=round(elapsed, 3), side=side, source="proxy")
        self.app.mock.store.append_journal(entry.model_dump_json())
        verdict = "conforms" if side is None else \
            f"VIOLATION by {side}: {'; '.join(violations + problems)}"
        if refused:
            verdict += " (refused: not forwarded)"
        (log.warning if side or fault else log.info)(
            '%s "%s %s" %s %.1fms %s%s', self.contract.vendor, self.request.method,
            entry.path, status, elapsed, verdict, f" ({fault})" if fault else "")
        if self.app.recorder is not None:
            self._record(status, reason, headers, raw, elapsed, stored)
        self.spool.close()

    def _judged_answer(self, status: int, headers: list[tuple[str, str]], raw: bytes | None
                       ) -> list[str]:
        lowered = {name.lower(): value for name, value in headers}
        found, body = judge_response(self.judged.operation, self.request.method, status,
                                     lowered, raw)
        return found + rejection_problems(self.judged, status, body) + watch_exchange(
            self.app.observers[self.contract.vendor], self.judged,
            self.request.headers.get("Authorization"), status, body)

    def _record(self, status: int, reason: str, headers: list[tuple[str, str]],
                raw: bytes | None, elapsed: float, stored: tuple[str, int] | None) -> None:
        recorder = self.app.recorder
        assert recorder is not None
        limit = self.app.config.record_body_limit
        request_type = self.request.headers.get("Content-Type", "")
        request_body = None
        if self.size:
            if self.size > limit:
                request_body = {"mimeType": request_type,
                                "_file": _store_spooled(recorder, self.spool)}
            else:
                self.spool.seek(0)
                request_body = recording.body_field(
                    recording.mask_body(self.spool.read(), request_type), request_type,
                    recorder.directory, limit, request=True)
        lowered = {k.lower(): v for k, v in headers}
        response_type = lowered.get("content-type", "")
        coding = lowered.get("content-encoding", "").strip().lower()
        if stored is not None:  # too large to keep in memory: stored as it came
            response_body: dict[str, Any] = {"mimeType": response_type, "_file": stored[0]}
            if coding:
                response_body["_compressed"] = coding
            size = stored[1]
        else:
            data = raw or b""
            size = len(data)
            kept_as_sent = coding not in ("", "identity", "gzip", "deflate")
            if coding in ("gzip", "deflate"):
                try:  # HAR's text is the decoded body, and a secret is masked only there
                    data = decoded(data, coding)
                except zlib.error:
                    kept_as_sent = True
            response_body = recording.body_field(recording.mask_body(data, response_type),
                                                 response_type, recorder.directory, limit)
            if kept_as_sent:
                response_body["_compressed"] = coding
            elif coding not in ("", "identity"):
                response_body["compression"] = size - len(data)
        try:
            recorder.append(recording.entry(
                started=self.started_at, elapsed_ms=elapsed, method=self.request.method,
                url=self.upstream.base_url + self.path, query=self.query,
                request_headers=list(self.request.headers.items()), request_body=request_body,
                request_size=self.size, status=status, status_text=reason,
                response_headers=headers, response_body=response_body, response_size=size,
                vendor=self.contract.vendor, path=self.path))
        except (OSError, ValueError) as error:
            log.error("cannot record %s %s: %s", self.request.method, self.path, error)


class _Relay:
    """The upstream's body, chunk by chunk; one chunk ahead, so the exchange is finished
    (judged, journaled, recorded) before the last chunk goes out."""

    def __init__(self, exchange: _Exchange, response: urllib3.BaseHTTPResponse,
                 start_response: StartResponse) -> None:
        self.exchange = exchange
        self.response = response
        self.start_response = start_response
        self.yielded = self.failed = False
        self.headers = list(response.headers.items())
        config = exchange.app.config
        self.limit = config.judge_body_limit
        self.recording = exchange.app.recorder is not None
        self.kept: bytearray | None = bytearray()
        self.spill: IO[bytes] | None = None
        self.hasher = hashlib.sha256()
        self.size = 0
        self.done = False

    def __iter__(self) -> Iterator[bytes]:
        chunks = self.exchange.upstream.stream(self.response)
        try:
            previous = next(chunks, None)
            while previous is not None:
                following = next(chunks, None)
                self._keep(previous)
                if following is None:
                    self._finish()
                self.yielded = True
                yield previous
                previous = following
            if not self.done:
                self._finish()
        except GatewayError as error:
            if self.yielded:  # too late for a status: the client sees the body break off
                self.failed = True
                self._finish([f"the upstream's body broke off after {self.size} bytes: "
                              f"{error}"])
                raise
            self.done = self.failed = True  # nothing went out: a 504 in the vendor's format
            yield from self.exchange._own_answer(
                self.start_response, error.status, self.exchange.gateway_error(error),
                fault=f"upstream {error.status}: {error}", exc_info=sys.exc_info())

    def _keep(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.recording:
            self.hasher.update(chunk)
        if self.kept is not None:
            self.kept += chunk
            if len(self.kept) > self.limit:
                if self.recording:
                    directory = self.exchange.app.config.record
                    assert directory is not None
                    (directory / recording.BODIES).mkdir(parents=True, exist_ok=True)
                    self.spill = tempfile.NamedTemporaryFile(  # noqa: SIM115
                        dir=directory / recording.BODIES, suffix=".part", delete=False)
                    self.spill.write(self.kept)
                self.kept = None
        elif self.spill is not None:
            self.spill.write(chunk)

    def _finish(self, problems: list[str] | None = None) -> None:
        if self.done:
            return
        self.done = True
        stored = None
        if self.spill is not None:
            digest = self.hasher.hexdigest()
            self.spill.close()
            target = self.spill.name.rsplit("/", 1)[0] + "/" + digest
            os.replace(self.spill.name, target)
            stored = (f"{recording.BODIES}/{digest}", self.size)
        self.exchange.finish(self.response.status, self.response.reason or "",
                             self.headers, bytes(self.kept) if self.kept is not None else None,
                             stored=stored, extra_problems=problems)

    def close(self) -> None:
        if not self.done:  # the client went away before the whole body was relayed
            self.done = self.failed = True
            self.exchange.finish(self.response.status, self.response.reason or "",
                                 self.headers, None, judge=False,
                                 fault=f"the client left after {self.size} bytes of the body")
        if not self.failed:
            self.response.release_conn()  # read to the end: the connection is reused
        else:
            self.response.drain_conn()
            self.response.close()


def _copy(source: Any, target: IO[bytes]) -> int:
    size = 0
    while chunk := source.read(64 * 1024):
        target.write(chunk)
        size += len(chunk)
    return size


def _store_spooled(recorder: HarWriter, spool: IO[bytes]) -> str:
    hasher = hashlib.sha256()
    spool.seek(0)
    for chunk in iter(lambda: spool.read(64 * 1024), b""):
        hasher.update(chunk)
    digest = hasher.hexdigest()
    spool.seek(0)
    recording.store_body(recorder.directory, digest, iter(lambda: spool.read(64 * 1024), b""))
    return f"{recording.BODIES}/{digest}"
