"""A FlowFlow that has moved on from its contract, recorded through the proxy: what
`contracts drift` must find (tests/contracts/test_contracts_drift.py, docs/drift.md's example)."""

from __future__ import annotations

from pathlib import Path

import requests

from mockserver import MockConfig
from tests.broken.breakages import Breakage, Call, Reply
from tests.broken.serve import serve
from tests.mockserver.proxy.support import flowflow_session, proxy

__all__ = ["record_drifted_flowflow"]


def _drifted(call: Call) -> Reply:
    """FlowFlow as if it had moved on: a trace header everywhere, a `cost` on every run, a
    PAUSED state on the first poll, and a 208 instead of the last poll's 200."""
    reply = call.forward()
    reply.headers["X-Trace-Id"] = "trace-1"
    if not call.path.startswith("/api/v1/workflow/progress/") or reply.status != 200:
        return reply
    polls = call.state["polls"] = call.state.get("polls", 0) + 1
    body = reply.json
    body["workflow"]["run"]["cost"] = 0.25
    if polls == 1:
        body["workflow"]["run"]["status"] = "PAUSED"
    reply.set_json(body, 208 if polls == 3 else None)
    return reply


def record_drifted_flowflow(directory: Path) -> list[requests.Response]:
    """Record one FlowFlow session (a start, three polls) against the drifted server into
    `directory`; the answers the client got."""
    breakage = Breakage("drifted", "flowflow", "-", "a FlowFlow that moved on", _drifted)
    with serve(breakage, MockConfig()) as root, \
            proxy({"flowflow": root + "/flowflow"}, record=directory) as (base, _):
        return flowflow_session(base, polls=2)
