"""The control API under `/__mock__/`: reset, drive the clock, force runs, faults, stubs, own
results, the journal (with each request's detail, filtered by `?vendor=` and `?operation=`).

Plain JSON, no auth: it is for the tests and people driving a local mock, never for clients.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, Field, ValidationError
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from mockserver.engine.faults import FaultRule
from mockserver.engine.lifecycle import timeline
from mockserver.engine.limits import LATEST_TIME, OutOfRange, parse_json
from mockserver.engine.names import UnknownName, check_fault_kinds
from mockserver.engine.scenarios import Scenario
from mockserver.engine.strict import ContractBreach
from mockserver.engine.stubs import Stub, StubBook
from mockserver.mock import Mock
from mockserver.web import queries

__all__ = ["PREFIX", "control_api", "json_body"]

PREFIX = "/__mock__"


class Advance(BaseModel):
    seconds: float = Field(ge=0, le=LATEST_TIME, allow_inf_nan=False)


class ForceState(BaseModel):
    state: str


class OwnResultsBody(BaseModel):
    values: dict[str, Any]
    allow_violation: bool = False


def control_api(mock: Mock) -> Blueprint:
    """The `/__mock__/` blueprint driving one mock."""
    api = Blueprint("control", __name__, url_prefix=PREFIX)

    def body(model: type[BaseModel]) -> Any:
        return model.model_validate(json_body(mock.config.max_upload_bytes,
                                              mock.config.max_json_depth))

    @api.errorhandler(ValidationError)
    def invalid(error: ValidationError) -> tuple[Response, int]:
        return jsonify(error="invalid control request", details=error.errors(
            include_url=False, include_context=False, include_input=False)), 400

    @api.errorhandler(OutOfRange)
    def out_of_range(error: OutOfRange) -> tuple[Response, int]:
        return jsonify(error=str(error)), 400

    @api.errorhandler(UnknownName)
    def unknown(error: UnknownName) -> tuple[Response, int]:
        return jsonify(error.as_dict()), 400

    @api.errorhandler(ContractBreach)
    def breach(error: ContractBreach) -> tuple[Response, int]:
        return jsonify(error=str(error)), 400

    @api.errorhandler(LookupError)
    def missing(error: LookupError) -> tuple[Response, int]:
        return jsonify(error=str(error).strip("'\"")), 404

    @api.errorhandler(ValueError)
    def conflict(error: ValueError) -> tuple[Response, int]:
        return jsonify(error=str(error)), 409


    @api.get("/")
    def overview() -> Response:
        base = request.host_url.rstrip("/")
        return jsonify(
            vendors={name: {"title": runtime.contract.extensions.vendor.name,
                            "base_url": base + mock.mount_prefix(name),
                            "openapi": f"{base}{mock.mount_prefix(name)}/openapi.json",
                            "docs": f"{base}{mock.mount_prefix(name)}/docs",
                            "credentials": runtime.vendor.auth.credentials.model_dump(),
                            "token_lifetime_seconds": queries.token_lifetime(mock, name)}
                     for name, runtime in mock.vendors.items()},
            clock=mock.clock.state(), seed=mock.config.seed,
        )

    @api.get("/health")
    def health() -> Response:
        """For readiness probes: answers once the worker serves, after reading the store."""
        return jsonify(status="ok", vendors=sorted(mock.vendors), now=mock.clock.now())

    @api.post("/reset")
    def reset() -> Response:
        mock.reset()
        return jsonify(reset=True, clock=mock.clock.state())

    @api.get("/clock")
    def clock() -> Response:
        return jsonify(mock.clock.state())

    @api.post("/clock/advance")
    def advance() -> Response:
        mock.clock.advance(body(Advance).seconds)
        mock.notify_due()  # runs that ended meanwhile queue their webhooks now
        return jsonify(mock.clock.state())

    @api.post("/clock/freeze")
    def freeze() -> Response:
        mock.clock.freeze()
        return jsonify(mock.clock.state())

    @api.post("/clock/resume")
    def resume() -> Response:
        mock.clock.resume()
        return jsonify(mock.clock.state())

    @api.get("/runs")
    def runs() -> Response:
        query = queries.RunQuery.model_validate(request.args.to_dict())
        return jsonify(queries.list_runs(mock, query))

    @api.get("/runs/<vendor>/<run_id>")
    def run(vendor: str, run_id: str) -> Response:
        return jsonify(mock.run(vendor, run_id).model_dump())

    @api.post("/runs/<vendor>/<run_id>/state")
    def force(vendor: str, run_id: str) -> Response:
        return jsonify(mock.force(vendor, run_id, body(ForceState).state).model_dump())

    @api.post("/scenarios")
    def queue() -> tuple[Response, int]:
        mock.queue(body(Scenario))
        return jsonify(queued=True), 201

    @api.get("/faults")
    def faults() -> Response:
        return jsonify([rule.model_dump() for rule in mock.faults.rules()])

    @api.post("/faults")
    def add_fault() -> tuple[Response, int]:
        sent = json_body(mock.config.max_upload_bytes, mock.config.max_json_depth)
        if isinstance(sent, dict) and isinstance(sent.get("kinds"), list):
            check_fault_kinds(sent["kinds"])
        rule = FaultRule.model_validate(sent)
        mock.add_fault(rule)
        return jsonify(rule.model_dump()), 201

    @api.delete("/faults")
    def clear_faults() -> Response:
        mock.faults.set_rules([])
        return jsonify([])

    @api.get("/stubs")
    def stubs() -> Response:
        return jsonify([stub.model_dump() for stub in StubBook(mock.store).all()])

    @api.post("/stubs")
    def add_stub() -> tuple[Response, int]:
        return jsonify(mock.add_stub(body(Stub)).model_dump()), 201

    @api.delete("/stubs")
    def clear_stubs() -> Response:
        StubBook(mock.store).clear()
        return jsonify([])

    @api.post("/results/<vendor>")
    def own_results(vendor: str) -> Response:
        given = body(OwnResultsBody)
        mock.set_results(vendor, given.values, allow_violation=given.allow_violation)
        return jsonify(vendor=vendor, results=sorted(given.values))

    @api.get("/journal")
    def journal() -> Response:
        query = queries.JournalQuery.model_validate(request.args.to_dict())
        return jsonify([entry.model_dump() for entry in queries.filter_journal(mock, query)])

    # -- what the console needs, scriptable like the rest ---------------------------------------

    @api.get("/summary")
    def summary() -> Response:
        return jsonify(queries.summary(mock))

    @api.get("/vendors/<vendor>/operations")
    def operations(vendor: str) -> Response:
        return jsonify(queries.operations(mock, vendor))

    @api.get("/vendors/<vendor>/lifecycles")
    def lifecycles(vendor: str) -> Response:
        return jsonify(queries.lifecycles(mock, vendor))

    @api.get("/runs/<vendor>/<run_id>/timeline")
    def run_timeline(vendor: str, run_id: str) -> Response:
        run = mock.run(vendor, run_id)
        return jsonify([change.model_dump()
                        for change in timeline(run, mock.lifecycle(vendor, run.resource))])

    @api.delete("/faults/<int:index>")
    def remove_fault(index: int) -> Response:
        mock.faults.remove(index)
        return jsonify([rule.model_dump() for rule in mock.faults.rules()])

    @api.get("/scenarios")
    def scenarios() -> Response:
        return jsonify(mock.scenarios.queued())

    return api


def json_body(max_bytes: int, max_depth: int) -> Any:
    """The request's JSON body ({} when empty); 400 if it is badly framed, not JSON or nested
    deeper than `max_depth`, 413 if longer than `max_bytes`, however it is framed."""
    # werkzeug cuts a chunked body off at the limit without a word: read one byte more to know
    request.max_content_length = max_bytes + 1
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise
    except Exception as error:  # badly framed chunks: the WSGI server's own error types
        raise BadRequest(f"Malformed request body: {error}") from None
    if len(raw) > max_bytes:
        raise RequestEntityTooLarge(f"The body is larger than the limit of {max_bytes} bytes")
    if not raw.strip():
        return {}
    try:
        return parse_json(raw, max_depth)
    except ValueError as error:
        raise BadRequest(f"The body is not valid JSON: {error}") from None
