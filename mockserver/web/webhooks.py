"""The control API's webhook part, under `/__mock__/webhooks/`: subscriptions, secrets, the
deliveries with their attempts, sending what is due now, and delivery faults."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ValidationError

from mockserver.config import WebhookSubscription
from mockserver.engine.deliveries import WebhookFault
from mockserver.engine.names import UnknownName
from mockserver.mock import Mock
from mockserver.web.control import PREFIX, json_body

__all__ = ["webhooks_api"]


def webhooks_api(mock: Mock) -> Blueprint:
    """The `/__mock__/webhooks/` blueprint of one mock."""
    api = Blueprint("webhooks", __name__, url_prefix=f"{PREFIX}/webhooks")

    def body(model: type[BaseModel]) -> Any:
        return model.model_validate(json_body(mock.config.max_upload_bytes,
                                              mock.config.max_json_depth))

    def known_vendor(vendor: str | None) -> None:
        if vendor is not None and vendor not in mock.vendors:
            raise LookupError(f"no vendor {vendor!r}; this mock serves {', '.join(mock.vendors)}")

    @api.errorhandler(ValidationError)
    def invalid(error: ValidationError) -> tuple[Response, int]:
        return jsonify(error="invalid webhook request", details=error.errors(
            include_url=False, include_context=False)), 400

    @api.errorhandler(UnknownName)
    def unknown(error: UnknownName) -> tuple[Response, int]:
        return jsonify(error.as_dict()), 400

    @api.errorhandler(LookupError)
    def missing(error: LookupError) -> tuple[Response, int]:
        return jsonify(error=str(error).strip("'\"")), 404

    @api.get("/subscriptions")
    def subscriptions() -> Response:
        vendor = request.args.get("vendor")
        known_vendor(vendor)
        return jsonify([s.model_dump() for s in mock.webhooks.subscriptions(vendor)])

    @api.post("/subscriptions")
    def subscribe() -> tuple[Response, int]:
        stored = mock.subscribe(body(WebhookSubscription), root=request.host_url)
        secret = stored.secret or mock.webhooks.secret(stored.vendor, stored.tenant)
        return jsonify({**stored.model_dump(), "signing_secret": secret}), 201

    @api.delete("/subscriptions/<subscription_id>")
    def unsubscribe(subscription_id: str) -> Response:
        mock.webhooks.unsubscribe(subscription_id)
        return jsonify(deleted=subscription_id)

    @api.get("/secrets/<vendor>/<tenant>")
    def secret(vendor: str, tenant: str) -> Response:
        known_vendor(vendor)
        return jsonify(vendor=vendor, tenant=tenant, secret=mock.webhooks.secret(vendor, tenant))

    @api.get("/deliveries")
    def deliveries() -> Response:
        vendor = request.args.get("vendor")
        known_vendor(vendor)
        return jsonify([d.model_dump() for d in mock.webhooks.deliveries(vendor)])

    @api.post("/dispatch")
    def dispatch() -> Response:
        return jsonify([d.model_dump() for d in mock.deliver_due()])

    @api.get("/faults")
    def faults() -> Response:
        return jsonify([f.model_dump() for f in mock.webhooks.faults()])

    @api.post("/faults")
    def add_fault() -> tuple[Response, int]:
        fault = body(WebhookFault)
        known_vendor(fault.vendor)
        mock.check_webhooks([fault.event] if fault.event else [], fault.vendor)
        mock.webhooks.add_fault(fault)
        return jsonify(fault.model_dump()), 201

    @api.delete("/faults")
    def clear_faults() -> Response:
        mock.webhooks.clear_faults()
        return jsonify([])

    return api
