"""Run a workflow graph breadth-first, the way FlowFlow describes it, when the run is created.

From the start node(s) (or `node_start_id`), each node run's result goes to the nodes whose
relation's condition it met; a node may run several times, and a run that keeps looping stops
after `MAX_NODE_RUNS`. A node whose `auto_continue` is off waits for a human to verify its
result, which the API cannot do, so no relation is followed from it — except for node types that
are off by default (Text - Input), which wait for the user's text that the run's input supplies.

The whole run is computed up front, deterministically, and stored; each node run carries the
fraction of the run's progress at which it starts and finishes, so the progress endpoint can
show node runs appearing as the run goes on.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from typing import Any

from pydantic import BaseModel

from mockserver.vendors.flowflow.catalogue import catalogue
from mockserver.vendors.flowflow.graph import Node, Relation, Workflow
from mockserver.vendors.flowflow.nodes import Context, run_node

__all__ = ["MAX_NODE_RUNS", "NODE_RUN_SECONDS", "Execution", "StoredNodeRun", "execute"]

MAX_NODE_RUNS = 100
NODE_RUN_SECONDS = (0.3, 1.5)


class StoredNodeRun(BaseModel):
    """One node run of an execution, as stored with the run."""

    node: dict[str, Any]
    """The node as a progress body prints it, without its runs."""
    run: dict[str, Any]
    """The node run as printed once finished, without status and timestamps."""
    started: float
    finished: float


class Execution(BaseModel):
    """A workflow run's outcome, as stored with the run."""

    workflow: dict[str, str]
    seconds: float
    """The simulated duration of all node runs together."""
    node_runs: list[StoredNodeRun]
    results: list[Any]
    """The results of the node runs that ended a route."""


def execute(workflow: Workflow, body: dict[str, Any], run_id: str,
            rng: random.Random) -> Execution:
    """`body` is the start request's: `input`, and optional `node_start_id` (a node of the
    workflow) and `workflow_run_variables`."""
    start_id = body.get("node_start_id")
    starts = [workflow.node(start_id)] if start_id is not None else workflow.start_nodes()
    queue: deque[tuple[Node, Any, str | None, list[dict[str, Any]]]] = deque(
        (node, body["input"], None, []) for node in starts)
    context = Context(workflow, body.get("workflow_run_variables") or {})
    runs: list[tuple[Node, dict[str, Any]]] = []
    while queue and len(runs) < MAX_NODE_RUNS:
        node, value, source_run_id, sources = queue.popleft()
        outcome = run_node(node, value, context)
        result = value if node.setting("pass_input_as_result") else outcome.result
        relations = workflow.relations_from(node.id)
        met = [condition.id for condition in outcome.met]
        followed = [relation for relation in relations if relation.condition in met] \
            if _continues(node) else []
        node_run_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"flowflow:{run_id}:{len(runs)}"))
        own_sources = outcome.sources if outcome.sources is not None else sources
        variables = {"input": value, "result": result, "id": node_run_id,
                     "message": outcome.message, "start_node": source_run_id is None,
                     "end_node": not followed, "source_run_id": source_run_id,
                     "index": sum(1 for ran, _ in context.history if ran.id == node.id)}
        context.history.append((node, variables))
        runs.append((node, {
            "conditions": _conditions(workflow, node, relations, met),
            "config": node.effective_config(), "end_node": not followed, "id": node_run_id,
            "input": value, "message": outcome.message, "result": result,
            "sources": own_sources, "start_node": source_run_id is None,
        }))
        queue.extend((workflow.node(relation.target), result, node_run_id, own_sources)
                     for relation in followed)
    if queue:
        runs[-1][1]["message"] = f"Stopped after {MAX_NODE_RUNS} node runs"
    return _timed(workflow, runs, rng)


def _continues(node: Node) -> bool:
    """Whether the run goes on from this node without a human verifying its result."""
    default = next(a.default for a in catalogue().defaults(node.node_type)
                   if a.name == "auto_continue")
    return bool(node.setting("auto_continue")) or not default


def _conditions(workflow: Workflow, node: Node, relations: list[Relation],
                met: list[int]) -> dict[str, Any]:
    defined = []
    for condition in node.node_type.conditions:
        targets = [{**workflow.node(r.target).public(), "relation": {"id": r.id},
                    "type": workflow.node(r.target).node_type.public(id_as_string=True)}
                   for r in relations if r.condition == condition.id]
        if targets:
            defined.append({**condition.public(), "node_targets": targets})
    defined_ids = {condition["id"] for condition in defined}
    met_conditions = [node.node_type.condition(condition_id).public() for condition_id in met]
    return {"defined": defined, "met": met_conditions,
            "met_and_defined": [c for c in met_conditions if c["id"] in defined_ids]}


def _timed(workflow: Workflow, runs: list[tuple[Node, dict[str, Any]]],
           rng: random.Random) -> Execution:
    seconds = [rng.uniform(*NODE_RUN_SECONDS) for _ in runs]
    total = sum(seconds)
    stored, elapsed = [], 0.0
    for (node, run), duration in zip(runs, seconds, strict=True):
        stored.append(StoredNodeRun(node=node.public(), run=run, started=elapsed / total,
                                    finished=(elapsed + duration) / total))
        elapsed += duration
    return Execution(workflow={"id": workflow.id, "name": workflow.name}, seconds=round(total, 3),
                     node_runs=stored,
                     results=[run["result"] for _, run in runs if run["end_node"]])
