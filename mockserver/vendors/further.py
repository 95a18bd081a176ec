"""Further AI: extraction results derived from the uploaded documents.

The docs show one step of rows of `{value, confidence_score}` cells. The mock extracts what it
really can from each upload — its name, type, size, page count and a digest — so a client sees
results that change with its input, and the same input always gives the same result.
"""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

from contracts.extensions import Lifecycle
from mockserver.config import Credentials
from mockserver.engine.behaviour import Behaviour
from mockserver.engine.call import Call
from mockserver.engine.lifecycle import Run

__all__ = ["BEHAVIOUR", "DEMO"]

DEMO = Credentials(clients={"YOUR_CLIENT_ID": "YOUR_CLIENT_SECRET",
                            "OTHER_CLIENT_ID": "OTHER_CLIENT_SECRET"})

_KINDS = [("polic", "insurance_policy"), ("invoice", "invoice"), ("claim", "claim_form"),
          ("receipt", "receipt"), ("contract", "contract")]


def start(call: Call, run: Run, rng: random.Random) -> dict[str, Any]:
    """What the uploads are, measured once, so every poll shows the same rows."""
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


def _document_type(name: str) -> str:
    lowered = name.lower()
    return next((kind for stem, kind in _KINDS if stem in lowered), "document")


def _page_count(data: bytes, content_type: str) -> int:
    if content_type == "application/pdf" or data.startswith(b"%PDF"):
        return max(1, len(re.findall(rb"/Type\s*/Page\b", data)))
    return 1


BEHAVIOUR = Behaviour(demo=DEMO, start=start, view=view)
