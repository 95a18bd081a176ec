"""`serve --from-recording DIR`: a real vendor session answered again, offline.

A request that matches a recorded one (vendor, method, path below the base URL, query) gets the
recorded answers in recorded order, whichever way it reaches the vendor (`mounts.Mounts`: real
host, mount prefix, the only vendor at the root), so a run's poll sequence plays out as it did;
once they are used up, a read (GET, HEAD) keeps its last recorded answer (a terminal state never
changes) and anything else falls back to the mock's own behaviour. A body is answered as
recorded: decoded, unless the recording kept its content coding. The token endpoint is never
replayed: recorded tokens are masked, so the mock issues real ones. How many answers each
request has had is kept in the store, so several workers play one sequence.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request

from contracts.recording import Recorded, read
from mockserver.engine.journal import JournalEntry
from mockserver.engine.verdicts import judge_request
from mockserver.mock import Mock
from mockserver.storage import keys
from mockserver.web.mounts import Mounts

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["RecordedAnswers"]

_NOT_REPLAYED = {"connection", "keep-alive", "transfer-encoding", "content-length", "date",
                 "server"}


class RecordedAnswers:
    """WSGI middleware in front of the mock: recorded answers first, then the mock."""

    def __init__(self, mock: Mock, app: WSGIApplication, recording: Path) -> None:
        self.mock = mock
        self.app = app
        self.answers: dict[tuple[str, str, str, str], list[Recorded]] = {}
        self.mounts: Mounts[str] = Mounts(mock, {name: name for name in mock.vendors})
        for exchange in read(recording):
            vendor = exchange.vendor
            if vendor not in mock.vendors or exchange.path is None:
                continue
            token = mock.vendors[vendor].contract.token_endpoint
            if token is not None and exchange.path == token.path:
                continue
            key = (vendor, exchange.method, exchange.path, exchange.query)
            self.answers.setdefault(key, []).append(exchange)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        found = self.mounts.resolve(environ.get("HTTP_HOST", ""), path)
        if found is not None:
            vendor, prefix = found
            key = (vendor, environ["REQUEST_METHOD"], path[len(prefix):],
                   environ.get("QUERY_STRING", ""))
            answers = self.answers.get(key)
            if answers:
                answer = self._next(key, answers)
                if answer is not None:
                    return self._answer(environ, start_response, vendor, prefix, answer)
        return self.app(environ, start_response)

    def _next(self, key: tuple[str, str, str, str], answers: list[Recorded]
              ) -> Recorded | None:
        def count(current: dict[str, Any] | None) -> dict[str, Any]:
            return {"given": (current or {"given": 0})["given"] + 1}

        given = (self.mock.store.update(keys.REPLAYED, "|".join(key), count) or {})["given"]
        if given <= len(answers):
            return answers[given - 1]
        return answers[-1] if key[1] in ("GET", "HEAD") else None

    def _answer(self, environ: WSGIEnvironment, start_response: StartResponse, vendor: str,
                prefix: str, answer: Recorded) -> Iterable[bytes]:
        request = Request(environ)
        pipeline = self.mock.vendors[vendor]
        judged = judge_request(pipeline.contract, pipeline.route, request,
                               request.path[len(prefix):])
        violations = [str(v) for v in judged.violations]
        self.mock.store.append_journal(JournalEntry(
            time=self.mock.clock.now(), vendor=vendor, method=request.method,
            path=request.full_path.rstrip("?"),
            operation=judged.operation.id if judged.operation else None, status=answer.status,
            verdict="violates" if violations else "conforms", violations=violations,
            side="client" if violations else None, source="recording",
        ).model_dump_json())
        body = b"" if request.method == "HEAD" else answer.response_body
        dropped = _NOT_REPLAYED | (set() if answer.compressed else {"content-encoding"})
        headers = [(name, value) for name, value in answer.response_headers.items()
                   if name.lower() not in dropped]
        headers.append(("Content-Length", str(len(answer.response_body))))
        start_response(f"{answer.status} {HTTP_STATUS_CODES.get(answer.status, '')}", headers)
        return [body]
