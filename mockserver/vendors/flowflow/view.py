"""A workflow run's start and progress bodies at a moment, from its stored execution.

The node runs happen while the run is RUNNING: the ones that have started by then are shown
(still RUNNING, with no result, until they finish); PENDING shows none and FINISHED all of them,
with the run's `results`. A FAILED run shows the node runs up to the moment it failed, the last
one FAILED.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Any

from contracts.extensions import Lifecycle
from mockserver.engine.call import Call
from mockserver.engine.lifecycle import Run, progress, route
from mockserver.vendors.flowflow.execute import Execution, StoredNodeRun

__all__ = ["RUNNING", "progress_body", "started_body"]

RUNNING = "RUNNING"


def started_body(call: Call, run: Run, execution: Execution, body: dict[str, Any]
                 ) -> dict[str, Any]:
    """The start answer: the workflow, its run, and the URLs to follow."""
    workflow_id = execution.workflow["id"]
    body["workflow"].update(execution.workflow)
    body["workflow"]["run"]["created"] = formatdate(run.created_at, usegmt=True)
    body["progress_api_url"] = f"{call.base_url}/api/v1/workflow/progress/{run.id}"
    body["chat_url"] = (f"{call.base_url}/api/v1/internal/workflow/chat/{workflow_id}"
                        f"?workflow_run_id={run.id}")
    return body


def progress_body(call: Call, lifecycle: Lifecycle, run: Run, execution: Execution,
                  body: dict[str, Any]) -> dict[str, Any]:
    """The progress answer: the node runs that have happened by now."""
    seconds = run.plan.seconds if run.plan.seconds else execution.seconds
    steps = len(route(lifecycle, run.plan.outcome)) - 1
    begin = 1 / steps if steps > 1 else 0.0  # the lifecycle leaves its initial state here

    def moment(fraction: float) -> float:
        """When the node runs were this far along."""
        return run.created_at + (begin + fraction * (1 - begin)) * seconds

    def reached(at: float) -> float:
        """How far along the node runs are at a moment."""
        return max(progress(run, at) - begin, 0.0) / (1 - begin)

    nodes: dict[str, dict[str, Any]] = {}
    latest = run.created_at
    for stored, status in _shown(call, lifecycle, run, execution, reached):
        node_run = {**stored.run, "status": status, "created": _iso(moment(stored.started))}
        updated = moment(stored.finished)
        if status == RUNNING:
            updated = moment(stored.started)
            for key in ("result", "message", "sources"):
                node_run.pop(key)
        elif status == lifecycle.failure:
            updated = run.finished_at or call.now
            node_run.pop("result")
            node_run["message"] = run.reason or "The node run failed"
        node_run["updated"] = _iso(updated)
        latest = max(latest, updated)
        node = nodes.setdefault(stored.node["id"], {**stored.node, "runs": []})
        node["runs"].append(node_run)
    workflow = body["workflow"]
    workflow.update(execution.workflow)
    workflow["nodes"] = list(nodes.values())
    run_part = workflow["run"]
    run_part["created"] = _iso(run.created_at)
    run_part["updated"] = _iso(latest)
    if run.state == lifecycle.success:
        run_part["results"] = execution.results
    else:
        run_part.pop("results", None)
    return body


def _shown(call: Call, lifecycle: Lifecycle, run: Run, execution: Execution,
           reached: Callable[[float], float]) -> list[tuple[StoredNodeRun, str]]:
    runs = execution.node_runs
    if run.state == lifecycle.success:
        return [(stored, lifecycle.success) for stored in runs]
    if run.state == lifecycle.failure:
        failed_at = reached(run.finished_at or call.now)
        shown = [stored for stored in runs if stored.started <= failed_at]
        return [(stored, lifecycle.success) for stored in shown[:-1]] + \
            [(stored, lifecycle.failure) for stored in shown[-1:]]
    if run.state == lifecycle.initial:
        return []
    now = reached(call.now)
    return [(stored, lifecycle.success if stored.finished <= now else RUNNING)
            for stored in runs if stored.started <= now]


def _iso(moment: float) -> str:
    """ISO 8601 with milliseconds, as the progress example prints it."""
    stamp = datetime.fromtimestamp(moment, tz=timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
