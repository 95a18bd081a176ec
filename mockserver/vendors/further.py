"""Further AI: extraction results derived from the uploaded documents.

The docs show one step of rows of `{value, confidence_score}` cells. The mock extracts what it
really can from each upload — its name, type, size, page count and a digest — so a client sees
results that change with its input, and the same input always gives the same result. A test can
set its own steps or rows instead (`RESULTS`).
"""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

from contracts.extensions import Lifecycle
from mockserver.engine.behaviour import Behaviour
from mockserver.engine.call import Call
from mockserver.engine.lifecycle import Run
from mockserver.engine.results import ResultSlot

__all__ = ["BEHAVIOUR", "RESULTS"]

_KINDS = [("polic", "insurance_policy"), ("invoice", "invoice"), ("claim", "claim_form"),
          ("receipt", "receipt"), ("contract", "contract")]


RESULTS = {
    "steps": ResultSlot("getWorkflowExecution", "/steps",
                        "a completed execution's steps, whole"),
    "rows": ResultSlot("getWorkflowExecution", "/steps/0/data/data",
                       "the rows of its one extraction step: {field: {value, confidence_score}}"),
}
"""What a test or `vendor_settings` may set completed executions to return: a list, or a
function of the uploaded files as `[(file name, bytes), ...]` returning one."""


def start(call: Call, run: Run, rng: random.Random) -> dict[str, Any]:
    """What the uploads are, measured once, so every poll shows the same rows; the test's own
    steps or rows, if it set any."""
    own = call.vendor.results.values() if call.vendor.results else {}
    files = [(upload.filename or "upload", upload.data) for upload in call.inputs.uploads]
    for name in ("steps", "rows"):
        if name in own:
            value = own[name](files) if callable(own[name]) else own[name]
            return {name: value}
    documents = [
        {
            "file_name": upload.filename or "upload",
            "content_type": upload.content_type,
            "size_bytes": len(upload.data),
            "page_count": _page_count(upload.data, upload.content_type),
            "sha256": hashlib.sha256(upload.data).hexdigest(),
            "confidence": [round(rng.uniform(0.82, 0.99), 2) for _ in range(6)],
        }
        for upload in call.inputs.uploads
    ]
    return {"documents": documents}


def view(call: Call, lifecycle: Lifecycle, run: Run, body: Any) -> Any:
    """A completed execution's extraction steps, a failed one's error."""
    if call.operation.id == lifecycle.create:
        return body
    body.setdefault("metadata", {})
    if run.state == lifecycle.success:
        if "steps" in run.data:
            body["steps"] = run.data["steps"]
        elif "rows" in run.data:
            body["steps"] = [_step(run.data["rows"])]
        else:
            body["steps"] = _steps(run.data.get("documents", []))
    if run.state == lifecycle.failure:
        body["error"] = run.reason or "The execution failed"
    return body


def _steps(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    fields = ["document_name", "document_type", "page_count", "size_bytes", "content_type",
              "document_id"]
    rows = []
    for document in documents:
        scores = document["confidence"]
        values = [document["file_name"], _document_type(document["file_name"]),
                  document["page_count"], document["size_bytes"], document["content_type"],
                  document["sha256"][:16]]
        rows.append({name: {"value": value, "confidence_score": score}
                     for name, value, score in zip(fields, values, scores, strict=True)})
    types = {"page_count": "integer", "size_bytes": "integer"}
    schema = {"type": "object",
              "properties": {name: {"type": types.get(name, "string")} for name in fields}}
    return [{
        "step_name": "Extract Document Details",
        "step_type": "extraction",
        "data": {"schema": schema, "data": rows, "metadata": {"documents": len(rows)}},
    }]


def _step(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One extraction step around a test's own rows, its schema read off their values."""
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string"}
    fields = {name: {"type": kinds.get(type(cell.get("value")), "string")}
              for row in rows for name, cell in row.items() if isinstance(cell, dict)}
    return {"step_name": "Extract Document Details", "step_type": "extraction",
            "data": {"schema": {"type": "object", "properties": fields}, "data": rows,
                     "metadata": {"documents": len(rows)}}}


def _document_type(name: str) -> str:
    lowered = name.lower()
    return next((kind for stem, kind in _KINDS if stem in lowered), "document")


def _page_count(data: bytes, content_type: str) -> int:
    if content_type == "application/pdf" or data.startswith(b"%PDF"):
        return max(1, len(re.findall(rb"/Type\s*/Page\b", data)))
    return 1


BEHAVIOUR = Behaviour(start=start, view=view, results=RESULTS)
