"""The control API under `/__mock__/`: reset, drive the clock, force runs, faults, the journal.

Plain JSON, no auth: it is for the tests and people driving a local mock, never for clients.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, Field, ValidationError

from mockserver.engine.faults import FaultRule
from mockserver.engine.scenarios import Scenario
from mockserver.mock import Mock

__all__ = ["PREFIX", "control_api"]

PREFIX = "/__mock__"


class Advance(BaseModel):
    seconds: float = Field(ge=0)


class ForceState(BaseModel):
    state: str


def control_api(mock: Mock) -> Blueprint:
    """The `/__mock__/` blueprint driving one mock."""
    api = Blueprint("control", __name__, url_prefix=PREFIX)

    def body(model: type[BaseModel]) -> Any:
        return model.model_validate(request.get_json(force=True, silent=True) or {})

    @api.errorhandler(ValidationError)
    def invalid(error: ValidationError) -> tuple[Response, int]:
        return jsonify(error="invalid control request", details=error.errors(
            include_url=False, include_context=False)), 400

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
            vendors={name: {"base_url": base + mock.mount_prefix(name),
                            "openapi": f"{base}{mock.mount_prefix(name)}/openapi.json",
                            "docs": f"{base}{mock.mount_prefix(name)}/docs",
                            "credentials": runtime.vendor.auth.credentials.model_dump()}
                     for name, runtime in mock.vendors.items()},
            clock=mock.clock.state(), seed=mock.config.seed,
        )

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
        return jsonify([run.model_dump() for run in mock.runs(request.args.get("vendor"))])

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
        rule = body(FaultRule)
        mock.faults.add(rule)
        return jsonify(rule.model_dump()), 201

    @api.delete("/faults")
    def clear_faults() -> Response:
        mock.faults.set_rules([])
        return jsonify([])

    @api.get("/journal")
    def journal() -> Response:
        limit = request.args.get("limit", default=100, type=int)
        return jsonify([entry.model_dump() for entry in mock.journal(limit)])

    return api
